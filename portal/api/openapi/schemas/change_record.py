"""The schemas of /organisations/{uscc}/changes: one organisation's change record (变更记录)."""

from portal.api.openapi.base import COUNT, DATE, DATE_TIME, INTEGER, NULLABLE_STRING, STRING, URL, closed_object, envelope, ref
from portal.publication.field_history import RECORDED_FIELDS
from portal.uscc import PATTERN as USCC_PATTERN

SCHEMAS = {
    "FieldChange": closed_object(
        {
            "changed_at": {**DATE_TIME, "description": "When the nightly update read the change (UTC)."},
            "date": {**DATE, "description": "The date in Beijing."},
            "publication_version": INTEGER,
            "field": {"type": "string", "enum": list(RECORDED_FIELDS)},
            "field_label": {**STRING, "description": "The field's name in the request's language."},
            "old_value": {
                **NULLABLE_STRING,
                "description": "As the public list showed it before; a score as text with two decimals. Null: empty.",
            },
            "new_value": {**NULLABLE_STRING, "description": "As the public list showed it after; null: empty."},
        }
    ),
    "ChangeRecord": envelope(
        {
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "total": {**COUNT, "description": "How many changes are recorded in all."},
            "limit": INTEGER,
            "changes": {"type": "array", "items": ref("FieldChange"), "description": "Newest first, at most limit."},
            "api_url": URL,
            "report_url": URL,
        }
    ),
}
