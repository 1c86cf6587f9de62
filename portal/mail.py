"""E-mail over SMTP from an outbox table: the one sending loop of every message the portal sends.

A feature writes its messages as rows of its own outbox table (in the
transaction of whatever causes them), and the scheduler calls ``deliver_due``
every MAIL_SEND_INTERVAL_SECONDS. A row is marked sent in its own transaction
as soon as the server has accepted it; a failure waits longer each time (up
to MAIL_RETRY_MAX_SECONDS) and is tried again, never given up. So a mail
server that is down loses nothing, and each message is delivered once when it
comes back. Without MAIL_SERVER nothing is sent and the rows wait.

An outbox table has the columns ``id``, ``created_at``, ``attempts``,
``next_attempt_at``, ``sent_at`` and ``last_error`` (see
``portal.complaints.models.Notification``).
"""

import logging
import re
import smtplib
import socket
import unicodedata
from datetime import timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]{2,}$")


def normalise_address(text):
    """Return an e-mail address as typed, NFKC-normalised (full-width characters made ASCII) and stripped."""
    return unicodedata.normalize("NFKC", text or "").strip()


def valid_address(address):
    """Tell whether ``address`` (normalised) looks like an e-mail address we can write to (no header tricks)."""
    return len(address) <= 254 and len(address.partition("@")[0]) <= 64 and bool(_ADDRESS.fullmatch(address))


def message_id(kind, row_id):
    """Return a Message-ID for row ``row_id`` of an outbox: a server that got it before we heard so can drop the copy."""
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip("> ") or "localhost"
    return make_msgid(idstring=f"{kind}-{row_id}", domain=domain)


def retry_delay(attempts):
    """Return the seconds to wait after ``attempts`` failed sends: MAIL_RETRY_SECONDS, doubling, at most MAIL_RETRY_MAX_SECONDS."""
    config = current_app.config
    return min(config["MAIL_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0), config["MAIL_RETRY_MAX_SECONDS"])


def connect():
    """Return an SMTP connection to MAIL_SERVER (STARTTLS and login as configured)."""
    config = current_app.config
    server = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"])
    if config["MAIL_USE_TLS"]:
        server.starttls()
    if config["MAIL_USERNAME"]:
        server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return server


def deliver_due(outbox, build_message, now=None, limit=200, failures=(), label="e-mail"):
    """Send the rows of ``outbox`` that are due, oldest first; return (sent, failed). Without MAIL_SERVER, send none.

    ``build_message(row)`` returns the EmailMessage of a row, or None when
    there is nothing to send any more (the row is then deleted); the
    exceptions in ``failures`` that it raises count as a failed send. Safe to
    run from several schedulers at once only on PostgreSQL (rows are locked,
    skipped when taken).
    """
    if not current_app.config["MAIL_SERVER"]:
        return 0, 0
    now = now or utcnow()
    query = (
        select(outbox.id)
        .where(outbox.sent_at.is_(None), outbox.next_attempt_at <= now)
        .order_by(outbox.created_at, outbox.id)
        .limit(limit)
    )
    due = db.session.scalars(query).all()
    db.session.commit()
    sent = failed = 0
    server = None
    try:
        for row_id in due:
            lock = select(outbox).where(outbox.id == row_id, outbox.sent_at.is_(None))
            if db.engine.dialect.name == "postgresql":
                lock = lock.with_for_update(skip_locked=True)
            row = db.session.scalars(lock).first()
            if row is None:
                db.session.rollback()
                continue
            try:
                message = build_message(row)
                if message is None:
                    db.session.delete(row)
                    db.session.commit()
                    continue
                if server is None:
                    server = connect()
                server.send_message(message)
            except (OSError, smtplib.SMTPException, *failures) as error:
                row.attempts += 1
                row.last_error = type(error).__name__[:64]
                row.next_attempt_at = now + timedelta(seconds=retry_delay(row.attempts))
                db.session.commit()
                failed += 1
                if isinstance(error, (OSError, smtplib.SMTPServerDisconnected, socket.timeout)):
                    # The server is not there: the rest waits for the next run.
                    server = None
                    break
                continue
            row.sent_at = now
            row.attempts += 1
            row.last_error = None
            db.session.commit()
            sent += 1
    finally:
        if server is not None:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                pass
    if sent or failed:
        log.info("%s: %d sent, %d failed (tried again later)", label, sent, failed)
    return sent, failed
