"""The schemas of /search: a hit and a page of results with its facets."""

from portal.api.openapi.base import (
    BOOLEAN,
    COUNT,
    DATE,
    EVALUATION,
    GRADE,
    NULLABLE_STRING,
    NUMBER,
    STRING,
    URL,
    closed_object,
    envelope,
    nullable,
    ref,
)
from portal.reference import DISTRICTS, ORG_TYPES
from portal.uscc import PATTERN as USCC_PATTERN

SCHEMAS = {
    "SearchHit": closed_object(
        {
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "name": STRING,
            "grade": GRADE,
            "score": NUMBER,
            "org_type": {"type": "string", "enum": list(ORG_TYPES)},
            "district_code": {"type": "string", "enum": list(DISTRICTS)},
            "evaluation_level": EVALUATION,
            "registered_on": nullable(DATE),
            "match": {
                "type": "string",
                "description": "How it was found: exact, uscc, name_words, name, former_name, uscc_prefix, pinyin, "
                "former_pinyin, initials, former_initials, person, business_scope, address, homophone, "
                "former_homophone, district (registered in the district the query names), partial (only some "
                "of the query's words matched).",
            },
            "snippet_field": {
                "type": ["string", "null"],
                "enum": ["former_names", "legal_representative", "business_scope", "address", "supervising_unit", None],
            },
            "snippet": {**NULLABLE_STRING, "description": "An excerpt of snippet_field, as plain text."},
            "api_url": URL,
            "report_url": URL,
        }
    ),
    "SearchResults": envelope(
        {
            "query": {"type": "string", "description": "The text searched for, cleaned."},
            "total": {**COUNT, "description": "Matches with the filters."},
            "unfiltered_total": {**COUNT, "description": "Matches without the filters."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "pages": {"type": "integer", "minimum": 1},
            "sort": {"type": "string", "enum": ["relevance", "score_desc", "score_asc", "name", "registered_desc", "registered_asc"]},
            "filters": {
                "type": "object",
                "propertyNames": {"enum": ["grade", "type", "district", "evaluation"]},
                "additionalProperties": {"type": "array", "items": STRING},
            },
            "truncated": {**BOOLEAN, "description": "The text was cut to 100 characters."},
            "too_short": {**BOOLEAN, "description": "Nothing searchable in the text (one character, punctuation)."},
            "partial": {
                **BOOLEAN,
                "description": "No organisation matched every word of the query: the results are the best partial "
                "matches, those matching most words first.",
            },
            "respelled": {
                **BOOLEAN,
                "description": "Found only by respelling what was typed (a typo of a character or a pinyin syllable).",
            },
            "suggestion": nullable(
                closed_object({"query": STRING, "total": COUNT}, description="Did you mean: a query that finds something.")
            ),
            "index_version": {
                "type": ["integer", "null"],
                "description": "The publication version the search index reflects; results are checked against the current list.",
            },
            "index_current": {
                **BOOLEAN,
                "description": "Whether the index has caught up with the current list; if not, organisations that "
                "entered it since may be missing (those that left it are never shown).",
            },
            "results": {"type": "array", "items": ref("SearchHit")},
            "facets": {
                "type": "array",
                "items": closed_object(
                    {
                        "name": {"type": "string", "enum": ["grade", "type", "district", "evaluation"]},
                        "options": {
                            "type": "array",
                            "items": closed_object({"value": STRING, "label": STRING, "count": COUNT, "selected": BOOLEAN}),
                        },
                    }
                ),
            },
        }
    ),
}
