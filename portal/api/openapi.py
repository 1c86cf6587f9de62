"""The OpenAPI 3.1 description of the API, written by hand.

tests/test_api_openapi.py validates every endpoint's actual responses
against these schemas, so a field added to a response without being
described here fails the tests (objects are closed: additionalProperties false).
"""

import copy

from portal.opendata.batch import RESULTS as BATCH_RESULTS
from portal.grades import PUBLISHED_GRADES
from portal.orgs.service import LIST_FILTERS
from portal.publication.models import CHANGE_TYPES
from portal.reference import DISTRICTS, ORG_TYPES
from portal.uscc import PATTERN as USCC_PATTERN



def _nullable(schema):
    """Return ``schema`` that also allows null."""
    schema = dict(schema)
    kind = schema.get("type")
    if kind is not None:
        schema["type"] = [kind, "null"] if isinstance(kind, str) else [*kind, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties, required=None, description=None):
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
BOOLEAN = {"type": "boolean"}
NUMBER = {"type": "number"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}
GRADE = {"type": "string", "enum": list(PUBLISHED_GRADES)}
EVALUATION = {"type": ["string", "null"], "enum": ["5A", "4A", "3A", "2A", "1A", None]}

PUBLICATION_PROPERTIES = {
    "data_as_of": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "When the last successful sync read the scoring database (UTC); null before the first.",
    },
    "publication_version": {
        "type": ["integer", "null"],
        "description": "The version of the public list this response reflects; it moves with every sync that changes it.",
    },
}


def _envelope(properties, description=None):
    """Return a response object schema: ``properties`` plus data_as_of and publication_version."""
    return _object({**properties, **PUBLICATION_PROPERTIES}, description=description)


SCHEMAS = {
    "Error": _envelope(
        {
            "error": _object(
                {
                    "code": {
                        "type": "string",
                        "description": "A machine-readable code, e.g. invalid_uscc, invalid_parameter, "
                        "organisation_not_found, not_found, method_not_allowed, rate_limited.",
                        "pattern": "^[a-z_]+$",
                    },
                    "message": {"type": "string", "description": "What went wrong, in the request's language."},
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "parameter": {"type": "string", "description": "The parameter at fault, if one is."},
                },
                required=["code", "message", "status"],
            )
        },
        description="Every error under /api/v1 has this shape.",
    ),
    "OrganisationLinks": _object(
        {
            "api_url": {**URL, "description": "This organisation in the API."},
            "report_url": {**URL, "description": "The organisation's credit report page."},
        }
    ),
    "OrganisationSummary": _object(
        {
            "uscc": {"type": "string", "pattern": USCC_PATTERN, "description": "Unified social credit code."},
            "name": STRING,
            "org_type": {"type": "string", "enum": list(ORG_TYPES)},
            "org_type_label": {"type": "string", "description": "The type in the request's language."},
            "district_code": {"type": "string", "enum": list(DISTRICTS)},
            "district_label": {"type": "string", "description": "The district in the request's language."},
            "grade": GRADE,
            "score": NUMBER,
            "registered_on": _nullable(DATE),
            "evaluation_level": EVALUATION,
            "evaluation_valid_until": _nullable(DATE),
            "evaluation_expired": BOOLEAN,
            "assessed_at": _nullable(DATE_TIME),
            "api_url": URL,
            "report_url": URL,
        }
    ),
    "OrganisationList": _envelope(
        {
            "total": {**COUNT, "description": "Organisations matching the filters, on all pages."},
            "limit": INTEGER,
            "sort": {"type": "string", "enum": ["name", "score_desc", "score_asc", "registered_desc", "registered_asc"]},
            "filters": _object(
                {
                    "grade": _nullable({"type": "string", "enum": list(LIST_FILTERS["grade"])}),
                    "type": _nullable({"type": "string", "enum": list(LIST_FILTERS["type"])}),
                    "district": _nullable({"type": "string", "enum": list(LIST_FILTERS["district"])}),
                    "evaluation": _nullable({"type": "string", "enum": list(LIST_FILTERS["evaluation"])}),
                }
            ),
            "next_cursor": {**NULLABLE_STRING, "description": "Pass as ?cursor= for the next page; null on the last page."},
            "next": {"type": ["string", "null"], "format": "uri", "description": "The URL of the next page."},
            "organisations": {"type": "array", "items": _ref("OrganisationSummary")},
        }
    ),
    "Dimension": _object(
        {
            "code": STRING,
            "name_zh": STRING,
            "name_en": STRING,
            "points": _nullable(NUMBER),
            "max_points": _nullable(NUMBER),
        }
    ),
    "HistoryPoint": _object(
        {
            "date": {**DATE, "description": "The date in Beijing."},
            "effective_at": DATE_TIME,
            "published": {**BOOLEAN, "description": "False for a time out of the public list (no score is shown for it)."},
            "score": _nullable(NUMBER),
            "grade": _nullable(GRADE),
            "previous_grade": {**_nullable(GRADE), "description": "Set when the grade changed at this point."},
            "reentered": {**BOOLEAN, "description": "The first point after a time out of the public list."},
        }
    ),
    "CreditEvent": _object(
        {
            "event_id": STRING,
            "item_code": STRING,
            "item_name": NULLABLE_STRING,
            "dimension_code": STRING,
            "description": STRING,
            "points": NUMBER,
            "reporting_department": STRING,
            "legal_basis": NULLABLE_STRING,
            "effective_on": DATE,
            "expires_on": _nullable(DATE),
            "status": {"type": "string", "enum": ["active", "expired", "repaired", "objection", "withdrawn"]},
            "status_label": STRING,
        }
    ),
    "ListEntry": _object(
        {
            "list_type": {"type": "string", "enum": ["abnormal_activity", "serious_violation"]},
            "list_type_label": STRING,
            "listed": {**BOOLEAN, "description": "Still listed (not removed)."},
            "listed_on": DATE,
            "listed_by": NULLABLE_STRING,
            "reason": STRING,
            "removed_on": _nullable(DATE),
            "removal_reason": NULLABLE_STRING,
        }
    ),
    "Organisation": _object(
        {
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "name": STRING,
            "former_names": {"type": "array", "items": STRING},
            "org_type": {"type": "string", "enum": list(ORG_TYPES)},
            "org_type_label": STRING,
            "registration_authority": STRING,
            "district_code": {"type": "string", "enum": list(DISTRICTS)},
            "district_label": STRING,
            "legal_representative": NULLABLE_STRING,
            "registered_on": _nullable(DATE),
            "registration_status": {"type": "string", "enum": ["normal"]},
            "registration_status_label": STRING,
            "address": NULLABLE_STRING,
            "business_scope": NULLABLE_STRING,
            "supervising_unit": NULLABLE_STRING,
            "published_since": _nullable(DATE_TIME),
            "credit": _object(
                {
                    "grade": GRADE,
                    "score": NUMBER,
                    "assessed_at": _nullable(DATE_TIME),
                    "rule_set_version": NULLABLE_STRING,
                    "grade_band": _nullable(
                        _object({"grade": GRADE, "min_score": NUMBER, "max_score": NUMBER})
                    ),
                    "dimensions": {"type": "array", "items": _ref("Dimension")},
                }
            ),
            "history": {"type": "array", "items": _ref("HistoryPoint"), "description": "Oldest first."},
            "current_events": {"type": "array", "items": _ref("CreditEvent"), "description": "Plus and minus items that count now."},
            "earlier_events": {"type": "array", "items": _ref("CreditEvent"), "description": "Expired, repaired or withdrawn items."},
            "evaluation": _object(
                {
                    "level": EVALUATION,
                    "valid_from": _nullable(DATE),
                    "valid_until": _nullable(DATE),
                    "expired": BOOLEAN,
                },
                description="评估等级 (social organisation evaluation level).",
            ),
            "list_entries": {"type": "array", "items": _ref("ListEntry")},
            "api_url": URL,
            "report_url": URL,
        }
    ),
    "OrganisationResponse": _envelope({"organisation": _ref("Organisation")}),
    "SearchHit": _object(
        {
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "name": STRING,
            "grade": GRADE,
            "score": NUMBER,
            "org_type": {"type": "string", "enum": list(ORG_TYPES)},
            "district_code": {"type": "string", "enum": list(DISTRICTS)},
            "evaluation_level": EVALUATION,
            "registered_on": _nullable(DATE),
            "match": {
                "type": "string",
                "description": "How it was found: exact, uscc, name_words, name, former_name, uscc_prefix, pinyin, "
                "former_pinyin, initials, former_initials, person, homophone, former_homophone.",
            },
            "snippet_field": {
                "type": ["string", "null"],
                "enum": ["former_names", "legal_representative", "business_scope", "address", None],
            },
            "snippet": {**NULLABLE_STRING, "description": "An excerpt of snippet_field, as plain text."},
            "api_url": URL,
            "report_url": URL,
        }
    ),
    "SearchResults": _envelope(
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
            "suggestion": _nullable(
                _object({"query": STRING, "total": COUNT}, description="Did you mean: a query that finds something.")
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
            "results": {"type": "array", "items": _ref("SearchHit")},
            "facets": {
                "type": "array",
                "items": _object(
                    {
                        "name": {"type": "string", "enum": ["grade", "type", "district", "evaluation"]},
                        "options": {
                            "type": "array",
                            "items": _object({"value": STRING, "label": STRING, "count": COUNT, "selected": BOOLEAN}),
                        },
                    }
                ),
            },
        }
    ),
    "Change": _object(
        {
            "changed_at": DATE_TIME,
            "date": {**DATE, "description": "The date in Beijing."},
            "publication_version": INTEGER,
            "uscc": {"type": "string", "pattern": USCC_PATTERN},
            "name": STRING,
            "change_type": {"type": "string", "enum": list(CHANGE_TYPES)},
            "old_grade": {**_nullable(GRADE), "description": "Set for grade changes; never for exits."},
            "new_grade": {**_nullable(GRADE), "description": "Set for entries and grade changes; never for exits."},
            "currently_published": BOOLEAN,
            "api_url": {"type": ["string", "null"], "format": "uri", "description": "Null unless published now."},
            "report_url": {"type": ["string", "null"], "format": "uri", "description": "Null unless published now."},
        }
    ),
    "ChangeList": _envelope(
        {
            "since": DATE,
            "until": _nullable(DATE),
            "type": _nullable({"type": "string", "enum": list(CHANGE_TYPES)}),
            "total": COUNT,
            "limit": INTEGER,
            "next_cursor": NULLABLE_STRING,
            "next": {"type": ["string", "null"], "format": "uri"},
            "changes": {"type": "array", "items": _ref("Change"), "description": "Oldest first."},
        }
    ),
    "RuleItem": _object(
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
    "RuleSet": _object(
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
                "items": _object(
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
                "items": _object(
                    {
                        "code": {**NULLABLE_STRING, "description": "Null for items whose dimension the rule set lacks."},
                        "name_zh": NULLABLE_STRING,
                        "name_en": NULLABLE_STRING,
                        "max_points": _nullable(NUMBER),
                        "description": NULLABLE_STRING,
                        "items": {"type": "array", "items": _ref("RuleItem")},
                    }
                ),
            },
        }
    ),
    "RuleSets": _envelope({"rule_sets": {"type": "array", "items": _ref("RuleSet"), "description": "Newest first."}}),
    "Count": _object(
        {
            "code": STRING,
            "label": {**STRING, "description": "The label in the request's language."},
            "label_zh": STRING,
            "label_en": STRING,
            "count": COUNT,
        }
    ),
    "Statistics": _envelope(
        {
            "statistics": _object(
                {
                    "total": COUNT,
                    "first_sync_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "When the first successful sync finished: changes are counted from then on.",
                    },
                    "timezone": {"type": "string", "description": "The timezone of the months (Asia/Shanghai)."},
                    "by_grade": {"type": "array", "items": _ref("Count")},
                    "by_type": {"type": "array", "items": _ref("Count")},
                    "by_district": {"type": "array", "items": _ref("Count")},
                    "by_evaluation": {"type": "array", "items": _ref("Count"), "description": "评估等级: 5A to 1A, or none."},
                    "score_distribution": _object(
                        {
                            "bin_width": NUMBER,
                            "bins": {
                                "type": "array",
                                "items": _object({"min": NUMBER, "max": NUMBER, "count": COUNT}),
                                "description": "Each bin counts scores from min (inclusive) to max (exclusive).",
                            },
                        }
                    ),
                    "changes_by_month": {
                        "type": "array",
                        "items": _object(
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
    "BatchRequest": {
        "oneOf": [
            _object(
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
    "BatchMatch": _object(
        {"uscc": {"type": "string", "pattern": USCC_PATTERN}, "name": STRING, "grade": GRADE, "score": NUMBER}
    ),
    "BatchResult": _object(
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
            "grade": _nullable(GRADE),
            "score": _nullable(NUMBER),
            "matches": {"type": "array", "items": _ref("BatchMatch")},
        },
        required=["row", "input", "kind", "result", "uscc", "name", "grade", "score"],
    ),
    "BatchResponse": _envelope(
        {
            "count": COUNT,
            "summary": {
                "type": "object",
                "propertyNames": {"enum": list(BATCH_RESULTS)},
                "additionalProperties": COUNT,
            },
            "results": {"type": "array", "items": _ref("BatchResult")},
        }
    ),
    "ApiIndex": _envelope(
        {
            "name": STRING,
            "version": {"const": "v1"},
            "documentation": URL,
            "openapi": URL,
            "endpoints": {"type": "object", "additionalProperties": STRING},
        }
    ),
}

HEADERS = {
    "ETag": {"description": "A tag of the publication state, language and URL.", "required": True, "schema": STRING},
    "Last-Modified": {"description": "The time of the data (data_as_of); absent before the first sync.", "schema": STRING},
    "Cache-Control": {"description": "public, max-age=300 (errors: no-store).", "required": True, "schema": STRING},
    "X-Publication-Version": {"description": "As publication_version.", "required": True, "schema": STRING},
    "X-Data-As-Of": {"description": "As data_as_of.", "required": True, "schema": STRING},
    "X-RateLimit-Limit": {"description": "Requests allowed in the current window.", "schema": STRING},
    "X-RateLimit-Remaining": {"description": "Requests left in the current window.", "schema": STRING},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix time).", "schema": STRING},
    "Retry-After": {"description": "Seconds to wait before trying again.", "required": True, "schema": STRING},
    "Link": {"description": 'The next page, as <url>; rel="next" (lists with a next page only).', "schema": STRING},
    "Access-Control-Allow-Origin": {
        "description": "Always *: any web page may read the API.",
        "required": True,
        "schema": STRING,
    },
}

_SUCCESS_HEADERS = {
    name: {"$ref": f"#/components/headers/{name}"}
    for name in (
        "ETag",
        "Last-Modified",
        "Cache-Control",
        "X-Publication-Version",
        "X-Data-As-Of",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Access-Control-Allow-Origin",
        "Link",
    )
}


def _error_response(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
        "headers": {"Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"}},
    }


RESPONSES = {
    "NotModified": {
        "description": "Not modified: the If-None-Match or If-Modified-Since still holds. No body.",
        "headers": {name: _SUCCESS_HEADERS[name] for name in ("ETag", "Last-Modified", "Cache-Control")},
    },
    "BadRequest": _error_response("A parameter is missing or not valid (error.parameter names it)."),
    "NotFound": _error_response("No such resource."),
    "MethodNotAllowed": _error_response("The endpoint does not accept this method."),
    "TooManyRequests": {
        **_error_response("Rate limited: see Retry-After."),
        "headers": {
            "Retry-After": {"$ref": "#/components/headers/Retry-After"},
            "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
            "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
            "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"},
        },
    },
    "ServerError": _error_response("Something went wrong on the server."),
    "Unavailable": {
        **_error_response("The data or the search is temporarily unavailable: see Retry-After."),
        "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
    },
}

PARAMETERS = {
    "lang": {
        "name": "lang",
        "in": "query",
        "description": "Language of labels and messages: zh (default) or en. Without it, Accept-Language decides.",
        "schema": {"type": "string", "enum": ["zh", "en"]},
    },
    "grade": {
        "name": "grade",
        "in": "query",
        "description": "Only this credit grade.",
        "schema": {"type": "string", "enum": list(LIST_FILTERS["grade"])},
    },
    "type": {
        "name": "type",
        "in": "query",
        "description": "Only this organisation type.",
        "schema": {"type": "string", "enum": list(LIST_FILTERS["type"])},
    },
    "district": {
        "name": "district",
        "in": "query",
        "description": "Only this registration district (GB/T 2260 code).",
        "schema": {"type": "string", "enum": list(LIST_FILTERS["district"])},
    },
    "evaluation": {
        "name": "evaluation",
        "in": "query",
        "description": "Only this evaluation level (评估等级), or none for organisations not evaluated.",
        "schema": {"type": "string", "enum": list(LIST_FILTERS["evaluation"])},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "description": "Rows per page: 1 to 1000, 100 by default.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "description": "The next_cursor of the previous page. It carries the filters and sort; leave them out or keep them the same.",
        "schema": STRING,
    },
}


def _parameters(*names):
    return [{"$ref": f"#/components/parameters/{name}"} for name in ("lang", *names)]


def _get(operation_id, summary, description, schema, parameters=(), extra_responses=None):
    responses = {
        "200": {
            "description": "OK",
            "headers": _SUCCESS_HEADERS,
            "content": {"application/json": {"schema": _ref(schema) if isinstance(schema, str) else schema}},
        },
        "304": {"$ref": "#/components/responses/NotModified"},
        "400": {"$ref": "#/components/responses/BadRequest"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "429": {"$ref": "#/components/responses/TooManyRequests"},
        "500": {"$ref": "#/components/responses/ServerError"},
        "503": {"$ref": "#/components/responses/Unavailable"},
    }
    responses.update(extra_responses or {})
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "parameters": list(parameters),
            "responses": responses,
        }
    }


_FILTER_SEARCH_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "description": f"Only these values of {name}; repeat the parameter for several.",
        "schema": {"type": "array", "items": {"type": "string", "enum": list(LIST_FILTERS[name])}},
        "style": "form",
        "explode": True,
    }
    for name in ("grade", "type", "district", "evaluation")
]

PATHS = {
    "/": _get(
        "apiIndex",
        "What the API offers",
        "Links to every endpoint, the documentation and this description.",
        "ApiIndex",
        _parameters(),
    ),
    "/organisations": _get(
        "listOrganisations",
        "Published organisations",
        "The organisations in the public list (grade A or B, registration in force), filtered and sorted as "
        "the list page /orgs. Pages are chained by cursor: follow `next` until it is null. A cursor is signed "
        "and carries the filters and sort.",
        "OrganisationList",
        [
            *_parameters("grade", "type", "district", "evaluation"),
            {
                "name": "sort",
                "in": "query",
                "description": "Order: by pinyin name (default), score or registration date. Ties are broken by name and code.",
                "schema": {
                    "type": "string",
                    "enum": ["name", "score_desc", "score_asc", "registered_desc", "registered_asc"],
                    "default": "name",
                },
            },
            {"$ref": "#/components/parameters/limit"},
            {"$ref": "#/components/parameters/cursor"},
        ],
    ),
    "/organisations/{uscc}": _get(
        "getOrganisation",
        "One organisation's credit report",
        "The report data of a published organisation: registration details, score and grade with its band, "
        "scores by dimension, history, plus and minus items, evaluation level and list entries. Every code "
        "that is not in the public list (unpublished, cancelled or unknown) gets the same 404.",
        "OrganisationResponse",
        [
            *_parameters(),
            {
                "name": "uscc",
                "in": "path",
                "required": True,
                "description": "The unified social credit code (18 characters; lower case and spaces are tolerated).",
                "schema": STRING,
            },
        ],
        {"404": {"$ref": "#/components/responses/NotFound"}},
    ),
    "/search": _get(
        "search",
        "Search the published organisations",
        "The same search as /search: names (Chinese, pinyin, initials), former names, codes and code "
        "prefixes, legal representatives; filters with counts (facets), sorts and pages.",
        "SearchResults",
        [
            *_parameters(),
            {"name": "q", "in": "query", "description": "What to search for.", "schema": STRING},
            *_FILTER_SEARCH_PARAMETERS,
            {
                "name": "sort",
                "in": "query",
                "schema": {
                    "type": "string",
                    "enum": ["relevance", "score_desc", "score_asc", "name", "registered_desc", "registered_asc"],
                    "default": "relevance",
                },
            },
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
        ],
    ),
    "/changes": _get(
        "listChanges",
        "Changes to the public list",
        "Entries to and exits from the public list, and grade changes, from a date on, oldest first, by cursor. "
        "An exit never shows a grade.",
        "ChangeList",
        [
            *_parameters(),
            {
                "name": "since",
                "in": "query",
                "required": True,
                "description": "First date (Beijing), YYYY-MM-DD. Not needed with a cursor.",
                "schema": DATE,
            },
            {"name": "until", "in": "query", "description": "Last date (Beijing), inclusive.", "schema": DATE},
            {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(CHANGE_TYPES)}},
            {"$ref": "#/components/parameters/limit"},
            {"$ref": "#/components/parameters/cursor"},
        ],
    ),
    "/rules": _get(
        "listRuleSets",
        "The rule sets",
        "How scores and grades are worked out: each rule set's grade bands, dimensions and plus and minus items.",
        "RuleSets",
        _parameters(),
    ),
    "/statistics": _get(
        "statistics",
        "Statistics of the public list",
        "Published organisations by grade, type, district and evaluation level; the score distribution; "
        "entries, exits and grade changes per month.",
        "Statistics",
        _parameters(),
    ),
    "/openapi.json": _get(
        "openapi",
        "This description",
        "The OpenAPI 3.1 description of the API; info.x-data-as-of and info.x-publication-version give the state.",
        {"type": "object", "required": ["openapi", "info", "paths"]},
        _parameters(),
    ),
    "/batch-check": {
        "post": {
            "operationId": "batchCheck",
            "summary": "Check many codes or names",
            "description": "Check up to 5,000 unified social credit codes or organisation names against the public "
            "list, one result per value in the same order. An unpublished organisation's code is answered as "
            "not_public and its name as unknown_name, exactly as for codes and names the portal does not know.",
            "parameters": _parameters(),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("BatchRequest")}},
            },
            "responses": {
                "200": {
                    "description": "OK",
                    "headers": {
                        name: _SUCCESS_HEADERS[name]
                        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Access-Control-Allow-Origin")
                    },
                    "content": {"application/json": {"schema": _ref("BatchResponse")}},
                },
                "400": {"$ref": "#/components/responses/BadRequest"},
                "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                "413": _error_response("The body is larger than 2 MB."),
                "415": _error_response("The body is not JSON."),
                "429": {"$ref": "#/components/responses/TooManyRequests"},
                "500": {"$ref": "#/components/responses/ServerError"},
                "503": {"$ref": "#/components/responses/Unavailable"},
            },
        }
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
    "info": {
        "title": "Beijing Social Organisation Credit Information Portal API",
        "version": "1.0.0",
        "summary": "Open data of the social organisations in Beijing's public credit list (grades A and B).",
        "description": (
            "Read-only, open JSON API: no key, no account, no cookies. Every response carries data_as_of (when the "
            "data was read from the credit assessment system) and publication_version, in the body and as the "
            "X-Data-As-Of and X-Publication-Version headers. Responses have an ETag and Last-Modified of the "
            "publication state; send If-None-Match or If-Modified-Since to get a 304 while nothing has changed. "
            "Language: ?lang=zh|en, else Accept-Language. Rate limits per client address are reported in "
            "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset and Retry-After; above them the answer is "
            "a 429. Every error is the same JSON shape (Error)."
        ),
        "license": {"name": "Open data: free to reuse with attribution"},
    },
    # The view replaces it with the absolute address under PUBLIC_BASE_URL.
    "servers": [{"url": "/api/v1"}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
        "headers": HEADERS,
    },
}


def openapi_document():
    """Return a fresh copy of the OpenAPI document (callers may add to it)."""
    return copy.deepcopy(DOCUMENT)
