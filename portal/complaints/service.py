"""Complaints: submit, acknowledge and look up.

Plain arguments in, plain data out; no ``request``. Nothing here logs a
complaint's text or a complainant's contact details: only tracking numbers
and counts. The checks of the fields are in ``validation``, the organisation
in ``organisations``, the codes in ``codes``, retention in ``retention``.
"""

import errno
import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from portal.clock import utcnow
from portal.complaints import crypto, evidence, workflow
from portal.complaints.codes import (
    DUMMY_ACCESS_CODE_HASH,
    TRACKING_NUMBER,
    generate_access_code,
    hash_access_code,
    normalise_access_code,
    normalise_tracking_number,
)
from portal.complaints.models import Complaint, ComplaintEvent, Evidence
from portal.complaints.organisations import OrganisationChoice, same_concern_target
from portal.complaints.validation import (
    ComplaintInvalid,
    add_error,
    check_fields,
    check_file_count,
    local_date,
    prepare_files,
)
from portal.extensions import db

log = logging.getLogger(__name__)

#: OSError numbers that mean the evidence store cannot take files now.
_STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}


class StorageUnavailable(RuntimeError):
    """The evidence store cannot take the files (disk full, read-only): nothing was stored."""



def next_tracking_number(now):
    """Return the next free tracking number of ``now``'s Beijing day: TS-YYYYMMDD-NNNN."""
    prefix = f"TS-{local_date(now):%Y%m%d}-"
    numbers = db.session.scalars(select(Complaint.tracking_number).where(Complaint.tracking_number.like(prefix + "%")))
    highest = max((int(number[len(prefix) :]) for number in numbers if number[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{highest + 1:04d}"


def begin_write():
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
        add_error(errors, "organisation_name", _("Enter the organisation's name or its unified social credit code."))
    description, incident_on, contact = check_fields(
        category, description, incident_on, contact, anonymous, errors, now
    )
    check_file_count(files, errors)
    if errors:
        # The form first: images are decoded (seconds of work, up to 100 MB) only for a form that can be accepted.
        raise ComplaintInvalid(errors)
    rejected = []
    prepared = prepare_files(files, errors, rejected)
    if errors:
        raise ComplaintInvalid(errors, rejected)

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
    target = same_concern_target(organisation, category) if same_concern else None
    target_id = target.id if target is not None else None
    for _attempt in range(20):
        begin_write()
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
            accept_due_at=workflow.deadline_for("acknowledge", now),
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
    begin_write()
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
    answer_due_at: datetime | None
    transfer_unit: str | None
    transfer_note: str | None
    extension_reason: str | None
    review_due_at: datetime | None
    #: Until when the complainant may ask for a review (None: not now).
    review_request_until: datetime | None
    review_reason: str | None
    review_result: str | None
    review_decision: str | None
    same_concern: bool
    evidence_count: int
    contact_given: bool
    timeline: list = field(default_factory=list)


def find_with_access_code(tracking_number, access_code):
    """Return the complaint if the access code matches, else None (constant time)."""
    number = normalise_tracking_number(tracking_number)
    code = normalise_access_code(access_code)
    complaint = None
    if TRACKING_NUMBER.fullmatch(number) and len(code) <= 64:
        complaint = db.session.scalars(select(Complaint).where(Complaint.tracking_number == number)).first()
    # Hash even when there is no such complaint, so that the time taken does not say which.
    stored_hash = complaint.access_code_hash if complaint is not None else DUMMY_ACCESS_CODE_HASH
    # check_password_hash compares the digests in constant time (hmac.compare_digest).
    matches = check_password_hash(stored_hash, code)
    if complaint is None or not matches:
        return None
    return complaint


def lookup(tracking_number, access_code, now=None):
    """Return the PublicStatus of a complaint if the access code matches, else None (constant time)."""
    complaint = find_with_access_code(tracking_number, access_code)
    if complaint is None:
        return None
    return public_status(complaint, now)


def public_status(complaint, now=None):
    """Return what the complainant sees of ``complaint``: the public states and texts of the workflow table."""
    now = now or utcnow()
    state = complaint.state
    answered = state in workflow.ANSWERED_STATES
    may_request_review = (
        state == "answered" and complaint.review_requested_at is None
        and complaint.review_request_until is not None and complaint.review_request_until > now
    )
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
        outcome=complaint.outcome if answered else None,
        rejection_reason=complaint.rejection_reason if state == "rejected" else None,
        public_reply=complaint.public_reply if answered else None,
        accept_due_at=complaint.accept_due_at if state == "submitted" else None,
        answer_due_at=complaint.answer_due_at if state in workflow.HANDLING_STATES else None,
        transfer_unit=complaint.transfer_unit,
        transfer_note=complaint.transfer_note,
        extension_reason=complaint.extension_reason,
        review_due_at=complaint.review_due_at if state == "reviewing" else None,
        review_request_until=complaint.review_request_until if may_request_review else None,
        review_reason=complaint.review_reason,
        review_result=complaint.review_result if state == "concluded" else None,
        review_decision=complaint.review_decision if state == "concluded" else None,
        same_concern=complaint.same_concern_as_id is not None,
        evidence_count=len(complaint.evidence),
        contact_given=complaint.has_contact,
        timeline=timeline,
    )
