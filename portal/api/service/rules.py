"""The rule sets (grade bands, dimensions, items) as JSON-ready dicts."""

from portal.api.service.values import iso_date, number
from portal.rules import service as rules_service


def rule_sets():
    """Return every rule set in the portal database, newest first, as dicts."""
    result = []
    for view in rules_service.rule_sets_for_display():
        rule_set = view.rule_set
        dimensions = []
        for group in view.dimensions:
            dimension = group.dimension
            dimensions.append(
                {
                    "code": dimension.code if dimension else None,
                    "name_zh": dimension.name_zh if dimension else None,
                    "name_en": dimension.name_en if dimension else None,
                    "max_points": number(dimension.max_points) if dimension else None,
                    "description": dimension.description if dimension else None,
                    "items": [
                        {
                            "item_code": item.item_code,
                            "dimension_code": item.dimension_code,
                            "name_zh": item.name_zh,
                            "name_en": item.name_en,
                            "points": number(item.points),
                            "validity_months": item.validity_months,
                            "legal_basis": item.legal_basis,
                        }
                        for item in group.items
                    ],
                }
            )
        result.append(
            {
                "version": rule_set.version,
                "name": rule_set.name,
                "is_demo": rule_set.is_demo,
                "effective_from": iso_date(rule_set.effective_from),
                "base_score": number(rule_set.base_score),
                "max_total": number(view.max_total),
                "description": rule_set.description,
                "published_count": view.published_count,
                "grade_bands": [
                    {
                        "grade": band.grade,
                        "min_score": number(band.min_score),
                        "max_score": number(band.max_score),
                        "published": band.grade in ("A", "B"),
                        "description": band.description,
                    }
                    for band in rule_set.grade_bands
                ],
                "dimensions": dimensions,
            }
        )
    return result
