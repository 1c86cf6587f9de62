"""Complaints about organisations, their evidence files and their timeline.

The complainant's contact details are Fernet tokens (see ``crypto``), the
access code is stored only as a hash, and evidence files live outside the web
root. Times are naive UTC.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

# States, outcomes and the steps between them: portal.complaints.workflow.

CATEGORIES = {
    "illegal_fundraising": _l("Illegal fundraising"),
    "financial_opacity": _l("Financial opacity"),
    "false_advertising": _l("False advertising"),
    "service_quality": _l("Service quality"),
    "false_information": _l("False information"),
    "other": _l("Other"),
}


class Complaint(db.Model):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # TS-YYYYMMDD-NNNN (the date is the submission day in the portal's time zone).
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    # Hash of the access code (see service.hash_access_code); the code itself is shown once.
    access_code_hash: Mapped[str] = mapped_column(String(128))
    # The access code, encrypted like the contact details, only until the acknowledgement
    # page has shown it once (so a lost response to a double click does not lose the code).
    access_code_pending: Mapped[bytes | None] = mapped_column(LargeBinary)

    # The organisation: a USCC when it is known (registered or at least valid), and the name.
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    incident_on: Mapped[date | None] = mapped_column(Date)

    state: Mapped[str] = mapped_column(String(16), default="submitted")
    outcome: Mapped[str | None] = mapped_column(String(24))
    rejection_reason: Mapped[str | None] = mapped_column(Text)  # public
    public_reply: Mapped[str | None] = mapped_column(Text)  # public
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # A complaint the complainant added to an existing one ("same concern").
    same_concern_as_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))

    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(DateTime)
    accept_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The answer (outcome and public reply) and who gave it: a review is decided by another supervisor.
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # A transfer (转办): the receiving unit and the public note of where the complaint went.
    transfer_unit: Mapped[str | None] = mapped_column(String(200))
    transfer_note: Mapped[str | None] = mapped_column(Text)  # public
    # The answer deadline, extended once with a public reason.
    extended_at: Mapped[datetime | None] = mapped_column(DateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)  # public
    # Escalated to a supervisor by its handler (cleared by the next step a supervisor takes).
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The review (复核): asked for once, by the complainant, until review_request_until.
    review_request_until: Mapped[datetime | None] = mapped_column(DateTime)
    review_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)  # the complainant's; shown to them
    review_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_result: Mapped[str | None] = mapped_column(String(16))
    review_decision: Mapped[str | None] = mapped_column(Text)  # public

    # Contact details: Fernet tokens, or NULL (anonymous, not given, or purged).
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_email: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_purged_at: Mapped[datetime | None] = mapped_column(DateTime)

    # The hidden form key: a resubmitted form finds the complaint it already made.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    evidence: Mapped[list["Evidence"]] = relationship(
        back_populates="complaint", order_by="Evidence.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["ComplaintEvent"]] = relationship(
        back_populates="complaint", order_by="(ComplaintEvent.at, ComplaintEvent.id)", cascade="all, delete-orphan"
    )
    same_concern_as: Mapped["Complaint | None"] = relationship(remote_side=[id])

    __table_args__ = (
        # The duplicate panel: open complaints about one organisation and category.
        Index("ix_complaints_uscc_category_state", "uscc", "category", "state"),
        Index("ix_complaints_state_created", "state", "created_at"),
        Index("ix_complaints_concluded_at", "concluded_at"),
    )

    @property
    def has_contact(self):
        return any((self.contact_name, self.contact_phone, self.contact_email))

    def __repr__(self):
        # Never the description or contact details: reprs end up in logs.
        return f"<Complaint {self.tracking_number} {self.state}>"


class Evidence(db.Model):
    __tablename__ = "complaint_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    # Random file name in EVIDENCE_DIR (never derived from the upload's name).
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    # The upload's name, sanitised, for staff to recognise the file.
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="evidence")

    def __repr__(self):
        return f"<Evidence {self.stored_name} {self.content_type} {self.size}>"


class ComplaintEvent(db.Model):
    """One entry of a complaint's audit log; public transitions form the complainant's timeline."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    # None: the complainant or the system.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # transition | note | assignment | reply | purge | contact_view (a staff member saw the contact details)
    # | step (a step of the workflow that does not change the state, e.g. an extension or a hand-back)
    kind: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    # Internal unless ``public`` (staff notes are never shown to the complainant).
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    complaint: Mapped[Complaint] = relationship(back_populates="events")

    def __repr__(self):
        return f"<ComplaintEvent {self.kind} {self.from_state}->{self.to_state}>"


class Notification(db.Model):
    """One e-mail to a complainant, in the outbox until the mail server has accepted it."""

    __tablename__ = "complaint_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    # The complainant's address, a Fernet token like the contact details.
    recipient: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # The class of the last failure (never the server's text, which may echo the address).
    last_error: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self):
        return f"<Notification {self.kind} of complaint {self.complaint_id}: {'sent' if self.sent_at else 'pending'}>"
