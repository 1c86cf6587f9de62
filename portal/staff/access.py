"""Who on the staff sees which complaint, and which complainant's contact details.

    role        complaints seen                          contact details (each view audited)
    supervisor  every complaint                          every complaint's
    handler     those assigned to them, and unassigned   only those of complaints assigned to them

Everything about a complaint follows the first column: the queue, the
dashboard's figures, the detail page, its evidence files, notes and actions.
A complaint someone may not see answers exactly like one that does not exist
(404), so that its tracking number tells them nothing. Contact details are
never on a page by default: the assignee or a supervisor asks to see them,
and each time is recorded in the complaint's history (workflow.view_contact).
"""

from sqlalchemy import or_, true

from portal.complaints.models import Complaint


def visible_complaints(viewer):
    """Return the SQL condition of the complaints ``viewer`` (a StaffUser) may see."""
    if viewer.is_supervisor:
        return true()
    return or_(Complaint.assignee_id.is_(None), Complaint.assignee_id == viewer.id)


def may_see(viewer, complaint):
    """Tell whether ``viewer`` may see ``complaint`` at all."""
    return viewer.is_supervisor or complaint.assignee_id in (None, viewer.id)


def may_see_contact(viewer, complaint):
    """Tell whether ``viewer`` may see the complainant's contact details: its assignee, or a supervisor."""
    return viewer.is_supervisor or (complaint.assignee_id is not None and complaint.assignee_id == viewer.id)
