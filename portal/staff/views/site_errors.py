"""The staff console's list of 我为政府网站找错 reports: read them, see the reader's contact, close them."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.characters import clean_text
from portal.feedback import service
from portal.feedback.models import CATEGORIES, STATUS_LABELS
from portal.staff.views.base import bp, staff_required
from portal.web import abort_with_message


def _page_number():
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


@bp.get("/site-errors", endpoint="site_errors")
@staff_required()
def site_errors():
    """List the reports of one status, newest first."""
    status = request.args.get("status", "new")
    if status not in STATUS_LABELS:
        abort_with_message(
            400, _("“%(value)s” is not a possible value for “%(name)s”.", value=clean_text(status[:40])[0], name="status")
        )
    page = _page_number()
    reports, pages = service.reports(status, page)
    return render_template(
        "staff/site_errors.html",
        reports=reports,
        status=status,
        page=min(page, pages),
        pages=pages,
        counts=service.counts(),
        categories=CATEGORIES,
        status_labels=STATUS_LABELS,
        contact_of=service.contact_of,
    )


@bp.post("/site-errors/<row_id:report_id>/handled", endpoint="site_error_handled")
@staff_required()
def site_error_handled(report_id):
    """Close a report, with an optional note on what was done."""
    report = service.mark_handled(report_id, current_user.id, request.form.get("note", ""))
    if report is None:
        abort_with_message(404, _("There is no error report number %(number)s.", number=report_id))
    flash(_("Report %(number)s is closed.", number=report.id), "success")
    return redirect(url_for("staff.site_errors"), code=303)
