"""HTTP behaviour of the JSON API: its language, JSON bodies, the one error shape, validators and CORS.

Every JSON response carries ``data_as_of`` and ``publication_version`` (in
the body and as X-Data-As-Of / X-Publication-Version headers). GET responses
have an ETag and a Last-Modified of the publication state and a short public
Cache-Control; errors are ``{"error": {"code", "message", "status"}}`` with
the message in the request's language (``?lang=``, then Accept-Language;
never a cookie: the API takes none).
"""

import hashlib
import json
import logging
from datetime import timezone
from decimal import Decimal
from functools import wraps

from flask import current_app, g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, default_exceptions

from portal.api import service
from portal.extensions import db, limiter
from portal.web import current_publication, is_connection_error

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 300

#: The machine code of each HTTP error that is not one of the API's own.
ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": (
        "ETag, Last-Modified, Link, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
        "X-Data-As-Of, X-Publication-Version"
    ),
}
CORS_PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


class ApiError(Exception):
    """An error the API answers with its own code and a translated message."""

    def __init__(self, status, code, message, parameter=None, headers=None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.headers = headers or {}


def api_language():
    """Return the language of an API request: ``?lang=``, then Accept-Language, then Chinese (no cookie)."""
    if "api_language" not in g:
        languages = current_app.config["LANGUAGES"]
        chosen = request.args.get("lang")
        if chosen not in languages:
            chosen = request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
        g.api_language = chosen
    return g.api_language


def _dumps(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value):
    # Scores and points that a service left as Decimal.
    if isinstance(value, Decimal):
        return service.number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _publication_headers(response, publication):
    fields = service.publication_fields(publication)
    version = fields["publication_version"]
    response.headers["X-Publication-Version"] = "" if version is None else str(version)
    response.headers["X-Data-As-Of"] = fields["data_as_of"] or ""


def json_response(payload, status=200, publication=None, with_publication_fields=True):
    """Return ``payload`` as a JSON response, with the publication fields in the body and the headers.

    ``with_publication_fields=False`` leaves the body as it is (a document of
    a fixed shape, such as the OpenAPI description): the headers still say.
    """
    body = {**payload, **service.publication_fields(publication)} if with_publication_fields else payload
    response = current_app.response_class(_dumps(body), status=status, mimetype="application/json")
    _publication_headers(response, publication)
    return response


def error_response(status, code, message, parameter=None, headers=None):
    """Return the API's error JSON: ``{"error": {code, message, status[, parameter]}}``."""
    error = {"code": code, "message": message, "status": status}
    if parameter is not None:
        error["parameter"] = parameter
    try:
        publication = current_publication()
    except Exception:  # an error response must not fail in turn
        publication = None
    response = json_response({"error": error}, status, publication)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_error_message(error):
    status = error.code
    if status == 404:
        return _("There is no such API endpoint. See /api/v1/openapi.json for the endpoints.")
    if status == 405:
        return _("This endpoint does not accept the %(method)s method.", method=request.method)
    if status == 413:
        return _("The request is too large.")
    if status == 429:
        return _("Too many requests. Wait a little and try again; see the Retry-After header.")
    if status == 415:
        return _("Send the request body as JSON (Content-Type: application/json).")
    if status >= 500:
        return _("Something went wrong on our side. Please try again later.")
    return _("The request could not be understood.")


def handle_http_error(error):
    """Answer an HTTP error under /api/v1 in the API's JSON shape."""
    with force_locale(api_language()):
        headers = {name: value for name, value in error.get_headers() if name.lower() in ("allow", "retry-after")}
        code = ERROR_CODES.get(error.code, "bad_request" if error.code < 500 else "internal_error")
        return error_response(error.code, code, _http_error_message(error), headers=headers)


def handle_api_error(error):
    return error_response(error.status, error.code, error.message, error.parameter, error.headers)


def handle_unexpected_error(error):
    """Answer an unexpected exception with a 500 JSON (logged, without details for the client)."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("API request failed: %s", request.path)
    db.session.rollback()
    with force_locale(api_language()):
        if isinstance(error, SQLAlchemyError) and is_connection_error(error):
            return error_response(
                503, "unavailable", _("The data is temporarily unavailable. Please try again later."),
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return error_response(500, "internal_error", _("Something went wrong on our side. Please try again later."))


# -- validators and CORS ----------------------------------------------------------------------


def _validators(publication, extra=()):
    """Return (etag, last_modified) of the current request for a publication state."""
    state = (publication.version, publication.data_as_of, api_language(), request.full_path, *extra)
    etag = hashlib.sha256(repr(state).encode()).hexdigest()[:32]
    last_modified = publication.data_as_of.replace(tzinfo=timezone.utc) if publication.data_as_of else None
    return etag, last_modified


def _not_modified(etag, last_modified):
    if request.if_none_match:
        return etag in request.if_none_match
    since = request.if_modified_since
    return since is not None and last_modified is not None and last_modified.replace(microsecond=0) <= since


def published_json(view=None, *, extra_state=None, publication_fields=True):
    """Serve a GET view's JSON in the request's language, with validators of the publication state.

    The view returns the payload (a dict). ``extra_state()``, if given, adds
    to what the ETag depends on (the search: the index version).
    A matching If-None-Match or If-Modified-Since is answered with a 304
    before the view runs.
    """
    if view is None:
        return lambda view: published_json(view, extra_state=extra_state, publication_fields=publication_fields)

    @wraps(view)
    def wrapper(*args, **kwargs):
        with force_locale(api_language()):
            publication = current_publication()
            if publication is None:
                raise ApiError(
                    503, "unavailable", _("The data is temporarily unavailable. Please try again later."),
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            etag, last_modified = _validators(publication, extra_state() if extra_state else ())
            if _not_modified(etag, last_modified):
                response = current_app.response_class(status=304)
                _publication_headers(response, publication)
            else:
                payload = view(*args, **kwargs)
                response = json_response(payload, 200, publication, publication_fields)
                if payload.get("next"):
                    # RFC 8288, for clients that page by headers.
                    response.headers["Link"] = f'<{payload["next"]}>; rel="next"'
            response.set_etag(etag)
            if last_modified is not None:
                response.last_modified = last_modified
            response.headers["Cache-Control"] = f"public, max-age={current_app.config['API_MAX_AGE']}"
            return response

    return wrapper


def is_api_path(path):
    """Tell whether a path is the JSON API's: everything under /api/ (the page /api itself is HTML)."""
    return path.startswith("/api/")


def add_api_headers(response):
    """Add CORS and Vary to every response of the JSON API (errors and preflights too)."""
    if not is_api_path(request.path):
        return response
    for name, value in CORS_HEADERS.items():
        response.headers[name] = value
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = response.headers.get("Allow", "GET, HEAD, OPTIONS")
        response.headers.update(CORS_PREFLIGHT_HEADERS)
    # The language of messages and labels comes from these.
    response.vary.add("Accept-Language")
    return response


def _api_rate_limit():
    return current_app.config["API_RATE_LIMIT"]


def serve_as_json_api(bp):
    """Give blueprint ``bp`` the JSON API's one rate limit per client address and its error shape.

    The limit is shared (scope "api") by every blueprint served so, not one per endpoint;
    preflights are free. Every HTTP error of the blueprint's routes is handled by code (an
    app-wide handler of the code would otherwise come first), then the API's own, then the rest.
    """
    limiter.shared_limit(_api_rate_limit, scope="api", methods=["GET", "HEAD", "POST"])(bp)
    for code in default_exceptions:
        if code >= 400:
            bp.register_error_handler(code, handle_http_error)
    bp.register_error_handler(ApiError, handle_api_error)
    bp.register_error_handler(Exception, handle_unexpected_error)
