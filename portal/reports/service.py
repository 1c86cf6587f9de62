"""Verifiable credit reports: issue them, state their content canonically, verify them.

A report states what the portal published about one organisation at one
publication version. What it states is written down once as a canonical JSON
document (the *content*), hashed with SHA-256 and stored with a report
number. The printed report, the PDF and the verify page are all drawn from
that stored content, never from live data, so the hash printed on a report
is the hash of exactly what it shows.
"""

import hashlib
import json
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.clock import local_date
from portal.clock import utcnow
from portal.extensions import db
from portal.orgs import report as orgs_report
from portal.publication.models import Organisation
from portal.publication.state import read_publication
from portal.reports.models import IssuedReport

#: Names the kind and version of the content document; part of what is hashed.
CONTENT_FORMAT = "bj-social-organisation-credit-report/1"

#: Crockford's base32: no I, L, O or U, so a number read aloud or retyped is not misread.
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 16 random characters: 80 bits, so report numbers cannot be guessed or enumerated.
NUMBER_RANDOM_LENGTH = 16
NUMBER_PREFIX = "R"
NUMBER_LENGTH = len(NUMBER_PREFIX) + 1 + 8 + 1 + NUMBER_RANDOM_LENGTH
SHA256_LENGTH = 64

#: How many times issuing retries when a sync commits while a report is being written.
_ISSUE_ATTEMPTS = 3


# -- report numbers and hashes --------------------------------------------------------


def new_report_number(issued_on):
    """Return a fresh report number for a report issued on ``issued_on`` (a Beijing date): R-YYYYMMDD-<16 base32>."""
    random_part = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_RANDOM_LENGTH))
    return f"{NUMBER_PREFIX}-{issued_on:%Y%m%d}-{random_part}"


def normalise_report_number(text):
    """Return a typed report number in its canonical form, or None if it cannot be one.

    Full-width forms, spaces and case are forgiven, and after the "R" the
    letters O, I and L are read as the digits 0, 1 and 1 (they are not in
    the alphabet, and are how those digits are most often mistyped).
    """
    compact = "".join(unicodedata.normalize("NFKC", text or "").split()).upper()
    compact = compact.replace("—", "-").replace("–", "-")
    # O, I and L are not in the alphabet: they can only be mistyped 0, 1 and 1.
    compact = compact[:1] + compact[1:].translate(str.maketrans("OIL", "011"))
    if len(compact) != NUMBER_LENGTH:
        return None
    prefix, dash1, day, dash2, random_part = (
        compact[0],
        compact[1],
        compact[2:10],
        compact[10],
        compact[11:],
    )
    if prefix != NUMBER_PREFIX or dash1 != "-" or dash2 != "-" or not day.isascii() or not day.isdigit():
        return None
    try:
        datetime.strptime(day, "%Y%m%d")
    except ValueError:
        return None
    if any(character not in NUMBER_ALPHABET for character in random_part):
        return None
    return f"{prefix}-{day}-{random_part}"


def normalise_sha256(text):
    """Return a typed SHA-256 as 64 lower-case hex digits (spaces ignored), or None if it is not one."""
    compact = "".join(unicodedata.normalize("NFKC", text or "").split()).lower()
    if len(compact) != SHA256_LENGTH or any(character not in "0123456789abcdef" for character in compact):
        return None
    return compact


def canonical_json(content):
    """Return the canonical JSON text of a report's content: sorted keys, no spaces, UTF-8 characters as they are.

    Every value in the content is already a string, an integer, a boolean,
    null, a list or an object (numbers with decimals are strings), so the
    text is the same on every machine and every Python version.
    """
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def content_sha256(text):
    """Return the SHA-256 (hex) of a canonical JSON text, encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def grouped_hash(sha256, size=8):
    """Return a hash in groups of ``size`` characters, for reading and retyping."""
    return " ".join(sha256[index : index + size] for index in range(0, len(sha256), size))


# -- the content: what a report states ---------------------------------------------------


def _iso_utc(moment):
    return moment.replace(microsecond=0).isoformat() + "Z" if moment is not None else None


def _iso_date(day):
    return day.isoformat() if day is not None else None


def _decimal_text(value):
    """Return a number as a string with two decimals ("97.50"); None stays None."""
    if value is None:
        return None
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None


def _plain(value):
    """Return a breakdown view (Decimals, dates, nested lists and dicts) as plain JSON values."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def report_content(credit_report, publication, report_number, issued_at, language):
    """Return the content document of a report on ``credit_report`` (plain JSON values only)."""
    org = credit_report.organisation
    rule_set = credit_report.rule_set
    band = credit_report.band

    def dimension(item):
        return {
            "code": item.code,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "points": _decimal_text(item.points),
            "max_points": _decimal_text(item.max_points),
        }

    def event(item, current):
        event = item.event
        return {
            "event_id": event.event_id,
            "current": current,
            "item_code": event.item_code,
            "item_name_zh": item.item_name_zh,
            "item_name_en": item.item_name_en,
            "dimension_code": event.dimension_code,
            "description": event.description,
            "points": _decimal_text(event.points),
            "reporting_department": event.reporting_department,
            "legal_basis": event.legal_basis,
            "effective_on": _iso_date(event.effective_on),
            "expires_on": _iso_date(event.expires_on),
            "shown_until": _iso_date(item.window_end),
            "status": event.status,
        }

    evaluation = credit_report.evaluation
    return {
        "format": CONTENT_FORMAT,
        "report_number": report_number,
        "language": language,
        "issued_at": _iso_utc(issued_at),
        "publication": {"version": publication.version, "data_as_of": _iso_utc(publication.data_as_of)},
        "organisation": {
            "uscc": org.uscc,
            "name": org.name,
            "former_names": list(org.former_names or []),
            "org_type": org.org_type,
            "registration_authority": org.registration_authority,
            "district_code": org.district_code,
            "legal_representative": org.legal_representative,
            "registered_on": _iso_date(org.registered_on),
            "registration_status": org.registration_status,
            "address": org.address,
            "supervising_unit": org.supervising_unit,
            "business_scope": org.business_scope,
        },
        "credit": {
            "grade": org.grade,
            "score": _decimal_text(org.score),
            "assessed_at": _iso_utc(org.assessed_at),
            "rule_set": (
                {"version": rule_set.version, "name": rule_set.name, "is_demo": bool(rule_set.is_demo)}
                if rule_set is not None
                else ({"version": org.rule_set_version, "name": None, "is_demo": None} if org.rule_set_version else None)
            ),
            "band": (
                {"min_score": _decimal_text(band.min_score), "max_score": _decimal_text(band.max_score)}
                if band is not None
                else None
            ),
        },
        "breakdown": _plain(credit_report.breakdown),
        "dimensions": [dimension(item) for item in credit_report.dimensions + credit_report.unknown_dimensions],
        "history": [
            {
                "date": _iso_date(point.day),
                "published": point.published,
                "score": _decimal_text(point.score),
                "grade": point.grade,
            }
            for point in credit_report.history
        ],
        "events": [event(item, True) for item in credit_report.current_events]
        + [event(item, False) for item in credit_report.earlier_events],
        "list_entries": [
            {
                "entry_id": entry.entry_id,
                "list_type": entry.list_type,
                "reason": entry.reason,
                "listed_on": _iso_date(entry.listed_on),
                "listed_by": entry.listed_by,
                "removed_on": _iso_date(entry.removed_on),
                "removal_reason": entry.removal_reason,
            }
            for entry in credit_report.list_entries
        ],
        "evaluation": {
            "level": evaluation.level,
            "valid_from": _iso_date(evaluation.valid_from),
            "valid_until": _iso_date(evaluation.valid_until),
        },
    }


# -- issuing -------------------------------------------------------------------------------


def issue_day(timezone_name):
    """Return the day a report issued now is dated (the Beijing date of ``utcnow()``), as ``issue_report`` dates it."""
    return local_date(utcnow(), timezone_name)


def _issued_for(uscc, version, language, issued_on):
    return db.session.scalar(
        select(IssuedReport).where(
            IssuedReport.uscc == uscc,
            IssuedReport.publication_version == version,
            IssuedReport.language == language,
            IssuedReport.issued_on == issued_on,
        )
    )


def issue_report(uscc, language, timezone_name):
    """Return the IssuedReport of a published organisation at the current publication, or None.

    None if the organisation is not published (whatever the reason). A
    report already issued the same day for the same organisation,
    publication version and language is returned as it is, so that repeated
    downloads add no rows; the next day's report leaves out the minus items
    whose display window has ended.
    """
    for _attempt in range(_ISSUE_ATTEMPTS):
        publication = read_publication()
        issued_at = utcnow()
        issued_on = local_date(issued_at, timezone_name)
        existing = _issued_for(uscc, publication.version, language, issued_on)
        if existing is not None:
            # Reused only while the organisation is still published (it is, if the version has not moved).
            return existing if _still_published(uscc) else None
        credit_report = orgs_report.credit_report(uscc, issued_on, timezone_name)
        if credit_report is None:
            return None
        if read_publication().version != publication.version:
            # A sync committed while the report was read: read it again at the new version.
            db.session.rollback()
            continue
        number = new_report_number(local_date(issued_at, timezone_name))
        text = canonical_json(report_content(credit_report, publication, number, issued_at, language))
        report = IssuedReport(
            report_number=number,
            uscc=uscc,
            language=language,
            issued_at=issued_at.replace(microsecond=0),
            issued_on=issued_on,
            publication_version=publication.version,
            data_as_of=publication.data_as_of,
            sha256=content_sha256(text),
            content=text,
        )
        db.session.add(report)
        try:
            db.session.commit()
        except IntegrityError:
            # Another request issued the same report first: use theirs.
            db.session.rollback()
            continue
        return report
    raise RuntimeError(f"could not issue a report for {uscc} in {_ISSUE_ATTEMPTS} attempts")


def _still_published(uscc):
    return db.session.scalar(select(Organisation.is_published).where(Organisation.uscc == uscc)) is True


def stated(report):
    """Return the content document a report stated (parsed from its stored canonical JSON)."""
    return json.loads(report.content)


# -- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentStanding:
    """What the public list says now about the organisation of a report.

    ``published`` False means no longer in the public list: then nothing else
    is given, so the verify page cannot show a grade the public may not see.
    """

    published: bool
    grade: str | None = None
    score: object = None
    name: str | None = None
    publication_version: int | None = None


@dataclass(frozen=True)
class Verification:
    report: IssuedReport
    content: dict
    intact: bool  # the stored content still hashes to the stored hash
    given_sha256: str | None  # the hash the visitor typed, normalised
    current: CurrentStanding

    @property
    def hash_matches(self):
        """True or False if a hash was given, None otherwise."""
        if self.given_sha256 is None:
            return None
        return self.given_sha256 == self.report.sha256

    @property
    def stated_grade(self):
        return self.content["credit"]["grade"]

    @property
    def grade_changed(self):
        return self.current.published and self.current.grade != self.stated_grade

    @property
    def score_changed(self):
        return self.current.published and _decimal_text(self.current.score) != self.content["credit"]["score"]


def find_report(number):
    """Return the IssuedReport with this (canonical) number, or None."""
    return db.session.scalar(select(IssuedReport).where(IssuedReport.report_number == number))


def current_standing(uscc):
    """Return the CurrentStanding of an organisation: its grade only if it is published now."""
    org = db.session.execute(
        select(Organisation.is_published, Organisation.grade, Organisation.score, Organisation.name).where(
            Organisation.uscc == uscc
        )
    ).first()
    if org is None or not org.is_published:
        return CurrentStanding(published=False)
    return CurrentStanding(True, org.grade, org.score, org.name, read_publication().version)


def verify(number, given_sha256=None):
    """Return the Verification of the report with this canonical number, or None if none was issued."""
    report = find_report(number)
    if report is None:
        return None
    intact = content_sha256(report.content) == report.sha256
    content = stated(report) if intact else {}
    return Verification(report, content, intact, given_sha256, current_standing(report.uscc))
