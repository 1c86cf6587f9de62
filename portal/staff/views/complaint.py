"""Staff console: one complaint, its evidence, history, contact details and the workflow's actions."""

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.clock import utcnow
from portal.complaints import evidence as evidence_store
from portal.complaints import organisations
from portal.complaints.models import (
    CATEGORIES,
    OUTCOMES,
    STATE_LABELS,
    Complaint,
    Evidence,
)
from portal.extensions import db
from portal.reference import REGISTRATION_STATUSES
from portal.staff import (
    access,
    accounts,
    queue,
    workflow,
)
from portal.staff.forms import (
    AddNoteForm,
    AssignForm,
    ConcludeForm,
    NoteForm,
    RejectForm,
    ReopenForm,
    error_list,
)
from portal.staff.models import ROLE_SUPERVISOR, StaffUser
from portal.staff.views.base import bp, staff_required
from portal.web import abort_with_message


#: The form of each move, by the state it moves to, with its prefix (ids must be unique on the page).
MOVE_FORMS = {
    "accepted": (NoteForm, "accept"),
    "rejected": (RejectForm, "reject"),
    "investigating": (NoteForm, "investigate"),
    "concluded": (ConcludeForm, "conclude"),
}


def _complaint_or_404(tracking_number):
    """Return the complaint the viewer may see; 404 for one they may not, exactly as for an unknown number."""
    complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_number == tracking_number))
    if complaint is None or not access.may_see(current_user, complaint):
        abort_with_message(404, _("There is no complaint with the tracking number %(number)s.", number=tracking_number[:30]))
    return complaint


def _assign_form(complaint, formdata=None):
    form = AssignForm(formdata=formdata, prefix="assign")
    if current_user.is_supervisor:
        form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
            SelectChoice(str(user.id), f"{user.display_name} ({user.username})") for user in accounts.active_staff()
        ]
    else:
        form.assignee.choices = [SelectChoice(str(current_user.id), _("Me (%(name)s)", name=current_user.display_name))]
    if formdata is None:
        form.assignee.data = str(complaint.assignee_id) if complaint.assignee_id else ""
    return form


def _render_detail(complaint, status=200, errors=(), contact=None, contact_unreadable=False, **forms):
    """Render a complaint's page; ``contact`` only once workflow.view_contact has recorded the view."""
    actions = {}
    for to_state in workflow.FORWARD.get(complaint.state, ()):
        form_class, prefix = MOVE_FORMS[to_state]
        actions[to_state] = forms.get(prefix) or form_class(formdata=None, prefix=prefix)
    reopen_form = None
    if complaint.state in workflow.REOPEN and current_user.is_supervisor:
        reopen_form = forms.get("reopen") or ReopenForm(formdata=None, prefix="reopen")
    note_form = forms.get("note") or AddNoteForm(formdata=None, prefix="note")
    assign_form = None
    if complaint.state in workflow.FORWARD and (current_user.is_supervisor or complaint.assignee_id is None):
        assign_form = forms.get("assign") or _assign_form(complaint)
    related = db.session.scalars(
        select(Complaint)
        .where(Complaint.same_concern_as_id == complaint.id, access.visible_complaints(current_user))
        .order_by(Complaint.created_at)
    ).all()
    parent = complaint.same_concern_as
    staff_names = {user.username: user.display_name for user in accounts.all_staff()}
    assignee = db.session.get(StaffUser, complaint.assignee_id) if complaint.assignee_id else None
    now = utcnow()
    return (
        render_template(
            "staff/detail.html",
            complaint=complaint,
            assignee=assignee,
            contact=contact,
            contact_unreadable=contact_unreadable,
            may_see_contact=access.may_see_contact(current_user, complaint),
            register=organisations.register_match(complaint.uscc),
            registration_statuses=REGISTRATION_STATUSES,
            parent=parent,
            parent_visible=parent is not None and access.may_see(current_user, parent),
            evidence=complaint.evidence,
            events=workflow.history(complaint.id),
            related=related,
            actions=actions,
            may_act=workflow.may_act(current_user, complaint),
            reopen_form=reopen_form,
            note_form=note_form,
            assign_form=assign_form,
            errors=list(errors),
            staff_names=staff_names,
            categories=CATEGORIES,
            outcomes=OUTCOMES,
            state_labels=STATE_LABELS,
            due=queue.due_of(complaint),
            overdue=queue.is_overdue(complaint, now),
            now=now,
        ),
        status,
    )


@bp.get("/complaints/<tracking_number>")
@staff_required()
def detail(tracking_number):
    """A complaint with its evidence, history and the actions open to the viewer (contact details on request)."""
    return _render_detail(_complaint_or_404(tracking_number))


@bp.post("/complaints/<tracking_number>/contact")
@staff_required()
def contact(tracking_number):
    """Show the complainant's contact details to the assignee or a supervisor, and record the view in the history."""
    complaint = _complaint_or_404(tracking_number)
    try:
        details, unreadable = workflow.view_contact(complaint.id, current_user.id)
    except workflow.WorkflowError as error:
        db.session.rollback()
        complaint = db.session.get(Complaint, complaint.id)
        return _render_detail(complaint, status=error.status, errors=[("complainant", str(error))])
    complaint = db.session.get(Complaint, complaint.id)
    return _render_detail(complaint, contact=details, contact_unreadable=unreadable)


def _workflow_error_response(complaint, error, prefix, form):
    db.session.rollback()
    complaint = db.session.get(Complaint, complaint.id)
    if form is not None and error.field and hasattr(form, error.field):
        field = getattr(form, error.field)
        field.errors = list(field.errors) + [str(error)]
        field_id = field.id
    else:
        # Not about one field (an illegal move, a concurrent change): link to the actions.
        field_id = "actions"
    return _render_detail(complaint, status=error.status, errors=[(field_id, str(error))], **{prefix: form})


@bp.post("/complaints/<tracking_number>/move/<to_state>")
@staff_required()
def move(tracking_number, to_state):
    """Accept, reject, investigate or conclude a complaint."""
    complaint = _complaint_or_404(tracking_number)
    if to_state not in MOVE_FORMS:
        abort(404)
    form_class, prefix = MOVE_FORMS[to_state]
    form = form_class(prefix=prefix)
    # A move that is not open from the current state is refused as such (409), whatever the form says:
    # its form is not on the page, so field errors would point nowhere.
    if to_state in workflow.FORWARD.get(complaint.state, ()) and not form.validate():
        return _render_detail(complaint, status=400, errors=error_list(form), **{prefix: form})
    try:
        workflow.transition(
            complaint.id,
            current_user.id,
            to_state,
            note=form.note.data,
            reason=getattr(form, "reason", None) and form.reason.data,
            outcome=getattr(form, "outcome", None) and form.outcome.data,
            reply=getattr(form, "reply", None) and form.reply.data,
        )
    except workflow.WorkflowError as error:
        return _workflow_error_response(complaint, error, prefix, form)
    flash(_("The complaint is now “%(state)s”.", state=STATE_LABELS[to_state]), "success")
    return redirect(url_for("staff.detail", tracking_number=tracking_number), code=303)


@bp.post("/complaints/<tracking_number>/reopen")
@staff_required(ROLE_SUPERVISOR)
def reopen(tracking_number):
    """Reopen a rejected or concluded complaint (supervisors, with a note)."""
    complaint = _complaint_or_404(tracking_number)
    form = ReopenForm(prefix="reopen")
    if complaint.state in workflow.REOPEN and not form.validate():
        return _render_detail(complaint, status=400, errors=error_list(form), reopen=form)
    try:
        workflow.transition(complaint.id, current_user.id, "accepted", note=form.note.data)
    except workflow.WorkflowError as error:
        return _workflow_error_response(complaint, error, "reopen", form)
    flash(_("The complaint is reopened and “%(state)s” again.", state=STATE_LABELS["accepted"]), "success")
    return redirect(url_for("staff.detail", tracking_number=tracking_number), code=303)


@bp.post("/complaints/<tracking_number>/notes")
@staff_required()
def add_note(tracking_number):
    """Add an internal note."""
    complaint = _complaint_or_404(tracking_number)
    form = AddNoteForm(prefix="note")
    if not form.validate():
        return _render_detail(complaint, status=400, errors=error_list(form), note=form)
    try:
        workflow.add_note(complaint.id, current_user.id, form.note.data)
    except workflow.WorkflowError as error:
        return _workflow_error_response(complaint, error, "note", form)
    flash(_("The note is added."), "success")
    return redirect(url_for("staff.detail", tracking_number=tracking_number, _anchor="history"), code=303)


@bp.post("/complaints/<tracking_number>/assign")
@staff_required()
def assign(tracking_number):
    """Assign the complaint (supervisors: anyone; handlers: take an unassigned one)."""
    complaint = _complaint_or_404(tracking_number)
    form = _assign_form(complaint, formdata=request.form)
    if not form.validate():
        return _render_detail(complaint, status=400, errors=error_list(form), assign=form)
    assignee_id = int(form.assignee.data) if form.assignee.data else None
    try:
        workflow.assign(complaint.id, current_user.id, assignee_id)
    except workflow.WorkflowError as error:
        return _workflow_error_response(complaint, error, "assign", form)
    flash(_("The assignment is saved."), "success")
    return redirect(url_for("staff.detail", tracking_number=tracking_number), code=303)


@bp.get("/complaints/<tracking_number>/evidence/<int:evidence_id>")
@staff_required()
def evidence(tracking_number, evidence_id):
    """Download one evidence file, as an attachment of its recorded type."""
    complaint = _complaint_or_404(tracking_number)
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.complaint_id != complaint.id:
        abort_with_message(404, _("There is no such evidence file."))
    try:
        path = evidence_store.open_evidence(item)
    except (FileNotFoundError, ValueError):
        abort_with_message(404, _("The evidence file is missing from the store. Tell the system administrator."))
    response = send_file(
        path,
        mimetype=item.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=item.original_name or f"evidence-{item.id}",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
