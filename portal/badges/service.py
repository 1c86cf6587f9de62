"""What a badge says: the facts of a listed organisation, the badge's layout, and the snippet to embed it."""

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import bindparam, select

from portal.clock import local_date
from portal.extensions import db
from portal.i18n import current_language
from portal.origin import public_url
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED

#: The badge's text sizes (px): the site's name, the organisation's name or the neutral line, the grade line.
SITE_SIZE, NAME_SIZE, LINE_SIZE, GRADE_SIZE = 11, 14, 12, 26
#: Width of the grade's square and the padding around the text (px).
GRADE_BOX, PADDING = 44, 10
HEIGHT = 64

# The one query of every badge: a code that is not listed (unknown, malformed,
# C-graded, cancelled) runs exactly the same statement and finds no row.
_LISTED = select(Organisation.uscc, Organisation.name, Organisation.grade).where(
    PUBLISHED, Organisation.uscc == bindparam("code")
)


@dataclass(frozen=True)
class BadgeFacts:
    """What a badge shows: ``grade`` None means "not in the A/B public list" (nothing else is told)."""

    as_of: date | None
    grade: str | None = None
    name: str | None = None
    uscc: str | None = None


def badge_facts(code, data_as_of, timezone_name):
    """Return the BadgeFacts of ``code`` (any text) in the current publication, read at ``data_as_of`` (UTC)."""
    as_of = local_date(data_as_of, timezone_name) if data_as_of else None
    row = db.session.execute(_LISTED, {"code": code}).first()
    if row is None:
        return BadgeFacts(as_of)
    return BadgeFacts(as_of, row.grade, row.name, row.uscc)


def text_width(text, size):
    """Return an estimate of the width of ``text`` at ``size`` px: CJK characters are square, others narrower."""
    return sum(size if unicodedata.east_asian_width(character) in "WF" else size * 0.62 for character in text)


def badge_width(lines, grade_box):
    """Return the badge's width for its text ``lines`` ((text, size) pairs), beside the grade's square or not."""
    text = max(text_width(line, size) for line, size in lines)
    return round(text + 2 * PADDING + (GRADE_BOX + PADDING if grade_box else 0))


def badge_snippet(image_url, report_url, alt):
    """Return the HTML an organisation pastes into its website: the badge image, linking to its credit report."""
    return (
        f'<a href="{escape(report_url)}">'
        f'<img src="{escape(image_url)}" alt="{escape(alt)}" height="{HEIGHT}" loading="lazy"></a>'
    )


@dataclass(frozen=True)
class ReportBadge:
    """The badge as the credit report offers it: its image, and the snippet to copy."""

    image_path: str
    alt: str
    snippet: str


def report_badge(uscc, name):
    """Return the ReportBadge of a published organisation, in the current page's language.

    The snippet's addresses are absolute (PUBLIC_BASE_URL) and ask for the
    page's language only if it is not the default one.
    """
    language = current_language()
    chosen = {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}
    alt = _("%(name)s: credit grade and credit report on the Beijing Social Organisation Credit Information Portal", name=name)
    snippet = badge_snippet(
        public_url("badges.svg", uscc=uscc, **chosen), public_url("orgs.report", uscc=uscc, **chosen), alt
    )
    return ReportBadge(url_for("badges.svg", uscc=uscc, **chosen), alt, snippet)
