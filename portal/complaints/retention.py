"""Retention and clean-up of complaints: contact details purged after the retention period, stale codes forgotten."""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from portal.clock import utcnow
from portal.complaints import evidence, held_files
from portal.complaints.models import Complaint, ComplaintEvent
from portal.complaints.workflow import FINAL_STATES
from portal.complaints.service import begin_write
from portal.extensions import db

log = logging.getLogger(__name__)


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
    begin_write()
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
    begin_write()
    stale = db.session.scalars(
        select(Complaint).where(Complaint.access_code_pending.is_not(None), Complaint.created_at <= cutoff)
    ).all()
    for complaint in stale:
        complaint.access_code_pending = None
    db.session.commit()
    return len(stale)


def cleanup(now=None):
    """Finish or delete files of interrupted submissions and of expired forms, forget stale access codes; return counts."""
    counts = evidence.cleanup_orphans(now=now)
    counts["held_forms_deleted"] = held_files.cleanup(now)
    counts["access_codes_forgotten"] = clear_stale_access_codes(now)
    return counts
