"""Languages: Chinese first, complete English (Flask-Babel 4).

The locale of a public page is, in order: ``?lang=``, the ``lang`` cookie set
by ``/lang/<code>`` (the visitor's explicit choice, remembered for a year),
then Chinese, whatever the browser's Accept-Language says: a Beijing
government portal is Chinese first, with English on request. A ``?lang=`` in
the URL is carried into every link the page makes, so a visitor who arrives on
an English URL stays in English without a cookie.

The JSON API (machine clients, content negotiation) and the staff console (a
signed-in tool, not a public page) also follow Accept-Language after those two.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, abort, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale

from portal.extensions import babel
from portal.origin import public_path_url, public_url

bp = Blueprint("i18n", __name__)

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

#: The value of <html lang> and hreflang for each catalog.
HTML_LANG = {"zh": "zh-CN", "en": "en"}
#: Each language's name in itself: a switch link is read by someone who
#: does not understand the current language.
NATIVE_NAMES = {"zh": "中文", "en": "English"}

#: Blueprints that honour the browser's Accept-Language when no language was chosen.
NEGOTIATING_BLUEPRINTS = frozenset({"api", "staff"})

# Endpoints whose URLs never carry ?lang=.
_NO_LANG_ENDPOINTS = {"static", "i18n.set_language", "web.healthz"}


def _valid(code):
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale():
    """Return the locale code of the current request (the default outside a request, e.g. in the CLI)."""
    if not has_request_context():
        return None
    chosen = _valid(request.args.get("lang")) or _valid(request.cookies.get(LANG_COOKIE))
    if chosen:
        return chosen
    if request.blueprint in NEGOTIATING_BLUEPRINTS:
        negotiated = request.accept_languages.best_match(current_app.config["LANGUAGES"])
        if negotiated:
            return negotiated
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    """Return the display timezone: Beijing time for every visitor, in any language."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language():
    """Return the code of the current request's catalog, e.g. ``"zh"``."""
    return get_locale().language


def is_safe_next(target):
    """Tell whether ``target`` is a path on this site (not an absolute or protocol-relative URL)."""
    if not target or len(target) > 2000 or "\\" in target:
        return False
    if any(ord(character) < 32 or ord(character) == 127 for character in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def _without_lang(path_and_query):
    """Drop ``lang`` from a path's query, so that the cookie decides after a switch."""
    parts = urlsplit(path_and_query)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "lang"]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def url_for_current(**changes):
    """Return the URL of the current page with query arguments changed (``None`` removes one).

    Arguments starting with ``_`` are url_for's options; ``_external=True`` gives the
    absolute URL on the public site (PUBLIC_BASE_URL, never the request's Host).
    """
    options = {key: changes.pop(key) for key in list(changes) if key.startswith("_")}
    external = options.pop("_external", False)
    arguments = request.args.copy()
    for key, value in changes.items():
        arguments.pop(key, None)
        if value is not None:
            arguments[key] = value
    if request.endpoint is None:
        # No route matched (an error page): the path itself is the page.
        query = urlencode(list(arguments.items(multi=True)))
        path = request.path + ("?" + query if query else "")
        return public_path_url(path) if external else path
    build = public_url if external else url_for
    return build(request.endpoint, **(request.view_args or {}), **arguments.to_dict(flat=False), **options)


@bp.get("/lang/<code>")
def set_language(code):
    """Remember a language in a cookie and go back to the page the visitor came from."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    target = request.args.get("next", "")
    target = _without_lang(target) if is_safe_next(target) else url_for("orgs.home")
    response = redirect(target, code=303)
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=LANG_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _carry_lang(endpoint, values):
    """Keep an explicit ``?lang=`` in the links of the page it chose."""
    if endpoint in _NO_LANG_ENDPOINTS or "lang" in values or not has_request_context():
        return
    chosen = _valid(request.args.get("lang"))
    if chosen:
        values["lang"] = chosen


def _vary_by_language(response):
    # A page's language depends on these two headers; caches must key on them.
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def _language_context():
    language = current_language()
    next_path = _without_lang(request.full_path)
    return {
        "current_language": language,
        "default_language": current_app.config["BABEL_DEFAULT_LOCALE"],
        "html_lang": HTML_LANG.get(language, language),
        # Every language, for hreflang alternates and the switch link to the others.
        "languages": [
            {
                "code": code,
                "name": NATIVE_NAMES.get(code, code),
                "html_lang": HTML_LANG.get(code, code),
                "switch_url": url_for("i18n.set_language", code=code, next=next_path),
            }
            for code in current_app.config["LANGUAGES"]
        ],
        "url_for_current": url_for_current,
    }


def init_app(app):
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.register_blueprint(bp)
    app.url_defaults(_carry_lang)
    app.after_request(_vary_by_language)
    app.context_processor(_language_context)
