"""The open data blueprint and what its pages share: the Atom type and its headers, the timezone, URLs without ?lang=."""

from flask import Blueprint, current_app

from portal.origin import public_url

bp = Blueprint("opendata", __name__)

ATOM_TYPE = "application/atom+xml"


def local_timezone():
    """Return the timezone of the portal's dates (Beijing)."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def url_without_lang(endpoint, **values):
    """Return an absolute URL without ``?lang=`` (sitemaps and robots.txt name pages once)."""
    return public_url(endpoint, lang=None, **values)


@bp.after_request
def _headers(response):
    if response.mimetype == ATOM_TYPE:
        # Feed titles and summaries are in the visitor's language.
        response.vary.update(("Accept-Language", "Cookie"))
        response.headers.setdefault("Cache-Control", "no-cache")
    return response
