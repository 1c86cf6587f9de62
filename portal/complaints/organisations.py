"""The organisation a complaint is about: what was typed, the public list's match, suggestions and similar complaints."""

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.complaints.models import Complaint
from portal.complaints.workflow import ANSWERED_STATES, OPEN_STATES, OUTCOMES
from portal.complaints.validation import ComplaintInvalid, clean_text
from portal.extensions import db
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.uscc import check_uscc


# -- organisations --------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationChoice:
    """The organisation a complaint is about: a USCC when known, and a name.

    ``published``: found on the public list (its name is the registered one);
    otherwise the name is as the complainant typed it.
    """

    uscc: str | None
    name: str
    published: bool


def _organisation_name(text):
    # Control characters first: a NUL cannot even reach PostgreSQL in a query.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", clean_text(text))).strip()


def _invalid_name(message):
    return ComplaintInvalid({"organisation_name": [message]})


def resolve_organisation(uscc_text, name_text):
    """Return the OrganisationChoice for what was typed; raise ComplaintInvalid if it cannot be used.

    A published organisation is found by its USCC or by its exact name, and
    its registered name is used. Any other valid USCC, or any name, is
    accepted as typed (a code not on the list needs the name): whether such a
    code is registered, unpublished or unknown is never looked at here, so no
    answer can differ between them. Staff see the match in the console
    (``register_match``).
    """
    name = _organisation_name(name_text)
    uscc_text = (uscc_text or "").strip()
    if uscc_text:
        checked = check_uscc(uscc_text)
        if checked.problem == "length":
            message = _("The unified social credit code must have 18 characters.")
        elif checked.problem == "characters":
            message = _("The unified social credit code contains characters that are not allowed.")
        elif checked.problem:
            message = _("The unified social credit code is not valid: its check character does not match.")
        else:
            message = None
        if message:
            raise ComplaintInvalid({"uscc": [message]})
        # The public list only: nothing said here may tell a registered but unpublished
        # organisation (graded C or D, cancelled) from an unknown code.
        organisation = db.session.scalar(select(Organisation).where(Organisation.uscc == checked.code, PUBLISHED))
        if organisation is not None:
            return OrganisationChoice(organisation.uscc, organisation.name, True)
        if not name:
            raise _invalid_name(
                _("This code is not on the list of published organisations. Enter the organisation's name as well.")
            )
        if len(name) > 200:
            raise _invalid_name(_("The organisation's name is too long (at most 200 characters)."))
        return OrganisationChoice(checked.code, name, False)
    if not name:
        raise _invalid_name(_("Enter the organisation's name or its unified social credit code."))
    if len(name) > 200:
        raise _invalid_name(_("The organisation's name is too long (at most 200 characters)."))
    matches = db.session.scalars(select(Organisation).where(Organisation.name == name, PUBLISHED).limit(2)).all()
    if len(matches) == 1:
        return OrganisationChoice(matches[0].uscc, matches[0].name, True)
    return OrganisationChoice(None, name, False)


@dataclass(frozen=True)
class RegisterMatch:
    """What the portal knows of the organisation a complaint names by its USCC: for staff pages only."""

    uscc: str
    name: str
    grade: str | None
    published: bool
    registration_status: str
    in_source: bool


def register_match(uscc):
    """Return the RegisterMatch of ``uscc`` among every organisation synced (published or not), or None."""
    if not uscc:
        return None
    organisation = db.session.get(Organisation, uscc)
    if organisation is None:
        return None
    return RegisterMatch(
        uscc=organisation.uscc,
        name=organisation.name,
        grade=organisation.grade,
        published=bool(organisation.is_published),
        registration_status=organisation.registration_status,
        in_source=bool(organisation.in_source),
    )


def _like_pattern(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def suggest_organisations(query, limit=10):
    """Return up to ``limit`` published organisations matching ``query``: name and USCC only.

    Only the public list is suggested (exact, prefix, then shortest name
    first): an unpublished organisation is never named. Others can still be
    typed in (see ``resolve_organisation``).
    """
    text = _organisation_name(query)[:100]
    if not text or (text.isascii() and len(text) < 2):
        return []
    pattern = _like_pattern(text)
    code = text.upper()
    conditions = [Organisation.name.like(f"%{pattern}%", escape="\\")]
    if re.fullmatch(r"[0-9A-Z]{2,18}", code):
        conditions.append(Organisation.uscc.like(f"{_like_pattern(code)}%", escape="\\"))
    not_exact = Organisation.name != text
    not_prefix = ~Organisation.name.like(f"{pattern}%", escape="\\")
    rows = db.session.execute(
        select(Organisation.name, Organisation.uscc)
        .where(PUBLISHED, or_(*conditions))
        .order_by(not_exact, not_prefix, func.length(Organisation.name), Organisation.name, Organisation.uscc)
        .limit(limit)
    ).all()
    return [{"name": name, "uscc": uscc} for name, uscc in rows]


# -- similar complaints -----------------------------------------------------------------


def _same_target(organisation, category):
    conditions = [Complaint.category == category, Complaint.state.in_(OPEN_STATES)]
    if organisation.uscc:
        conditions.append(Complaint.uscc == organisation.uscc)
    else:
        conditions.append(Complaint.uscc.is_(None))
        conditions.append(Complaint.organisation_name == organisation.name)
    return conditions


@dataclass(frozen=True)
class SimilarComplaints:
    """Open complaints about one organisation and category: counts only, never their content."""

    complaints: int
    people: int

    def __bool__(self):
        return self.complaints > 0


def similar_open_complaints(organisation, category):
    """Count the open complaints about ``organisation`` in ``category`` (first filings, and everyone)."""
    conditions = _same_target(organisation, category)
    people = db.session.scalar(select(func.count()).select_from(Complaint).where(*conditions)) or 0
    first = db.session.scalar(
        select(func.count()).select_from(Complaint).where(*conditions, Complaint.same_concern_as_id.is_(None))
    ) or 0
    return SimilarComplaints(complaints=first, people=people)


def same_concern_target(organisation, category):
    """Return the oldest open first filing about ``organisation`` in ``category``, or None."""
    return db.session.scalars(
        select(Complaint)
        .where(*_same_target(organisation, category), Complaint.same_concern_as_id.is_(None))
        .order_by(Complaint.created_at, Complaint.id)
        .limit(1)
    ).first()


@dataclass(frozen=True)
class PublicOutcomes:
    """The public outcomes of earlier complaints about a published organisation: counts and the latest answers.

    ``latest`` holds (answered_at, category, outcome) only: never a text, a
    name or a tracking number.
    """

    counts: dict
    latest: list

    def __bool__(self):
        return bool(self.latest)


def public_outcomes(organisation, limit=5):
    """Return the PublicOutcomes of ``organisation`` (an OrganisationChoice), or None unless it is published."""
    if not organisation.published or not organisation.uscc:
        return None
    answered = (Complaint.uscc == organisation.uscc, Complaint.state.in_(ANSWERED_STATES), Complaint.outcome.is_not(None))
    counts = dict(
        db.session.execute(select(Complaint.outcome, func.count(Complaint.id)).where(*answered).group_by(Complaint.outcome)).all()
    )
    latest = db.session.execute(
        select(Complaint.answered_at, Complaint.category, Complaint.outcome)
        .where(*answered)
        .order_by(Complaint.answered_at.desc(), Complaint.id.desc())
        .limit(limit)
    ).all()
    return PublicOutcomes(counts={code: counts.get(code, 0) for code in OUTCOMES}, latest=[tuple(row) for row in latest])
