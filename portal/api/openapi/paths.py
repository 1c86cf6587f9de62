"""The API's paths: one operation per endpoint, referring to the schemas and components."""

from portal.api.openapi.base import DATE, STRING, ref
from portal.api.openapi.components import SUCCESS_HEADERS, error_response
from portal.orgs.service import LIST_FILTERS
from portal.publication.models import CHANGE_TYPES


def _parameters(*names):
    return [{"$ref": f"#/components/parameters/{name}"} for name in ("lang", *names)]


def _get(operation_id, summary, description, schema, parameters=(), extra_responses=None):
    responses = {
        "200": {
            "description": "OK",
            "headers": SUCCESS_HEADERS,
            "content": {"application/json": {"schema": ref(schema) if isinstance(schema, str) else schema}},
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
    "/organisations/{uscc}/changes": _get(
        "getOrganisationChanges",
        "One organisation's change record (变更记录)",
        "The changes to a published organisation's name, legal representative, address, business scope, "
        "supervising unit, credit grade and credit score, as the nightly update saw them while it was in the public "
        "list, newest first. What changes while an organisation is out of the list is never recorded. Every code "
        "that is not in the public list (unpublished, cancelled or unknown) gets the same 404 as its report.",
        "ChangeRecord",
        [
            *_parameters(),
            {
                "name": "uscc",
                "in": "path",
                "required": True,
                "description": "The unified social credit code (18 characters; lower case and spaces are tolerated).",
                "schema": STRING,
            },
            {
                "name": "limit",
                "in": "query",
                "description": "How many of the newest changes: 1 to 1000, 100 by default.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
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
                "content": {"application/json": {"schema": ref("BatchRequest")}},
            },
            "responses": {
                "200": {
                    "description": "OK",
                    "headers": {
                        name: SUCCESS_HEADERS[name]
                        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Access-Control-Allow-Origin")
                    },
                    "content": {"application/json": {"schema": ref("BatchResponse")}},
                },
                "400": {"$ref": "#/components/responses/BadRequest"},
                "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                "413": error_response("The body is larger than 2 MB."),
                "415": error_response("The body is not JSON."),
                "429": {"$ref": "#/components/responses/TooManyRequests"},
                "500": {"$ref": "#/components/responses/ServerError"},
                "503": {"$ref": "#/components/responses/Unavailable"},
            },
        }
    },
}
