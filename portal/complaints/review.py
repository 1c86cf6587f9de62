"""The complainant's one step of the workflow table: asking for a review (复核) of an answer."""

from flask_babel import gettext as _
from sqlalchemy import update

from portal.clock import utcnow
from portal.complaints import workflow
from portal.complaints.models import Complaint, ComplaintEvent
from portal.complaints.service import begin_write, find_with_access_code
from portal.complaints.validation import clean_text
from portal.extensions import db

REVIEW_REASON_MAX = 2000


class ReviewRefused(ValueError):
    """The review cannot be asked for; ``field`` names the input at fault, ``message`` is translated."""

    def __init__(self, message, field=None, status=400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def request_review(tracking_number, access_code, reason, now=None):
    """Ask for a review of the answer of a complaint, once, within the window after the answer.

    Return the complaint; raise ReviewRefused (the access code not matching
    answers like an unknown number).
    """
    now = now or utcnow()
    step = workflow.STEPS["request_review"]
    reason = clean_text(reason)
    if not reason:
        raise ReviewRefused(_("Say why you ask for a review of the answer."), field="review_reason")
    if len(reason) > REVIEW_REASON_MAX:
        raise ReviewRefused(
            _("The reason is too long: at most %(count)s characters.", count=REVIEW_REASON_MAX), field="review_reason"
        )
    complaint = find_with_access_code(tracking_number, access_code)
    if complaint is None:
        raise ReviewRefused(
            _("No complaint matches this tracking number and access code. Check both and try again."),
            field="review_access_code", status=404,
        )
    if complaint.state not in step.from_states or complaint.review_requested_at is not None:
        raise ReviewRefused(_("A review can be asked for once, after the answer, and no longer now."), status=409)
    if complaint.review_request_until is None or complaint.review_request_until <= now:
        raise ReviewRefused(_("The time to ask for a review of this answer is over."), status=409)
    begin_write()
    changed = db.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id, Complaint.state == complaint.state, Complaint.review_requested_at.is_(None))
        .values(
            state=step.to_state, review_requested_at=now, review_reason=reason, updated_at=now,
            review_due_at=workflow.deadline_for(step.deadline, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise ReviewRefused(_("A review can be asked for once, after the answer, and no longer now."), status=409)
    db.session.add(
        ComplaintEvent(
            complaint_id=complaint.id, at=now, kind="transition", from_state=complaint.state,
            to_state=step.to_state, note=reason, public=True,
        )
    )
    db.session.commit()
    db.session.refresh(complaint)
    return complaint
