"""The OpenAPI 3.1 description of the API, written by hand.

tests/api/test_openapi.py validates every endpoint's actual responses
against these schemas, so a field added to a response without being
described here fails the tests (objects are closed: additionalProperties false).

- base.py: the building blocks (closed objects, nullable types, the envelope);
- schemas/: the schemas, one module per resource;
- components.py: the shared headers, responses and parameters;
- paths.py: one operation per endpoint;
- document.py: the document assembled from them.
"""

from portal.api.openapi.document import openapi_document

__all__ = ["openapi_document"]
