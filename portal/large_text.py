"""长辈版 (large text): the pages for older readers, after 《互联网网站适老化通用设计规范》.

A reader turns it on from the link in every page's header (``/large-text/on``)
or by any URL with ``?large=1``; either sets a cookie that keeps it on until
``/large-text/off`` or ``?large=0``. No JavaScript is involved: the server
marks the page (``<html class="large-text">``) and the style sheet does the
rest (larger type and spacing, stronger contrast, larger targets, the short
navigation, no motion).
"""

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, has_request_context, redirect, request, url_for

from portal.i18n import is_safe_next

bp = Blueprint("large_text", __name__)

COOKIE = "large_text"
COOKIE_MAX_AGE = 365 * 24 * 3600
#: The URL argument that turns it on (1) or off (0) for this page and the next ones.
ARGUMENT = "large"


def _from_url():
    value = request.args.get(ARGUMENT)
    return {"1": True, "0": False}.get(value)


def is_on():
    """Tell whether the current request is shown in 长辈版 (False outside a request)."""
    if not has_request_context():
        return False
    from_url = _from_url()
    if from_url is not None:
        return from_url
    return request.cookies.get(COOKIE) == "1"


def _remember(response, on):
    response.set_cookie(
        COOKIE,
        "1" if on else "0",
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


@bp.get("/large-text/<any(on, off):state>")
def switch(state):
    """Turn 长辈版 on or off, remember it, and go back to the page the reader came from."""
    target = request.args.get("next", "")
    if not is_safe_next(target):
        target = url_for("orgs.home")
    response = redirect(target, code=303)
    _remember(response, state == "on")
    response.headers["Cache-Control"] = "no-store"
    return response


def _remember_url_choice(response):
    # ?large=1 or ?large=0 in a shared link is a choice too: keep it for the next pages.
    from_url = _from_url()
    if from_url is not None and (request.cookies.get(COOKIE) == "1") != from_url:
        _remember(response, from_url)
    if response.mimetype == "text/html":
        response.vary.add("Cookie")
    return response


def _context():
    on = is_on()
    query = [(key, value) for key, value in parse_qsl(request.query_string.decode("latin-1")) if key != ARGUMENT]
    next_path = request.path + ("?" + urlencode(query) if query else "")
    return {
        "large_text": on,
        "large_text_switch_url": url_for("large_text.switch", state="off" if on else "on", next=next_path),
    }


def init_app(app):
    app.register_blueprint(bp)
    app.after_request(_remember_url_choice)
    app.context_processor(_context)
