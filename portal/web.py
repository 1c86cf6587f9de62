"""Cross-cutting web behaviour: error pages, security headers, template globals, /healthz."""

import logging
import re

from flask import Blueprint, current_app, g, jsonify, make_response, render_template, request, send_from_directory
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import default_exceptions
from werkzeug.routing import IntegerConverter

from portal.extensions import db, limiter
from portal.publication.state import read_publication
from portal import index_folder

log = logging.getLogger(__name__)

bp = Blueprint("web", __name__)

#: Status codes with a page of their own in templates/errors/.
ERROR_PAGES = (400, 404, 405, 413, 429, 500, 503)

#: Seconds a visitor is asked to wait when the portal database does not answer.
DATABASE_RETRY_AFTER = 30

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def abort_with_message(code, message):
    """Stop the request with ``code``; the error page shows ``message`` (already translated)."""
    error = default_exceptions[code](description=message)
    error.shown_to_visitor = True
    raise error


_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")


def requested_page():
    """Return the ?page= number (1 when absent), or stop with a 400 if it is not a whole number from 1 up."""
    value = request.args.get("page")
    if value is None:
        return 1
    if not _PAGE_NUMBER.fullmatch(value) or int(value) < 1:
        abort_with_message(400, _("The page number must be a whole number from 1 upwards."))
    return int(value)


def limit_request_body(max_bytes, form_fields=False):
    """Mark a view whose request body may not exceed ``max_bytes()`` bytes (read from the config per request).

    A larger body is refused with 413 before it is read, or as soon as a body
    of unknown length (chunked) passes the limit: never read to the end.
    ``form_fields=True`` lets a text field be as large as the body (a pasted
    list), instead of werkzeug's 500 KB for the fields of a form.
    """

    def mark(view):
        view.request_body_limit = max_bytes
        view.request_form_fields_limited_by_body = form_fields
        return view

    return mark


def _apply_request_body_limit(endpoint, values):
    # A URL value preprocessor runs before every before_request function, and
    # CSRFProtect's reads the form: the view's limit must be in place before that.
    view = current_app.view_functions.get(endpoint)
    limit = getattr(view, "request_body_limit", None)
    if limit is not None:
        request.max_content_length = limit()
        if view.request_form_fields_limited_by_body:
            request.max_form_memory_size = request.max_content_length


def current_publication():
    """Return the current Publication, read once per request; None if the database did not answer."""
    if "publication" not in g:
        try:
            g.publication = read_publication()
        except SQLAlchemyError:
            # Error pages use this too, and must render when the database is the error.
            log.warning("Could not read the publication state", exc_info=True)
            db.session.rollback()
            g.publication = None
    return g.publication


def page_window(page, pages, around=2):
    """Return the page numbers a pager links to: the first, the last and those near ``page``.

    ``None`` stands for a gap of two or more pages; a gap of one is shown as its page.
    """
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    window, previous = [], 0
    for number in shown:
        if number - previous == 2:
            window.append(previous + 1)
        elif number - previous > 2:
            window.append(None)
        window.append(number)
        previous = number
    return window


def _publication_context():
    publication = current_publication()
    return {
        "publication_available": publication is not None,
        "data_as_of": publication.data_as_of if publication else None,
        "published_count": publication.published_count if publication else None,
    }


def _error_page(error):
    # Werkzeug's own descriptions are English and technical: show only ours.
    message = error.description if getattr(error, "shown_to_visitor", False) else None
    response = make_response(render_template(f"errors/{error.code}.html", message=message), error.code)
    # Keep what the error says about itself (Allow on a 405, Retry-After on a 429).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _database_unavailable(error):
    """Answer 503 with Retry-After when the portal database is down; the pool reconnects by itself."""
    if not is_connection_error(error):
        raise error
    log.error("portal database unavailable: %s", type(error.orig).__name__ if error.orig else type(error).__name__)
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    g.publication = None
    response = make_response(render_template("errors/503.html", message=None), 503)
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def is_connection_error(error):
    """Whether a database error means the database did not answer (not a bug of ours)."""
    if getattr(error, "connection_invalidated", False):
        return True
    name = type(getattr(error, "orig", None)).__name__
    if name in ("OperationalError", "InterfaceError"):
        text = str(error.orig).lower()
        return not any(word in text for word in ("syntax", "no such table", "no such column", "does not exist"))
    return False


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        if name == "X-Frame-Options" and "frame-ancestors" in response.headers.get("Content-Security-Policy", ""):
            continue  # the view's own policy says who may frame it (the reconciliation preview)
        response.headers.setdefault(name, value)
    max_age = current_app.config["HSTS_MAX_AGE"]
    if max_age and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    return response


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=7 * 24 * 3600)


@bp.get("/healthz")
def healthz():
    """Report whether this node serves, the publication version, and whether its search index has caught up.

    ``status`` is ``ok``, ``degraded`` (the index reflects an older
    publication, or there is none: search still answers, checked against the
    database, but may miss organisations that joined the list) or
    ``unavailable`` (the portal database does not answer: 503). Degraded is
    200: the node serves correct pages and must stay behind the load
    balancer; monitoring alerts on the status.
    """
    publication = current_publication()
    if publication is None:
        response = jsonify(ok=False, status="unavailable")
        response.status_code = 503
    else:
        data_as_of = publication.data_as_of.isoformat() + "Z" if publication.data_as_of else None
        index_version = index_folder.index_version(current_app.config["INDEX_DIR"])
        caught_up = index_version is not None and index_version >= publication.version
        response = jsonify(
            ok=True,
            status="ok" if caught_up else "degraded",
            publication_version=publication.version,
            data_as_of=data_as_of,
            index_version=index_version,
            index_behind=None if index_version is None else max(0, publication.version - index_version),
        )
    response.headers["Cache-Control"] = "no-store"
    return response


class RowIdConverter(IntegerConverter):
    """``<row_id:name>``: a row's integer key in a URL, 1 to 2**31 - 1.

    PostgreSQL's ``integer`` refuses anything larger with an error (a 500), where SQLite answers
    nothing; a number out of that range is a 404 before any query, as an unknown row is.
    """

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


def init_app(app):
    app.url_map.converters["row_id"] = RowIdConverter  # before any blueprint's rules use it
    for code in ERROR_PAGES:
        app.register_error_handler(code, _error_page)
    app.register_error_handler(DBAPIError, _database_unavailable)
    app.after_request(_security_headers)
    app.url_value_preprocessor(_apply_request_body_limit)
    app.context_processor(_publication_context)
    app.add_template_global(page_window)
    limiter.exempt(bp)
    app.register_blueprint(bp)
