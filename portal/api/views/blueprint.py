"""The API's blueprints, its one shared rate limit and its error handlers.

Every JSON endpoint shares one rate limit per client address; every error
under the prefix is answered in the API's one JSON shape (``portal.api.http``).
"""

from flask import Blueprint

from portal.api.http import serve_as_json_api

API_PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
#: The human-readable page, an ordinary HTML page outside the JSON prefix.
docs_bp = Blueprint("api_docs", __name__)


# One limit per client address across every JSON endpoint, and the API's error shape.
serve_as_json_api(bp)
