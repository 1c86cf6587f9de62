"""Staff console: the dashboard and the queue of complaints."""

import re

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import working_days
from portal.clock import utcnow
from portal.complaints import notifications
from portal.complaints.models import CATEGORIES
from portal.complaints.workflow import STATE_LABELS, STATES
from portal.staff import accounts, queue
from portal.staff.views.base import bp, staff_required
from portal.web import abort_with_message, requested_page

_STAFF_ID = re.compile(r"[0-9]{1,9}")


@bp.get("/")
@staff_required()
def dashboard():
    """Counts by state, overdue and mine, and the oldest open complaint."""
    now = utcnow()
    figures = queue.dashboard(current_user, now)
    return render_template(
        "staff/dashboard.html", figures=figures, state_labels=STATE_LABELS, now=now,
        missing_holiday_year=working_days.missing_schedule_now(current_app.config, now),
        pending_notifications=notifications.pending_count(),
        mail_configured=bool(current_app.config["MAIL_SERVER"]),
    )


def _one_arg(name, allowed=None):
    values = request.args.getlist(name)
    if len(values) > 1:
        abort_with_message(400, _("Choose at most one value for “%(name)s”.", name=name))
    value = values[0].strip() if values else ""
    if value and allowed is not None and value not in allowed:
        abort_with_message(400, _("“%(value)s” is not a possible value for “%(name)s”.", value=value[:40], name=name))
    return value or None


def _queue_filters():
    filters = queue.QueueFilters(
        state=_one_arg("state", queue.STATE_FILTERS) or "open",
        category=_one_arg("category", CATEGORIES),
        organisation=_one_arg("organisation"),
        age=_one_arg("age", queue.AGE_FILTERS),
        overdue=_one_arg("overdue", ("1",)) == "1",
        escalated=_one_arg("escalated", ("1",)) == "1",
        assignee=_one_arg("assignee"),
        sort=_one_arg("sort", queue.SORTS) or "oldest",
    )
    if filters.organisation and len(filters.organisation) > 200:
        abort_with_message(400, _("The organisation to look for is too long: at most 200 characters."))
    if filters.assignee not in (None, "me", "none") and not _STAFF_ID.fullmatch(filters.assignee):
        abort_with_message(400, _("“%(value)s” is not a possible value for “%(name)s”.", value=filters.assignee[:40], name="assignee"))
    return filters


@bp.get("/complaints")
@staff_required()
def complaints():
    """The queue: complaints filtered, sorted and paginated."""
    filters = _queue_filters()
    page = requested_page()
    now = utcnow()
    result = queue.complaint_queue(
        filters, current_user, now, page=page, per_page=current_app.config["STAFF_QUEUE_PAGE_SIZE"]
    )
    if page > result.pages:
        abort_with_message(404, _("There is no page %(page)s: the queue has %(num)s pages.", page=page, num=result.pages))
    return render_template(
        "staff/queue.html",
        result=result,
        filters=filters,
        staff=accounts.active_staff(),
        categories=CATEGORIES,
        state_labels=STATE_LABELS,
        states=STATES,
        age_filters=queue.AGE_FILTERS,
        now=now,
    )
