"""Public accountability of complaint handling (/stats/complaints): counts over the last 12 months, no names.

Every figure is a count of complaints received in the period; nothing names
an organisation, a complainant or a member of staff, so no organisation is
named for a complaint that is not concluded.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func, or_, select

from portal.clock import utcnow
from portal.complaints.models import Complaint
from portal.complaints.workflow import DUE_COLUMN, OUTCOMES, REVIEW_RESULTS
from portal.extensions import db

PERIOD_DAYS = 365


@dataclass
class Accountability:
    since: object
    until: object
    received: int = 0
    acknowledged: int = 0
    acknowledged_on_time: int = 0
    answered: int = 0
    answered_on_time: int = 0
    overdue_now: int = 0
    outcomes: dict = field(default_factory=dict)
    reviews_requested: int = 0
    review_results: dict = field(default_factory=dict)


def _count(*conditions):
    return db.session.scalar(select(func.count(Complaint.id)).where(*conditions)) or 0


def accountability(now=None):
    """Return the Accountability figures of the complaints received in the last 12 months."""
    now = now or utcnow()
    since = now - timedelta(days=PERIOD_DAYS)
    received = Complaint.created_at >= since
    # Acknowledged: accepted, or not accepted (its decision is concluded_at), by the acknowledgement deadline.
    acknowledged_at = func.coalesce(Complaint.accepted_at, Complaint.concluded_at)
    acknowledged = and_(received, or_(Complaint.accepted_at.is_not(None), Complaint.state == "rejected"))
    answered = and_(received, Complaint.answered_at.is_not(None))
    overdue = or_(*(and_(Complaint.state == state, getattr(Complaint, column) < now) for state, column in DUE_COLUMN.items()))
    outcome_counts = dict(
        db.session.execute(
            select(Complaint.outcome, func.count(Complaint.id)).where(answered).group_by(Complaint.outcome)
        ).all()
    )
    result_counts = dict(
        db.session.execute(
            select(Complaint.review_result, func.count(Complaint.id))
            .where(received, Complaint.review_result.is_not(None))
            .group_by(Complaint.review_result)
        ).all()
    )
    return Accountability(
        since=since,
        until=now,
        received=_count(received),
        acknowledged=_count(acknowledged),
        acknowledged_on_time=_count(acknowledged, acknowledged_at <= Complaint.accept_due_at),
        answered=_count(answered),
        answered_on_time=_count(answered, Complaint.answered_at <= Complaint.answer_due_at),
        overdue_now=_count(received, overdue),
        outcomes={code: outcome_counts.get(code, 0) for code in OUTCOMES},
        reviews_requested=_count(received, Complaint.review_requested_at.is_not(None)),
        review_results={code: result_counts.get(code, 0) for code in REVIEW_RESULTS},
    )
