"""The schemas of /statistics: counts by grade, type, district and evaluation, scores and changes."""

from portal.api.openapi.base import COUNT, NUMBER, STRING, closed_object, envelope, ref

SCHEMAS = {
    "Count": closed_object(
        {
            "code": STRING,
            "label": {**STRING, "description": "The label in the request's language."},
            "label_zh": STRING,
            "label_en": STRING,
            "count": COUNT,
        }
    ),
    "Statistics": envelope(
        {
            "statistics": closed_object(
                {
                    "total": COUNT,
                    "first_sync_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "When the first successful sync finished: changes are counted from then on.",
                    },
                    "timezone": {"type": "string", "description": "The timezone of the months (Asia/Shanghai)."},
                    "by_grade": {"type": "array", "items": ref("Count")},
                    "by_type": {"type": "array", "items": ref("Count")},
                    "by_district": {"type": "array", "items": ref("Count")},
                    "by_evaluation": {"type": "array", "items": ref("Count"), "description": "评估等级: 5A to 1A, or none."},
                    "score_distribution": closed_object(
                        {
                            "bin_width": NUMBER,
                            "bins": {
                                "type": "array",
                                "items": closed_object({"min": NUMBER, "max": NUMBER, "count": COUNT}),
                                "description": "Each bin counts scores from min (inclusive) to max (exclusive).",
                            },
                        }
                    ),
                    "changes_by_month": {
                        "type": "array",
                        "items": closed_object(
                            {
                                "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                                "entries": COUNT,
                                "exits": COUNT,
                                "grade_changes": COUNT,
                            }
                        ),
                        "description": "Months in Beijing time, oldest first.",
                    },
                }
            )
        }
    ),
}
