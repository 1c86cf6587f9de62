"""The headers, responses and parameters that the paths refer to (#/components/...)."""

from portal.api.openapi.base import STRING, ref
from portal.orgs.service import LIST_FILTERS


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

SUCCESS_HEADERS = {
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


def error_response(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error")}},
        "headers": {"Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"}},
    }


RESPONSES = {
    "NotModified": {
        "description": "Not modified: the If-None-Match or If-Modified-Since still holds. No body.",
        "headers": {name: SUCCESS_HEADERS[name] for name in ("ETag", "Last-Modified", "Cache-Control")},
    },
    "BadRequest": error_response("A parameter is missing or not valid (error.parameter names it)."),
    "NotFound": error_response("No such resource."),
    "MethodNotAllowed": error_response("The endpoint does not accept this method."),
    "TooManyRequests": {
        **error_response("Rate limited: see Retry-After."),
        "headers": {
            "Retry-After": {"$ref": "#/components/headers/Retry-After"},
            "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
            "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
            "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"},
        },
    },
    "ServerError": error_response("Something went wrong on the server."),
    "Unavailable": {
        **error_response("The data or the search is temporarily unavailable: see Retry-After."),
        "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
    },
}

def _filter_parameter(name, description):
    """Return the query parameter of one filter of the list, with its allowed values."""
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "string", "enum": list(LIST_FILTERS[name])},
    }


PARAMETERS = {
    "lang": {
        "name": "lang",
        "in": "query",
        "description": "Language of labels and messages: zh (default) or en. Without it, Accept-Language decides.",
        "schema": {"type": "string", "enum": ["zh", "en"]},
    },
    "grade": _filter_parameter("grade", "Only this credit grade."),
    "type": _filter_parameter("type", "Only this organisation type."),
    "district": _filter_parameter("district", "Only this registration district (GB/T 2260 code)."),
    "evaluation": _filter_parameter("evaluation", "Only this evaluation level (评估等级), or none for organisations not evaluated."),
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
