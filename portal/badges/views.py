"""/badge/<USCC>.svg: the live credit badge, the same neutral image for every code not in the public list."""

import hashlib

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _

from portal.badges.service import (
    GRADE_BOX,
    GRADE_SIZE,
    HEIGHT,
    LINE_SIZE,
    NAME_SIZE,
    PADDING,
    SITE_SIZE,
    badge_facts,
    badge_width,
)
from portal.i18n import HTML_LANG, current_language
from portal.uscc import check_uscc
from portal.web import abort_with_message, current_publication

bp = Blueprint("badges", __name__)

#: Seconds a browser or CDN may keep a badge (then it revalidates with its ETag).
BADGE_MAX_AGE = 3600
#: Longer than any code with spaces or hyphens typed in: a path this long is no code at all.
LONGEST_CODE = 40
# An image shown on other sites: no script, no style sheet, nothing fetched. Other
# sites may embed it (the portal's pages may not be framed or embedded: web.SECURITY_HEADERS).
BADGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cache-Control": f"public, max-age={BADGE_MAX_AGE}",
    # The language may come from the visitor's cookie (portal.i18n).
    "Vary": "Cookie",
}


@bp.get("/badge/<uscc>.svg", endpoint="svg")
def badge_svg(uscc):
    """Serve the badge of ``uscc`` (as typed: any text) as it stands in the current publication."""
    if len(uscc) > LONGEST_CODE:
        abort_with_message(404, _("A badge address ends with a unified social credit code and .svg."))
    publication = current_publication()
    data_as_of = publication.data_as_of if publication else None
    # Every code runs the same query: a malformed one, normalised, simply finds no row.
    facts = badge_facts(check_uscc(uscc).code, data_as_of, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    body = render_template("badges/badge.svg", **_badge_layout(facts)).encode()
    # The ETag is a hash of the publication state and the image, never of the code: every code not
    # in the list gets the same tag, and a sync gives every badge a new one (a cache revalidating
    # after it gets the new image, not a 304 for the old one).
    state = repr((publication.version, data_as_of) if publication else None).encode()
    etag = hashlib.sha256(state + b"\n" + body).hexdigest()[:32]
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype="image/svg+xml")
    response.set_etag(etag)
    response.headers.update(BADGE_HEADERS)
    return response


def _badge_layout(facts):
    """Return the template's values: the lines of text, the size and the link of the badge of ``facts``."""
    site = _("Beijing Social Organisation Credit Information Portal")
    day = format_date(facts.as_of, "long") if facts.as_of else None
    if facts.grade is None:
        main = _("Not in the grade A/B public list")
        detail = _("Data as of %(date)s", date=day) if day else ""
        title = _("Not in the grade A/B public list (data as of %(date)s)", date=day) if day else main
    else:
        main = facts.name
        if day:
            detail = _("Credit grade %(grade)s · data as of %(date)s", grade=facts.grade, date=day)
            title = _("%(name)s: credit grade %(grade)s (data as of %(date)s)", name=main, grade=facts.grade, date=day)
        else:
            detail = _("Credit grade %(grade)s", grade=facts.grade)
            title = _("%(name)s: credit grade %(grade)s", name=main, grade=facts.grade)
    lines = [(site, SITE_SIZE), (main, NAME_SIZE), (detail, LINE_SIZE)]
    listed = facts.grade is not None
    return {
        "lang": HTML_LANG.get(current_language(), current_language()),
        "title": title,
        "site": site,
        "main": main,
        "detail": detail,
        "grade": facts.grade,
        "width": badge_width(lines, listed),
        "height": HEIGHT,
        "sizes": {"site": SITE_SIZE, "main": NAME_SIZE, "detail": LINE_SIZE, "grade": GRADE_SIZE},
        "text_x": PADDING + (GRADE_BOX + PADDING if listed else 0),
        "grade_box": GRADE_BOX,
        "padding": PADDING,
    }
