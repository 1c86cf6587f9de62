"""The public JSON API (/api/v1) and its documentation page (/api).

The API reads only what the public may see (published organisations, the
list's changes, the rule sets) and takes no cookies or credentials, so it is
exempt from CSRF and open to every origin (CORS).
"""

from werkzeug.exceptions import default_exceptions


def _chain_error_handler(app, code, handle_api_error):
    """Answer ``code`` as API JSON under /api/ and leave other paths to the handler before.

    A URL under /api/ that matches no route (404), or a route with another
    method (405), never reaches the blueprint, so its handlers cannot answer it.
    """
    from flask import request

    from portal.api.http import is_api_path

    exception_class = default_exceptions[code]
    previous = app.error_handler_spec[None].get(code, {}).get(exception_class)

    def handler(error):
        if is_api_path(request.path):
            return handle_api_error(error)
        return previous(error) if previous is not None else error

    app.register_error_handler(code, handler)


def init_app(app):
    from portal.api import http, views
    from portal.extensions import csrf

    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.docs_bp)
    for code in (404, 405):
        _chain_error_handler(app, code, http.handle_http_error)
    app.after_request(http.add_api_headers)
