"""The staff queue of complaints and the dashboard figures: plain arguments in, plain data out."""

import math
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select

from portal.complaints.models import Complaint
from portal.complaints.workflow import DUE_COLUMN, OPEN_STATES, STATES, due_of, is_overdue
from portal.extensions import db
from portal.staff import access
from portal.staff.models import StaffUser

#: Values of the queue's filters other than a state: every open state, or all.
STATE_FILTERS = ("open", "all", *STATES)
AGE_FILTERS = {
    # value: (minimum age in days, maximum age in days or None)
    "lt7": (0, 7),
    "7to30": (7, 30),
    "gt30": (30, None),
}
SORTS = ("oldest", "newest", "due")
USCC_PATTERN = re.compile(r"[0-9A-HJ-NP-RTUWXY]{18}")


@dataclass
class QueueFilters:
    state: str = "open"
    category: str | None = None
    organisation: str | None = None
    age: str | None = None
    overdue: bool = False
    # Escalated to a supervisor by its handler, not yet acted on by one.
    escalated: bool = False
    # "me", "none", or a staff id (as a string, as it comes from a form).
    assignee: str | None = None
    sort: str = "oldest"

    @property
    def active(self):
        return any(
            (self.state != "open", self.category, self.organisation, self.age, self.overdue, self.escalated, self.assignee)
        )


@dataclass
class QueuePage:
    rows: list = field(default_factory=list)  # (Complaint, assignee StaffUser or None, due, overdue)
    total: int = 0
    page: int = 1
    pages: int = 1


def due_expression():
    """The deadline a complaint is working towards now (workflow.DUE_COLUMN); NULL once answered or closed."""
    return case(
        *((Complaint.state == state, getattr(Complaint, column)) for state, column in DUE_COLUMN.items()),
        else_=None,
    )


def overdue_condition(now):
    return or_(*(and_(Complaint.state == state, getattr(Complaint, column) < now) for state, column in DUE_COLUMN.items()))


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters, user_id, now):
    conditions = []
    if filters.state == "open":
        conditions.append(Complaint.state.in_(OPEN_STATES))
    elif filters.state in STATES:
        conditions.append(Complaint.state == filters.state)
    if filters.category:
        conditions.append(Complaint.category == filters.category)
    if filters.organisation:
        text = filters.organisation.strip()
        if USCC_PATTERN.fullmatch(text.upper()):
            conditions.append(Complaint.uscc == text.upper())
        else:
            conditions.append(Complaint.organisation_name.ilike(f"%{_escape_like(text)}%", escape="\\"))
    if filters.age in AGE_FILTERS:
        youngest, oldest = AGE_FILTERS[filters.age]
        conditions.append(Complaint.created_at <= now - timedelta(days=youngest))
        if oldest is not None:
            conditions.append(Complaint.created_at > now - timedelta(days=oldest))
    if filters.overdue:
        conditions.append(overdue_condition(now))
    if filters.escalated:
        conditions.append(Complaint.escalated_at.is_not(None))
    if filters.assignee == "me":
        conditions.append(Complaint.assignee_id == user_id)
    elif filters.assignee == "none":
        conditions.append(Complaint.assignee_id.is_(None))
    elif filters.assignee:
        conditions.append(Complaint.assignee_id == int(filters.assignee))
    return conditions


def complaint_queue(filters, viewer, now, page=1, per_page=25):
    """Return one page of the complaints matching ``filters`` among those ``viewer`` (a StaffUser) may see."""
    conditions = [access.visible_complaints(viewer), *_conditions(filters, viewer.id, now)]
    total = db.session.scalar(select(func.count(Complaint.id)).where(*conditions))
    pages = max(1, math.ceil(total / per_page))
    due = due_expression()
    if filters.sort == "newest":
        order = (Complaint.created_at.desc(), Complaint.id.desc())
    elif filters.sort == "due":
        # Complaints with a deadline first, the nearest (or most overdue) first.
        order = (case((due.is_(None), 1), else_=0), due, Complaint.created_at, Complaint.id)
    else:
        order = (Complaint.created_at, Complaint.id)
    result = db.session.execute(
        select(Complaint, StaffUser)
        .outerjoin(StaffUser, StaffUser.id == Complaint.assignee_id)
        .where(*conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    rows = [(complaint, assignee, due_of(complaint), is_overdue(complaint, now)) for complaint, assignee in result]
    return QueuePage(rows=rows, total=total, page=page, pages=pages)


@dataclass
class Dashboard:
    by_state: dict
    open_total: int
    overdue: int
    escalated: int
    assigned_to_me: int
    unassigned: int
    oldest_open: Complaint | None


def dashboard(viewer, now):
    """Return the figures of the staff dashboard for ``viewer`` (a StaffUser): of the complaints they may see."""
    visible = access.visible_complaints(viewer)
    counts = dict(
        db.session.execute(
            select(Complaint.state, func.count(Complaint.id)).where(visible).group_by(Complaint.state)
        ).all()
    )
    by_state = {state: counts.get(state, 0) for state in STATES}
    open_condition = Complaint.state.in_(OPEN_STATES)
    return Dashboard(
        by_state=by_state,
        open_total=sum(by_state[state] for state in OPEN_STATES),
        overdue=db.session.scalar(select(func.count(Complaint.id)).where(visible, overdue_condition(now))),
        escalated=db.session.scalar(
            select(func.count(Complaint.id)).where(visible, open_condition, Complaint.escalated_at.is_not(None))
        ),
        assigned_to_me=db.session.scalar(
            select(func.count(Complaint.id)).where(open_condition, Complaint.assignee_id == viewer.id)
        ),
        unassigned=db.session.scalar(
            select(func.count(Complaint.id)).where(open_condition, Complaint.assignee_id.is_(None))
        ),
        oldest_open=db.session.scalars(
            select(Complaint).where(visible, open_condition).order_by(Complaint.created_at, Complaint.id).limit(1)
        ).first(),
    )
