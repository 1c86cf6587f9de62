"""The publication rule: which organisations the public sees."""

from portal.grades import PUBLISHED_GRADES


def decide_publication(row, grade_bands):
    """Return (published, reason) for one organisation row.

    An organisation is public if and only if its registration status is
    normal, its grade is A or B, and its score lies inside the rule set's band
    for that grade. ``grade_bands`` maps rule-set version -> grade -> (min, max).
    """
    if row["registration_status"] != "normal":
        return False, row["registration_status"]
    if row.get("grade") is None or row.get("score") is None:
        return False, "no_score"
    if row["grade"] not in PUBLISHED_GRADES:
        return False, "grade_below_b"
    band = grade_bands.get(row["rule_set_version"], {}).get(row["grade"])
    if band is None:
        return False, "unknown_rule_set"
    low, high = band
    if not low <= row["score"] <= high:
        return False, "out_of_band"
    return True, None
