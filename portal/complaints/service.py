"""Complaints: validate, submit, acknowledge, look up, purge and export.

Plain arguments in, plain data out; no ``request``. Nothing here logs a
complaint's text or a complainant's contact details: only tracking numbers
and counts.
"""

import errno
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from portal import clock
from portal.clock import utcnow
from portal.complaints import crypto, evidence
from portal.complaints.deadlines import due_after_working_days
from portal.complaints.models import (
    CATEGORIES,
    FINAL_STATES,
    OPEN_STATES,
    Complaint,
    ComplaintEvent,
    Evidence,
)
from portal.extensions import db
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.uscc import check_uscc

log = logging.getLogger(__name__)

#: Crockford's base 32: no I, L, O or U, so that a code read aloud or copied by hand survives.
ACCESS_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ACCESS_CODE_GROUPS = 4
ACCESS_CODE_GROUP_LENGTH = 4  # 16 characters of 5 bits: 80 random bits
_ACCESS_CODE_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Fast enough for a rate-limited form; the code's 80 random bits are what protect it.
_ACCESS_CODE_HASH_METHOD = "pbkdf2:sha256:20000"
_DUMMY_HASH = generate_password_hash("0" * 16, method=_ACCESS_CODE_HASH_METHOD)

TRACKING_NUMBER = re.compile(r"^TS-(\d{8})-(\d{4,7})$")

_PHONE_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]{2,}$")
_EARLIEST_INCIDENT = date(1950, 1, 1)
CONTACT_NAME_MAX = 50


class ComplaintInvalid(ValueError):
    """The submission has errors: ``errors`` maps a field to a list of messages (translated)."""

    def __init__(self, errors):
        super().__init__("invalid complaint")
        self.errors = errors


#: OSError numbers that mean the evidence store cannot take files now.
_STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}


class StorageUnavailable(RuntimeError):
    """The evidence store cannot take the files (disk full, read-only): nothing was stored."""


class FormTokenError(ValueError):
    """The form's signed token is missing, forged, too fresh or too old; ``message`` is translated."""

    def __init__(self, reason, message):
        super().__init__(reason)
        self.reason = reason
        self.message = message


def _timezone_name():
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def local_date(utc_naive):
    """Return the Beijing date of a naive UTC time."""
    return clock.local_date(utc_naive, _timezone_name())


def _add_error(errors, name, message):
    errors.setdefault(name, []).append(message)


def _clean_text(text):
    """Normalise line ends and drop control characters other than tab and newline."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        character
        for character in text
        if character in "\n\t" or unicodedata.category(character) not in ("Cc", "Cs", "Co")
    ).strip()


# -- access codes ------------------------------------------------------------------


def generate_access_code():
    """Return a new access code, e.g. ``7KQ2-M9XD-4RTB-0HZP``."""
    length = ACCESS_CODE_GROUPS * ACCESS_CODE_GROUP_LENGTH
    characters = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _position in range(length))
    return "-".join(
        characters[start : start + ACCESS_CODE_GROUP_LENGTH]
        for start in range(0, len(characters), ACCESS_CODE_GROUP_LENGTH)
    )


def normalise_access_code(text):
    """Return an access code as typed, without spaces or hyphens, in upper case, with O/I/L folded."""
    text = unicodedata.normalize("NFKC", text or "").upper().translate(_ACCESS_CODE_FOLD)
    return re.sub(r"[\s\-–—_]", "", text)


def hash_access_code(code):
    return generate_password_hash(normalise_access_code(code), method=_ACCESS_CODE_HASH_METHOD)


def normalise_tracking_number(text):
    """Return a tracking number as typed, trimmed and in upper case (full-width folded)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).upper()


# -- the form's signed token: minimum fill time and idempotency key ------------------


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="complaints.form")


def issue_form_token(now=None):
    """Return a signed token carrying a new idempotency key and the time the form was shown."""
    now = now or utcnow()
    return _serializer().dumps({"k": secrets.token_urlsafe(24), "t": int(now.replace(tzinfo=UTC).timestamp())})


def read_form_token(token, now=None, check_fill_time=True):
    """Return the idempotency key of a form token; raise FormTokenError if it cannot be trusted."""
    now = now or utcnow()
    try:
        payload = _serializer().loads(token or "")
        key, issued = str(payload["k"]), int(payload["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise FormTokenError("invalid", _("The form could not be checked. Please fill it in again.")) from None
    age = now.replace(tzinfo=UTC).timestamp() - issued
    config = current_app.config
    if age > config["COMPLAINT_FORM_MAX_AGE_SECONDS"]:
        raise FormTokenError(
            "expired", _("The form was open for too long. Please check your entries and submit again.")
        )
    if check_fill_time and age < config["COMPLAINT_MIN_FILL_SECONDS"]:
        raise FormTokenError(
            "too_fast", _("The form was sent too quickly. Please check your entries and submit again.")
        )
    return key


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
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", _clean_text(text))).strip()


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


# -- validation -------------------------------------------------------------------------


def check_category(category, errors):
    if category not in CATEGORIES:
        _add_error(errors, "category", _("Choose the kind of problem."))
    return category


def check_description(text, errors):
    config = current_app.config
    description = _clean_text(text)
    low, high = config["COMPLAINT_DESCRIPTION_MIN"], config["COMPLAINT_DESCRIPTION_MAX"]
    if not description:
        _add_error(errors, "description", _("Describe what happened."))
    elif len(description) < low:
        _add_error(
            errors, "description", _("The description is too short: write at least %(count)s characters.", count=low)
        )
    elif len(description) > high:
        _add_error(
            errors,
            "description",
            _(
                "The description is too long: at most %(count)s characters (it has %(length)s).",
                count=high,
                length=len(description),
            ),
        )
    return description


def parse_incident_date(text, today, errors):
    """Return the date typed (YYYY-MM-DD) or None; add an error if it is invalid or in the future."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        _add_error(errors, "incident_on", _("Enter the date as year-month-day, for example 2026-03-15."))
        return None
    if value > today:
        _add_error(errors, "incident_on", _("The date of the incident cannot be in the future."))
    elif value < _EARLIEST_INCIDENT:
        _add_error(errors, "incident_on", _("The date of the incident is too far in the past."))
    return value


def normalise_phone(text):
    """Return a phone number without spaces, hyphens or +86, or None if it is not a Chinese number."""
    digits = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", text or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _PHONE_MOBILE.fullmatch(digits) or _PHONE_LANDLINE.fullmatch(digits):
        return digits
    return None


def check_contact(contact, anonymous, errors):
    """Return the cleaned contact dict (empty when anonymous); add errors for invalid fields."""
    contact = contact or {}
    name = _clean_text(contact.get("name")).replace("\n", " ")
    phone_text = (contact.get("phone") or "").strip()
    email = unicodedata.normalize("NFKC", contact.get("email") or "").strip()
    if anonymous:
        if name or phone_text or email:
            _add_error(
                errors,
                "contact",
                _("You chose to stay anonymous: leave the contact details empty, or choose to give them."),
            )
        return {}
    if len(name) > CONTACT_NAME_MAX:
        _add_error(
            errors, "contact_name", _("The name is too long (at most %(count)s characters).", count=CONTACT_NAME_MAX)
        )
    phone = None
    if phone_text:
        phone = normalise_phone(phone_text)
        if phone is None:
            _add_error(
                errors,
                "contact_phone",
                _("Enter a mobile number of 11 digits, or a landline with its area code, for example 010-12345678."),
            )
    if email and (len(email) > 254 or len(email.partition("@")[0]) > 64 or not _EMAIL.fullmatch(email)):
        _add_error(errors, "contact_email", _("Enter an e-mail address such as name@example.com."))
    if not phone_text and not email:
        _add_error(
            errors,
            "contact",
            _("Give a phone number or an e-mail address so that we can reply, or choose to stay anonymous."),
        )
    return {"name": name or None, "phone": phone, "email": email or None}


def check_fields(category, description, incident_on, contact, anonymous, errors, now=None):
    """Check every field but the organisation and the files; return the cleaned description, date and contact."""
    today = local_date(now or utcnow())
    check_category(category, errors)
    description = check_description(description, errors)
    if isinstance(incident_on, str) or incident_on is None:
        incident_on = parse_incident_date(incident_on, today, errors)
    elif incident_on > today:
        _add_error(errors, "incident_on", _("The date of the incident cannot be in the future."))
    contact = check_contact(contact, anonymous, errors)
    return description, incident_on, contact


def _uploads(files):
    return [(filename, stream) for filename, stream in files or () if filename]


def check_file_count(files, errors):
    """Check the number of uploads (``(filename, stream)`` pairs; empty file inputs skipped), reading none."""
    maximum = current_app.config["COMPLAINT_EVIDENCE_MAX_FILES"]
    if len(_uploads(files)) > maximum:
        _add_error(errors, "evidence", _("Attach at most %(count)s files.", count=maximum))


def prepare_files(files, errors):
    """Check and clean uploads (``(filename, stream)`` pairs; empty file inputs skipped)."""
    uploads = _uploads(files)
    if len(uploads) > current_app.config["COMPLAINT_EVIDENCE_MAX_FILES"]:
        check_file_count(files, errors)
        return []
    prepared = []
    for filename, stream in uploads:
        try:
            prepared.append(evidence.prepare_upload(filename, stream))
        except evidence.EvidenceError as error:
            _add_error(errors, "evidence", error.message)
    return prepared


# -- submission -------------------------------------------------------------------------


def next_tracking_number(now):
    """Return the next free tracking number of ``now``'s Beijing day: TS-YYYYMMDD-NNNN."""
    prefix = f"TS-{local_date(now):%Y%m%d}-"
    numbers = db.session.scalars(select(Complaint.tracking_number).where(Complaint.tracking_number.like(prefix + "%")))
    highest = max((int(number[len(prefix) :]) for number in numbers if number[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{highest + 1:04d}"


def _begin_write():
    """End the session's read transaction and begin one that writes.

    On SQLite the new transaction takes the write lock at once (BEGIN
    IMMEDIATE, waiting up to the busy timeout): a transaction that reads and
    then writes would fail with "database is locked" if another process
    wrote in between. PostgreSQL ignores the option.
    """
    db.session.commit()
    db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def find_by_idempotency_key(key):
    if not key:
        return None
    return db.session.scalars(select(Complaint).where(Complaint.idempotency_key == key)).first()


def submit_complaint(
    organisation,
    category,
    description,
    incident_on,
    files,
    contact,
    anonymous,
    idempotency_key,
    now=None,
    same_concern=False,
):
    """Validate and store a complaint with its evidence; return ``(complaint, access_code)``.

    ``organisation`` is an OrganisationChoice (see ``resolve_organisation``),
    ``incident_on`` a date or the text typed, ``files`` ``(filename, stream)``
    pairs, ``contact`` a dict of name, phone and email. When a complaint with
    ``idempotency_key`` exists (a double click, a resubmitted form), it is
    returned with ``access_code`` None and nothing new is stored. Raise
    ComplaintInvalid with every error found.

    The row, its first event and its files are on disk and committed when
    this returns; files of a failed transaction are deleted.
    """
    now = now or utcnow()
    existing = find_by_idempotency_key(idempotency_key)
    if existing is not None:
        return existing, None

    errors = {}
    if not isinstance(organisation, OrganisationChoice):
        _add_error(errors, "organisation_name", _("Enter the organisation's name or its unified social credit code."))
    description, incident_on, contact = check_fields(
        category, description, incident_on, contact, anonymous, errors, now
    )
    check_file_count(files, errors)
    if errors:
        # The form first: images are decoded (seconds of work, up to 100 MB) only for a form that can be accepted.
        raise ComplaintInvalid(errors)
    prepared = prepare_files(files, errors)
    if errors:
        raise ComplaintInvalid(errors)

    stored = [(evidence.new_stored_name(item.content_type), item) for item in prepared]
    written = []
    try:
        for stored_name, item in stored:
            # Listed before writing: a write that fails half-way (a full disk) is discarded too.
            written.append(stored_name)
            evidence.write_pending(stored_name, item.data)
        complaint, access_code = _insert(
            organisation,
            category,
            description,
            incident_on,
            stored,
            contact,
            anonymous,
            idempotency_key,
            now,
            same_concern,
        )
    except BaseException as error:
        db.session.rollback()
        for stored_name in written:
            evidence.discard(stored_name)
        if isinstance(error, OSError) and error.errno in _STORAGE_ERRORS:
            log.error("Evidence store unavailable (%s): a complaint was refused, nothing stored", error.strerror)
            raise StorageUnavailable(error.strerror) from None
        raise
    if access_code is None:
        # Another request with the same key committed first: ours is not needed.
        for stored_name in written:
            evidence.discard(stored_name)
        return complaint, None
    for stored_name in written:
        try:
            evidence.finalise(stored_name)
        except OSError:
            # Committed: cleanup_orphans or open_evidence finishes the rename.
            log.exception("Could not finish evidence file %s of %s", stored_name, complaint.tracking_number)
    log.info("Complaint %s submitted with %d evidence files", complaint.tracking_number, len(written))
    return complaint, access_code


def _insert(
    organisation, category, description, incident_on, stored, contact, anonymous, idempotency_key, now, same_concern
):
    config = current_app.config
    target = same_concern_target(organisation, category) if same_concern else None
    target_id = target.id if target is not None else None
    for _attempt in range(20):
        _begin_write()
        access_code = generate_access_code()
        complaint = Complaint(
            tracking_number=next_tracking_number(now),
            access_code_hash=hash_access_code(access_code),
            access_code_pending=crypto.encrypt(access_code),
            uscc=organisation.uscc,
            organisation_name=organisation.name,
            category=category,
            description=description,
            incident_on=incident_on,
            state="submitted",
            same_concern_as_id=target_id,
            created_at=now,
            updated_at=now,
            accept_due_at=due_after_working_days(now, config["COMPLAINT_ACCEPT_WORKING_DAYS"], _timezone_name()),
            anonymous=bool(anonymous),
            contact_name=crypto.encrypt(contact.get("name")),
            contact_phone=crypto.encrypt(contact.get("phone")),
            contact_email=crypto.encrypt(contact.get("email")),
            idempotency_key=idempotency_key or None,
        )
        complaint.events.append(
            ComplaintEvent(at=now, kind="transition", from_state=None, to_state="submitted", public=True)
        )
        for stored_name, item in stored:
            complaint.evidence.append(
                Evidence(
                    stored_name=stored_name,
                    original_name=item.original_name,
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                    created_at=now,
                )
            )
        db.session.add(complaint)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            existing = find_by_idempotency_key(idempotency_key)
            if existing is not None:
                return existing, None
            # Another complaint took this tracking number: take the next one.
            continue
        return complaint, access_code
    raise RuntimeError("could not allocate a tracking number")


def take_pending_access_code(complaint):
    """Return the access code not yet shown for ``complaint`` and forget it; None once shown."""
    if complaint.access_code_pending is None:
        return None
    _begin_write()
    # Read again inside the write transaction: two tabs must not both show it.
    token = complaint.access_code_pending
    if token is None:
        db.session.rollback()
        return None
    complaint.access_code_pending = None
    db.session.commit()
    try:
        return crypto.decrypt(token)
    except crypto.InvalidToken:
        log.warning("The pending access code of %s cannot be decrypted", complaint.tracking_number)
        return None


def contact_of(complaint):
    """Return a complaint's contact details decrypted: {"name", "phone", "email"} (values may be None).

    For staff pages only; never log the result.
    """
    return {
        "name": crypto.decrypt(complaint.contact_name),
        "phone": crypto.decrypt(complaint.contact_phone),
        "email": crypto.decrypt(complaint.contact_email),
    }


def find_by_tracking_number(tracking_number):
    return db.session.scalars(
        select(Complaint).where(Complaint.tracking_number == normalise_tracking_number(tracking_number))
    ).first()


# -- status lookup ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    state: str


@dataclass(frozen=True)
class PublicStatus:
    """What a complainant sees of their complaint: public states and texts, nothing else."""

    tracking_number: str
    organisation_name: str
    uscc: str | None
    category: str
    submitted_at: datetime
    state: str
    outcome: str | None
    rejection_reason: str | None
    public_reply: str | None
    accept_due_at: datetime | None
    conclude_due_at: datetime | None
    same_concern: bool
    evidence_count: int
    contact_given: bool
    timeline: list = field(default_factory=list)


def lookup(tracking_number, access_code):
    """Return the PublicStatus of a complaint if the access code matches, else None (constant time)."""
    number = normalise_tracking_number(tracking_number)
    code = normalise_access_code(access_code)
    complaint = None
    if TRACKING_NUMBER.fullmatch(number) and len(code) <= 64:
        complaint = db.session.scalars(select(Complaint).where(Complaint.tracking_number == number)).first()
    # Hash even when there is no such complaint, so that the time taken does not say which.
    stored_hash = complaint.access_code_hash if complaint is not None else _DUMMY_HASH
    # check_password_hash compares the digests in constant time (hmac.compare_digest).
    matches = check_password_hash(stored_hash, code)
    if complaint is None or not matches:
        return None
    timeline = [
        TimelineEntry(event.at, event.to_state)
        for event in complaint.events
        if event.public and event.kind == "transition" and event.to_state
    ]
    return PublicStatus(
        tracking_number=complaint.tracking_number,
        organisation_name=complaint.organisation_name,
        uscc=complaint.uscc,
        category=complaint.category,
        submitted_at=complaint.created_at,
        state=complaint.state,
        outcome=complaint.outcome if complaint.state == "concluded" else None,
        rejection_reason=complaint.rejection_reason if complaint.state == "rejected" else None,
        public_reply=complaint.public_reply if complaint.state == "concluded" else None,
        accept_due_at=complaint.accept_due_at if complaint.state == "submitted" else None,
        conclude_due_at=complaint.conclude_due_at if complaint.state in ("accepted", "investigating") else None,
        same_concern=complaint.same_concern_as_id is not None,
        evidence_count=len(complaint.evidence),
        contact_given=complaint.has_contact,
        timeline=timeline,
    )


# -- retention, clean-up and export ----------------------------------------------------------


def _ended_at(complaint):
    """Return when a rejected or concluded complaint reached that state."""
    if complaint.state == "concluded" and complaint.concluded_at:
        return complaint.concluded_at
    reached = [
        event.at for event in complaint.events if event.kind == "transition" and event.to_state == complaint.state
    ]
    return max(reached) if reached else (complaint.concluded_at or complaint.updated_at)


def purge_contacts(now=None):
    """Delete the contact details of complaints concluded or rejected more than the retention period ago.

    Each purge is recorded as a ComplaintEvent of kind ``purge``. Return the
    number of complaints purged. Safe to run at any time, and repeatedly.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["COMPLAINT_CONTACT_RETENTION_DAYS"])
    _begin_write()
    candidates = db.session.scalars(
        select(Complaint).where(
            Complaint.state.in_(FINAL_STATES),
            Complaint.contact_purged_at.is_(None),
            or_(
                Complaint.contact_name.is_not(None),
                Complaint.contact_phone.is_not(None),
                Complaint.contact_email.is_not(None),
            ),
        )
    ).all()
    purged = 0
    for complaint in candidates:
        if _ended_at(complaint) > cutoff:
            continue
        complaint.contact_name = complaint.contact_phone = complaint.contact_email = None
        complaint.contact_purged_at = now
        complaint.events.append(
            ComplaintEvent(
                at=now,
                kind="purge",
                from_state=complaint.state,
                to_state=complaint.state,
                note="Contact details deleted after the retention period.",
                public=False,
            )
        )
        purged += 1
    db.session.commit()
    if purged:
        log.info("Purged the contact details of %d complaints", purged)
    return purged


def clear_stale_access_codes(now=None):
    """Forget access codes whose acknowledgement page was never shown, once they are old; return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["COMPLAINT_PENDING_CODE_SECONDS"])
    _begin_write()
    stale = db.session.scalars(
        select(Complaint).where(Complaint.access_code_pending.is_not(None), Complaint.created_at <= cutoff)
    ).all()
    for complaint in stale:
        complaint.access_code_pending = None
    db.session.commit()
    return len(stale)


def cleanup(now=None):
    """Finish or delete files of interrupted submissions and forget stale access codes; return counts."""
    counts = evidence.cleanup_orphans(now=now)
    counts["access_codes_forgotten"] = clear_stale_access_codes(now)
    return counts


def export_concluded(since=None, until=None, now=None):
    """Yield the export of concluded complaints as dicts: a header, one per complaint, one per organisation.

    No personal data: no description, contact details, names typed by the
    public or staff notes. ``since``/``until`` bound ``concluded_at`` (naive UTC).
    """
    now = now or utcnow()
    conditions = [Complaint.state == "concluded"]
    if since:
        conditions.append(Complaint.concluded_at >= since)
    if until:
        conditions.append(Complaint.concluded_at < until)
    query = select(Complaint).where(*conditions).order_by(Complaint.concluded_at, Complaint.id)
    organisations = {}
    complaints = []
    for complaint in db.session.scalars(query):
        parent = complaint.same_concern_as.tracking_number if complaint.same_concern_as else None
        complaints.append(
            {
                "type": "complaint",
                "tracking_number": complaint.tracking_number,
                "uscc": complaint.uscc,
                "category": complaint.category,
                "outcome": complaint.outcome,
                "submitted_on": local_date(complaint.created_at).isoformat(),
                "concluded_on": local_date(complaint.concluded_at).isoformat() if complaint.concluded_at else None,
                "same_concern_as": parent,
            }
        )
        if complaint.uscc:
            summary = organisations.setdefault(
                complaint.uscc,
                {"type": "organisation", "uscc": complaint.uscc, "concluded": 0, "outcomes": {}, "categories": {}},
            )
            summary["concluded"] += 1
            outcome = complaint.outcome or "unknown"
            summary["outcomes"][outcome] = summary["outcomes"].get(outcome, 0) + 1
            summary["categories"][complaint.category] = summary["categories"].get(complaint.category, 0) + 1
    yield {
        "type": "export",
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "concluded_since": since.isoformat() + "Z" if since else None,
        "concluded_until": until.isoformat() + "Z" if until else None,
        "complaints": len(complaints),
        "organisations": len(organisations),
    }
    yield from complaints
    for uscc in sorted(organisations):
        yield organisations[uscc]
