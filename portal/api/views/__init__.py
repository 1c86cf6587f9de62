"""The public JSON API (/api/v1) and its human-readable page (/api).

Views parse the request, call a service and return plain data; ``portal.api.http``
turns it into JSON with the publication state, validators, CORS and the one
error shape. ``blueprint`` holds the blueprints, the shared rate limit and the
error handlers; ``arguments`` the checks of request arguments; the other
modules hold the endpoints, by area.
"""

# The endpoint modules register their routes on the blueprint when imported.
from portal.api.views import batch_check, changes, meta, organisations, search  # noqa: F401
from portal.api.views.blueprint import API_PREFIX, bp, docs_bp

__all__ = ["API_PREFIX", "bp", "docs_bp"]
