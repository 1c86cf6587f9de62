"""Staff console: one complaint, its evidence, history, contact details and the workflow's actions."""

from flask import (
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

from portal.characters import clean_text
from portal.clock import utcnow
from portal.complaints import codes
from portal.complaints import evidence as evidence_store
from portal.complaints import organisations
from portal.complaints import workflow as table
from portal.complaints.models import CATEGORIES, Complaint, Evidence
from portal.extensions import db
from portal.reference import REGISTRATION_STATUSES
from portal.staff import access, accounts, workflow
from portal.staff.forms import REASON_LABELS, AddNoteForm, AssignForm, StepForm, error_list
from portal.staff.models import StaffUser
from portal.staff.views.base import bp, staff_required
from portal.web import abort_with_message


def _step_form(step_name, formdata=None):
    form = StepForm(formdata=formdata, prefix=step_name)
    form.unit.choices = [SelectChoice("", _("Choose a unit"))] + [
        SelectChoice(unit, unit) for unit in table.receiving_units()
    ]
    form.reason.label.text = str(REASON_LABELS.get(step_name, form.reason.label.text))
    return form


def _steps_open_to(user, complaint):
    """The steps of the table the page offers ``user`` on ``complaint``."""
    role = table.SUPERVISOR if user.is_supervisor else (table.HANDLER if workflow.may_act(user, complaint) else None)
    return [step for step in table.steps_from(complaint.state, role) if step.name != "extend" or complaint.extended_at is None]


def _complaint_or_404(tracking_number):
    """Return the complaint the viewer may see; 404 for one they may not, exactly as for an unknown number."""
    # A number that is not of the tracking numbers' form is no complaint's: not asked of the database
    # (PostgreSQL refuses text with a NUL).
    well_formed = codes.TRACKING_NUMBER.match(tracking_number) is not None
    complaint = (
        db.session.scalar(select(Complaint).where(Complaint.tracking_number == tracking_number)) if well_formed else None
    )
    if complaint is None or not access.may_see(current_user, complaint):
        abort_with_message(
            404, _("There is no complaint with the tracking number %(number)s.", number=clean_text(tracking_number[:30])[0])
        )
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
    actions = {
        step.name: (step, forms.get(step.name) or _step_form(step.name))
        for step in _steps_open_to(current_user, complaint)
    }
    note_form = forms.get("note") or AddNoteForm(formdata=None, prefix="note")
    assign_form = None
    if complaint.state not in table.FINAL_STATES and (current_user.is_supervisor or complaint.assignee_id is None):
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
            note_form=note_form,
            assign_form=assign_form,
            errors=list(errors),
            staff_names=staff_names,
            categories=CATEGORIES,
            outcomes=table.OUTCOMES,
            review_results=table.REVIEW_RESULTS,
            state_labels=table.STATE_LABELS,
            step_labels={name: step.label for name, step in table.STEPS.items()},
            due=table.due_of(complaint),
            overdue=table.is_overdue(complaint, now),
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


def _required_fields(step, form):
    """What the table says ``step`` needs, as (field, missing, message): every error shown at once."""
    blank = lambda field: not (field.data or "").strip()  # noqa: E731
    return [
        (form.reason, step.reason == "required" and blank(form.reason), workflow.REASON_PROMPTS.get(step.name, "")),
        (form.unit, step.unit and blank(form.unit), _("Choose the receiving unit from the list.")),
        (form.outcome, step.outcome and blank(form.outcome), _("Choose the outcome.")),
        (form.reply, step.outcome and blank(form.reply),
         _("Write the reply to the complainant; an answer cannot be published without one.")),
        (form.result, step.name == "decide_review" and blank(form.result), _("Choose the result of the review.")),
    ]


@bp.post("/complaints/<tracking_number>/step/<step_name>")
@staff_required()
def step(tracking_number, step_name):
    """Take a step of the workflow table (accept, reject, transfer, answer, close, review, reopen...)."""
    complaint = _complaint_or_404(tracking_number)
    step = table.step_named(step_name)
    if step is None or table.COMPLAINANT in step.roles:
        abort_with_message(
            404, _("There is no step “%(step)s” in the complaint workflow.", step=clean_text(step_name[:40])[0])
        )
    form = _step_form(step_name, formdata=request.form)
    # A step that is not open from the current state is refused as such (409), whatever the form says:
    # its form is not on the page, so field errors would point nowhere.
    if complaint.state in step.from_states:
        valid = form.validate()
        for field, needed, message in _required_fields(step, form):
            if needed:
                field.errors = list(field.errors) + [str(message)]
                valid = False
        if step.confirm and not form.confirm.data:
            form.confirm.errors = list(form.confirm.errors) + [
                _("Tick the box to confirm “%(step)s”: this step cannot be undone by you.", step=step.label)
            ]
            valid = False
        if not valid:
            return _render_detail(complaint, status=400, errors=error_list(form), **{step_name: form})
    try:
        complaint = workflow.take_step(
            complaint.id, current_user.id, step_name, note=form.note.data, reason=form.reason.data,
            outcome=form.outcome.data or None, reply=form.reply.data, unit=form.unit.data or None,
            review_result=form.result.data or None,
        )
    except workflow.WorkflowError as error:
        return _workflow_error_response(complaint, error, step_name, form)
    flash(_("Done: “%(step)s”. The complaint is “%(state)s”.", step=step.label, state=table.STATE_LABELS[complaint.state]), "success")
    if not access.may_see(current_user, complaint):
        # Handed back or escalated away from a handler who may no longer see it.
        return redirect(url_for("staff.complaints"), code=303)
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


@bp.get("/complaints/<tracking_number>/evidence/<row_id:evidence_id>")
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
