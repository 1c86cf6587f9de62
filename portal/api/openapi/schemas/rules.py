"""The schemas of /rules: the rule sets with their grade bands, dimensions and items."""

from portal.api.openapi.base import (
    BOOLEAN,
    COUNT,
    DATE,
    NULLABLE_STRING,
    NUMBER,
    STRING,
    closed_object,
    envelope,
    nullable,
    ref,
)

SCHEMAS = {
    "RuleItem": closed_object(
        {
            "item_code": STRING,
            "dimension_code": STRING,
            "name_zh": STRING,
            "name_en": STRING,
            "points": NUMBER,
            "validity_months": {"type": ["integer", "null"]},
            "legal_basis": NULLABLE_STRING,
        }
    ),
    "RuleSet": closed_object(
        {
            "version": STRING,
            "name": STRING,
            "is_demo": {**BOOLEAN, "description": "A demonstration rule set, not the official one."},
            "effective_from": DATE,
            "base_score": NUMBER,
            "max_total": NUMBER,
            "description": NULLABLE_STRING,
            "published_count": {**COUNT, "description": "Published organisations scored with this rule set."},
            "grade_bands": {
                "type": "array",
                "items": closed_object(
                    {
                        "grade": {"type": "string", "enum": ["A", "B", "C", "D"]},
                        "min_score": NUMBER,
                        "max_score": NUMBER,
                        "published": BOOLEAN,
                        "description": NULLABLE_STRING,
                    }
                ),
            },
            "dimensions": {
                "type": "array",
                "items": closed_object(
                    {
                        "code": {**NULLABLE_STRING, "description": "Null for items whose dimension the rule set lacks."},
                        "name_zh": NULLABLE_STRING,
                        "name_en": NULLABLE_STRING,
                        "max_points": nullable(NUMBER),
                        "description": NULLABLE_STRING,
                        "items": {"type": "array", "items": ref("RuleItem")},
                    }
                ),
            },
        }
    ),
    "RuleSets": envelope({"rule_sets": {"type": "array", "items": ref("RuleSet"), "description": "Newest first."}}),
}
