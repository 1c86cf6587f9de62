"""The schemas every endpoint shares: the error body and the API's index."""

from portal.api.openapi.base import STRING, URL, closed_object, envelope

SCHEMAS = {
    "Error": envelope(
        {
            "error": closed_object(
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
    "ApiIndex": envelope(
        {
            "name": STRING,
            "version": {"const": "v1"},
            "documentation": URL,
            "openapi": URL,
            "endpoints": {"type": "object", "additionalProperties": STRING},
        }
    ),
}
