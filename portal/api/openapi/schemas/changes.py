"""The schemas of /changes: one change to the public list and a page of them."""

from portal.api.openapi.base import (
    BOOLEAN,
    COUNT,
    DATE,
    DATE_TIME,
    GRADE,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    closed_object,
    envelope,
    nullable,
    ref,
)
from portal.publication.changes import EXIT_REASON_LABELS
from portal.publication.models import CHANGE_TYPES
from portal.uscc import PATTERN as USCC_PATTERN

SCHEMAS = {
    "Change": closed_object(
        {
            "changed_at": DATE_TIME,
            "date": {**DATE, "description": "The date in Beijing."},
            "publication_version": INTEGER,
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "name": STRING,
            "change_type": {"type": "string", "enum": list(CHANGE_TYPES)},
            "old_grade": {**nullable(GRADE), "description": "Set for grade changes; never for exits."},
            "new_grade": {**nullable(GRADE), "description": "Set for entries and grade changes; never for exits."},
            "currently_published": BOOLEAN,
            "exit_reason": {
                **nullable({"type": "string", "enum": list(EXIT_REASON_LABELS)}),
                "description": "Exits only: the public reason (downgraded to C or D, registration cancelled "
                "注销登记, registration revoked 撤销登记, score and grade do not match, deleted from the source data).",
            },
            "exit_reason_label": {**NULLABLE_STRING, "description": "The exit reason in the request's language."},
            "api_url": {"type": ["string", "null"], "format": "uri", "description": "Null unless published now."},
            "report_url": {"type": ["string", "null"], "format": "uri", "description": "Null unless published now."},
        }
    ),
    "ChangeList": envelope(
        {
            "since": DATE,
            "until": nullable(DATE),
            "type": nullable({"type": "string", "enum": list(CHANGE_TYPES)}),
            "total": COUNT,
            "limit": INTEGER,
            "next_cursor": NULLABLE_STRING,
            "next": {"type": ["string", "null"], "format": "uri"},
            "changes": {"type": "array", "items": ref("Change"), "description": "Oldest first."},
        }
    ),
}
