"""The schemas of /batch-check: the request, one result per value and the response."""

from portal.api.openapi.base import (
    COUNT,
    GRADE,
    NULLABLE_STRING,
    NUMBER,
    STRING,
    closed_object,
    envelope,
    nullable,
    ref,
)
from portal.opendata.batch import RESULTS as BATCH_RESULTS
from portal.uscc import PATTERN as USCC_PATTERN

SCHEMAS = {
    "BatchRequest": {
        "oneOf": [
            closed_object(
                {
                    "values": {
                        "type": "array",
                        "maxItems": 5000,
                        "items": {"type": "string", "maxLength": 500},
                        "description": "Unified social credit codes or organisation names, one per row.",
                    }
                }
            ),
            {"type": "array", "maxItems": 5000, "items": {"type": "string", "maxLength": 500}},
        ]
    },
    "BatchMatch": closed_object(
        {"uscc": {"type": "string", "pattern": USCC_PATTERN}, "name": STRING, "grade": GRADE, "score": NUMBER}
    ),
    "BatchResult": closed_object(
        {
            "row": {"type": "integer", "minimum": 1},
            "input": STRING,
            "kind": {"type": "string", "enum": ["uscc", "name", "empty"], "description": "How the value was read."},
            "result": {
                "type": "string",
                "enum": list(BATCH_RESULTS),
                "description": "published; not_public (a valid code not in the public list, known or not); "
                "invalid_code; unknown_name (no published organisation has this name); ambiguous_name "
                "(several do: see matches); empty.",
            },
            "uscc": NULLABLE_STRING,
            "name": NULLABLE_STRING,
            "grade": nullable(GRADE),
            "score": nullable(NUMBER),
            "matches": {"type": "array", "items": ref("BatchMatch")},
        },
        required=["row", "input", "kind", "result", "uscc", "name", "grade", "score"],
    ),
    "BatchResponse": envelope(
        {
            "count": COUNT,
            "summary": {
                "type": "object",
                "propertyNames": {"enum": list(BATCH_RESULTS)},
                "additionalProperties": COUNT,
            },
            "results": {"type": "array", "items": ref("BatchResult")},
        }
    ),
}
