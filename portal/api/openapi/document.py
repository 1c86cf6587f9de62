"""The OpenAPI 3.1 document of the API, assembled from its paths, schemas and components."""

import copy

from portal.api.openapi.components import HEADERS, PARAMETERS, RESPONSES
from portal.api.openapi.paths import PATHS
from portal.api.openapi.schemas import SCHEMAS

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
