"""The API's blueprints, its one shared rate limit and its error handlers.

Every JSON endpoint shares one rate limit per client address; every error
under the prefix is answered in the API's one JSON shape (``portal.api.http``).
"""

from flask import Blueprint, current_app
from werkzeug.exceptions import default_exceptions

from portal.api.http import ApiError, handle_api_error, handle_http_error, handle_unexpected_error
from portal.extensions import limiter

API_PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
#: The human-readable page, an ordinary HTML page outside the JSON prefix.
docs_bp = Blueprint("api_docs", __name__)


def _rate_limit():
    return current_app.config["API_RATE_LIMIT"]


# One limit per client address across every JSON endpoint (not one per endpoint); preflights are free.
limiter.shared_limit(_rate_limit, scope="api", methods=["GET", "HEAD", "POST"])(bp)


# Every HTTP error of the blueprint's routes, by code (an app-wide handler of
# the code would otherwise come first), then the API's own, then the rest.
for _code in default_exceptions:
    if _code >= 400:
        bp.register_error_handler(_code, handle_http_error)
bp.register_error_handler(ApiError, handle_api_error)
bp.register_error_handler(Exception, handle_unexpected_error)
