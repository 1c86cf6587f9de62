"""The words for the codes of the rule arithmetic, for pages (methodology, status, reports)."""

from flask_babel import lazy_gettext as _l

#: How a rule set can contradict itself (portal.rules.arithmetic.rule_set_problems).
PROBLEM_LABELS = {
    "missing_base": _l("Some dimensions do not state their base points, so scores cannot be explained as sums."),
    "base_outside_dimension": _l("A dimension's base points lie outside 0 and its maximum."),
    "base_not_sum_of_dimensions": _l("The base score is not the sum of the dimensions' base points."),
    "band_overlap": _l("Two grade bands overlap."),
    "band_gap": _l("There is a gap between two grade bands: some scores have no grade."),
    "range_not_covered": _l("The grade bands do not cover every score the dimensions can make."),
    "band_beyond_reachable": _l("A grade band reaches scores that no organisation can have."),
}
SEVERITY_LABELS = {"minor": _l("Minor (轻微)"), "general": _l("General (一般)"), "serious": _l("Serious (严重)")}
