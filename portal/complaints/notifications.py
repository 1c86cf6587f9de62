"""E-mail to complainants, through an outbox: queued with the step that causes it, sent by the scheduler.

A notification is a row written in the same transaction as the workflow
step (acknowledged, not accepted, transferred, answered, review decided), so
that a step is never without its message and a mail server that is down
loses nothing: ``send_pending`` (the scheduler's job, every
MAIL_SEND_INTERVAL_SECONDS) tries each unsent row through ``portal.mail``,
and a failure waits longer each time (up to MAIL_RETRY_MAX_SECONDS) and is
tried again, never given up. Without MAIL_SERVER, rows stay pending and the
staff dashboard counts them. The message holds the tracking number, the new state and a
link: no text of the complaint, no name, no one else's details.
"""

from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import mail
from portal.complaints import crypto
from portal.complaints.models import Complaint, Notification
from portal.complaints.workflow import OUTCOMES, STATE_LABELS
from portal.extensions import db

#: The steps that tell the complainant, and the kind of message each sends.
NOTIFYING_STEPS = {
    "accept": "acknowledged",
    "reject": "rejected",
    "transfer": "transferred",
    "answer": "answered",
    "decide_review": "review_decided",
}


def queue_for_step(complaint, step_name, now):
    """Add to the session the notification ``step_name`` owes the complainant of ``complaint``, if any.

    The caller commits it with the step. Nothing is queued for an anonymous
    complaint or one without an e-mail address.
    """
    kind = NOTIFYING_STEPS.get(step_name)
    if kind is None or complaint.contact_email is None:
        return None
    notification = Notification(
        complaint_id=complaint.id, kind=kind, recipient=complaint.contact_email, created_at=now,
        attempts=0, next_attempt_at=now,
    )
    db.session.add(notification)
    return notification


def pending_count():
    """Return how many notifications wait for the mail server (shown to staff)."""
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.sent_at.is_(None))) or 0


#: The state each kind of message announces (the complaint may have moved on by the time it is sent).
ANNOUNCED_STATE = {
    "acknowledged": "accepted",
    "rejected": "rejected",
    "transferred": "transferred",
    "answered": "answered",
    "review_decided": "concluded",
}


def _subject(notification, complaint):
    state = STATE_LABELS[ANNOUNCED_STATE[notification.kind]]
    return _("Your complaint %(number)s: %(state)s", number=complaint.tracking_number, state=state)


def _body(notification, complaint):
    config = current_app.config
    lines = [
        _("Your complaint %(number)s about %(organisation)s is “%(state)s”.",
          number=complaint.tracking_number, organisation=complaint.organisation_name,
          state=STATE_LABELS[ANNOUNCED_STATE[notification.kind]]),
    ]
    if notification.kind == "answered" and complaint.outcome:
        lines.append(_("Outcome: %(outcome)s.", outcome=OUTCOMES[complaint.outcome]))
    if notification.kind == "transferred" and complaint.transfer_unit:
        lines.append(_("It was transferred to %(unit)s.", unit=complaint.transfer_unit))
    lines += [
        "",
        _("Read the details on the status page with your tracking number and access code:"),
        config["PUBLIC_BASE_URL"].rstrip("/") + "/complaints/status",
        "",
        _("This message was sent automatically; please do not reply to it."),
    ]
    return "\n".join(lines)


def _message(notification, complaint, recipient):
    config = current_app.config
    message = EmailMessage()
    # Chinese first (the complainant filed in Chinese or English; the message carries both).
    with force_locale("zh"):
        subject, body_zh = _subject(notification, complaint), _body(notification, complaint)
    with force_locale("en"):
        body_en = _body(notification, complaint)
    message["Subject"] = subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id("complaint-notification", notification.id)
    message.set_content(body_zh + "\n\n---\n\n" + body_en)
    return message


def send_pending(now=None, limit=200):
    """Send the notifications that are due, oldest first; return (sent, failed). Without MAIL_SERVER, send none.

    The outbox loop is ``portal.mail.deliver_due``: each is marked sent in its
    own transaction as soon as the server has accepted it; a failure
    schedules the next attempt.
    """

    def build(notification):
        complaint = db.session.get(Complaint, notification.complaint_id)
        return _message(notification, complaint, crypto.decrypt(notification.recipient))

    return mail.deliver_due(
        Notification, build, now=now, limit=limit, failures=(crypto.InvalidToken, crypto.ContactKeyError),
        label="Complaint notifications",
    )
