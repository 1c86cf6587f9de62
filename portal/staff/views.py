"""The staff console (/staff): sign-in (with a second factor), the dashboard, the queue, a complaint's detail and its workflow.

Views parse the request, call accounts/queue/workflow and render; the rules
live in those services. Every page here is private: never cached (neither
by portal.pagecache nor by a browser or proxy) and never indexed.
"""

import re
import time
from functools import wraps

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.clock import utcnow
from portal.complaints import evidence as evidence_store
from portal.complaints import service as complaints_service
from portal.complaints.models import CATEGORIES, OUTCOMES, STATE_LABELS, STATES, Complaint, Evidence
from portal.extensions import db, limiter
from portal.i18n import is_safe_next
from portal.origin import rate_limit_key
from portal.reference import REGISTRATION_STATUSES
from portal.staff import access, accounts, queue, throttle, two_factor, workflow
from portal.staff.forms import (
    AddNoteForm,
    AssignForm,
    CodeForm,
    ConcludeForm,
    LoginForm,
    LogoutForm,
    NoteForm,
    PasswordForm,
    RejectForm,
    ReopenForm,
    error_list,
)
from portal.staff.models import ROLE_SUPERVISOR, ROLES, StaffUser
from portal.web import abort_with_message

bp = Blueprint("staff", __name__, url_prefix="/staff")

#: Views anyone may reach (the sign-in steps); every other view needs a signed-in staff member.
PUBLIC_ENDPOINTS = {"staff.login", "staff.login_code"}
#: Views open to a signed-in user who must still set up a second factor.
ENROLMENT_ENDPOINTS = {"staff.two_factor", "staff.logout"}

#: Session keys: the half-signed-in state between the password and the code (or the set-up),
#: and the secret being set up (encrypted).
_PENDING = "staff_pending"
_CANDIDATE = "staff_totp_candidate"

_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
_STAFF_ID = re.compile(r"[0-9]{1,9}")

#: The form of each move, by the state it moves to, with its prefix (ids must be unique on the page).
MOVE_FORMS = {
    "accepted": (NoteForm, "accept"),
    "rejected": (RejectForm, "reject"),
    "investigating": (NoteForm, "investigate"),
    "concluded": (ConcludeForm, "conclude"),
}


def sign_in_address():
    """Return the address sign-in delays are counted for (portal.staff.throttle).

    The client's address through the trusted proxies only (TRUSTED_PROXY_HOPS),
    as the rate limits see it: an IPv6 client by its /64 network, which one
    subscriber holds whole, or each attempt could come from a fresh address.
    """
    return rate_limit_key()


# -- access --------------------------------------------------------------------


def staff_required(role=None, enrolling=False):
    """Let only signed-in staff (of ``role``, if given) reach a view: 401/redirect if signed out, 403 if the role is wrong.

    ``enrolling`` lets in too a user half signed in who must set up a second factor.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated and not (enrolling and _pending_user("enrol")[0] is not None):
                return current_app.login_manager.unauthorized()
            if role is not None and current_user.role != role:
                abort(403)
            return view(*args, **kwargs)

        wrapper.staff_role = role
        return wrapper

    return decorator


def unauthorized():
    """Send a signed-out visitor to the sign-in page; refuse other methods with a 401."""
    if request.method in ("GET", "HEAD"):
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("staff.login", next=target))
    abort(401)


@bp.before_request
def _session_timeout():
    """End a staff session idle for STAFF_SESSION_IDLE_MINUTES, or older than STAFF_SESSION_MAX_HOURS."""
    if not current_user.is_authenticated:
        return
    now = time.time()
    idle = current_app.config["STAFF_SESSION_IDLE_MINUTES"] * 60
    longest = current_app.config["STAFF_SESSION_MAX_HOURS"] * 3600
    seen = session.get("staff_seen")
    since = session.get("staff_since")
    if seen is None or since is None or now - seen > idle or now - since > longest:
        logout_user()
        session.clear()
        flash(_("You were signed out after a period of inactivity. Please sign in again."), "notice")
        return
    session["staff_seen"] = now


@bp.before_request
def _second_factor_set_up():
    """Send a signed-in user whose role requires a second factor, and who has none, to set one up first."""
    if (
        current_user.is_authenticated
        and request.endpoint not in ENROLMENT_ENDPOINTS
        and two_factor.must_enrol(current_user)
    ):
        return redirect(url_for("staff.two_factor"), code=_redirect_code())


@bp.after_request
def _private_headers(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.vary.add("Cookie")
    return response


@bp.context_processor
def _staff_context():
    return {"logout_form": LogoutForm() if current_user.is_authenticated else None}


def _error_page(error):
    # 401 and 403 have no page in portal.web: these are the staff console's own.
    return render_template("staff/error.html", code=error.code, message=getattr(error, "description", None)), error.code


def _csrf_error(error):
    # Usually a session that ended (timeout, sign-out elsewhere) under an open form.
    message = _("This form has expired, or your session has ended. Please try again.")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return _login_page(message, 400)
    return render_template("staff/error.html", code=400, message=message), 400


bp.register_error_handler(401, _error_page)
bp.register_error_handler(403, _error_page)
bp.register_error_handler(CSRFError, _csrf_error)


# -- signing in and out --------------------------------------------------------


def _safe_next():
    target = request.args.get("next", "")
    if is_safe_next(target) and (target == "/staff" or target.startswith("/staff/")):
        return target
    return url_for("staff.dashboard")


def _redirect_code():
    # After a POST, the browser must GET the new address.
    return 302 if request.method in ("GET", "HEAD") else 303


def _login_page(failure=None, status=200, form=None):
    form = form or LoginForm()
    errors = error_list(form)
    if failure:
        errors.insert(0, (form.username.id, failure))
    return render_template("staff/login.html", form=form, errors=errors, failure=failure), status


def _start_session(user):
    """Sign ``user`` in, in a new session: nothing from before carries over (no fixation)."""
    session.clear()
    login_user(user)
    now = time.time()
    session["staff_since"] = now
    session["staff_seen"] = now


def _begin_second_step(user, step, target):
    """Keep ``user``, who gave the right password, half signed in until the code (or the set-up of a second factor)."""
    session.clear()
    session[_PENDING] = {
        "user": user.id,
        "generation": user.session_generation,
        "step": step,
        "since": time.time(),
        "next": target,
    }


def _pending_user(step):
    """Return (user, target) of the half-signed-in state at ``step`` ("code" or "enrol"); (None, None) if none.

    The state ends after STAFF_TOTP_PENDING_SECONDS (the code) or
    two_factor.ENROLMENT_SECONDS (the set-up), and when the account's session
    generation moves on (a sign-out elsewhere, a new password, deactivation).
    """
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or pending.get("step") != step:
        return None, None
    limit = current_app.config["STAFF_TOTP_PENDING_SECONDS"] if step == "code" else two_factor.ENROLMENT_SECONDS
    user = db.session.get(StaffUser, pending.get("user", 0))
    if time.time() - pending.get("since", 0) > limit:
        session.pop(_PENDING)
        flash(_("The sign-in took too long. Please sign in again."), "notice")
        return None, None
    if user is None or not user.is_active or user.session_generation != pending.get("generation"):
        session.pop(_PENDING)
        return None, None
    return user, pending.get("next") or url_for("staff.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with a username and password; then a code, if the account has a second factor."""
    if current_user.is_authenticated:
        return redirect(_safe_next())
    form = LoginForm()
    if not form.is_submitted():
        # Back at the first step: a sign-in left half done is abandoned.
        session.pop(_PENDING, None)
        return _login_page(form=form)
    if not form.validate():
        return _login_page(status=400, form=form)
    try:
        user = accounts.check_password(form.username.data, form.password.data, sign_in_address())
    except accounts.LoginFailed:
        # One message for an unknown name, a wrong password and a delayed attempt: none may tell which.
        failure = _(
            "Sign-in failed: the username or password is not correct, or there were too many failed attempts "
            "from your address. Check them, and try again in a few minutes."
        )
        return _login_page(failure, 401, form)
    target = _safe_next()
    step = two_factor.second_step(user)
    if step is None:
        accounts.record_sign_in(user, sign_in_address())
        _start_session(user)
        return redirect(target, code=303)
    _begin_second_step(user, step, target)
    return redirect(url_for("staff.login_code" if step == "code" else "staff.two_factor"), code=303)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"], methods=["POST"])
def login_code():
    """The second step of signing in: the code of the authenticator app."""
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"), code=_redirect_code())
    user, target = _pending_user("code")
    if user is None:
        return redirect(url_for("staff.login"), code=_redirect_code())
    form = CodeForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                two_factor.verify_sign_in(user, form.code.data, sign_in_address())
            except two_factor.CodeRefused as error:
                if error.reason == "delayed":
                    session.pop(_PENDING, None)
                    return _login_page(str(two_factor.refusal_message("delayed")), 401)
                status = 401
                _refuse_code(form, two_factor.refusal_message(error.reason))
            else:
                _start_session(user)
                return redirect(target, code=303)
    return render_template("staff/login_code.html", form=form, errors=error_list(form)), status


def _refuse_code(form, message):
    # The error goes with the field (and the summary); the refused code is not shown again.
    form.code.errors = list(form.code.errors) + [str(message)]
    form.code.data = ""


@bp.post("/logout")
@staff_required()
def logout():
    """Sign out (a POST with the CSRF token): every session of the account ends, copies of this one's cookie included."""
    accounts.end_sessions(db.session.get(StaffUser, current_user.id))
    logout_user()
    session.clear()
    flash(_("You are signed out of every session of your account, on this device and any other."), "notice")
    return redirect(url_for("staff.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    """Change one's own password."""
    form = PasswordForm()
    problems = []
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                accounts.change_own_password(current_user, form.current_password.data, form.new_password.data)
            except accounts.AccountError as error:
                field = "current_password" if not isinstance(error, accounts.PasswordPolicyError) else "new_password"
                problems = [(getattr(form, field).id, str(message)) for message in error.messages]
            else:
                # The session generation moved on with the password: sign in again in this session only.
                _start_session(db.session.get(StaffUser, current_user.id))
                flash(_("Your password has been changed. Other sessions of your account have ended."), "notice")
                return redirect(url_for("staff.dashboard"), code=303)
    return render_template("staff/password.html", form=form, errors=error_list(form) + problems), status


# -- the second factor ----------------------------------------------------------


def _enrolling_user():
    """Return (user, target): the signed-in user, or the one half signed in who must set up a second factor."""
    if current_user.is_authenticated:
        return db.session.get(StaffUser, current_user.id), None
    return _pending_user("enrol")


def _candidate_secret(user):
    """Return the secret being set up in this session (the same across reloads); None once it has expired."""
    candidate = session.get(_CANDIDATE)
    if isinstance(candidate, dict) and candidate.get("user") == user.id:
        return two_factor.unseal(candidate.get("token"), max_age=two_factor.ENROLMENT_SECONDS)
    return None


def _render_two_factor(user, form, status=200, secret=None):
    context = {"form": form, "errors": error_list(form), "required": two_factor.is_required(user)}
    if secret is not None:
        uri = two_factor.provisioning_uri(user, secret)
        context["qr_code"] = segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000000", light="#ffffff")
        context["grouped_secret"] = two_factor.grouped(secret)
    return render_template("staff/two_factor.html", user=user, **context), status


@bp.route("/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@staff_required(enrolling=True)
def two_factor_setup():
    """Set up two-step verification with an authenticator app; or see that it is on, and turn it off."""
    user, target = _enrolling_user()
    form = CodeForm()
    if user.has_two_factor:
        if form.is_submitted():
            return redirect(url_for("staff.two_factor"), code=303)
        return _render_two_factor(user, form)
    secret = _candidate_secret(user)
    if secret is None:
        status = 200
        if form.is_submitted():
            status = 400
            _refuse_code(form, _("The set-up took too long. Scan the new QR code, then enter the code it gives."))
        secret = two_factor.new_secret()
        session[_CANDIDATE] = {"user": user.id, "token": two_factor.seal(secret)}
        return _render_two_factor(user, form, status, secret)
    if not form.is_submitted():
        return _render_two_factor(user, form, 200, secret)
    if not form.validate():
        return _render_two_factor(user, form, 400, secret)
    try:
        two_factor.enrol(user, secret, form.code.data)
    except accounts.AccountError as error:
        _refuse_code(form, error)
        return _render_two_factor(user, form, 400, secret)
    if current_user.is_authenticated:
        # The session generation moved on with the second factor: sign in again in this session only.
        _start_session(user)
        flash(_("Two-step verification is on. Other sessions of your account have ended."), "success")
        return redirect(url_for("staff.two_factor"), code=303)
    accounts.record_sign_in(user, sign_in_address())
    _start_session(user)
    flash(_("Two-step verification is on. From now on, signing in asks for a code from your app."), "success")
    return redirect(target, code=303)


@bp.post("/two-factor/disable")
@staff_required()
def disable_two_factor():
    """Turn off one's own second factor, with a current code (unless one's role requires it)."""
    user = db.session.get(StaffUser, current_user.id)
    form = CodeForm()
    if not user.has_two_factor:
        return redirect(url_for("staff.two_factor"), code=303)
    if not form.validate():
        return _render_two_factor(user, form, 400)
    try:
        two_factor.disable(user, form.code.data, sign_in_address())
    except accounts.AccountError as error:
        _refuse_code(form, error)
        return _render_two_factor(user, form, 400)
    _start_session(user)
    flash(_("Two-step verification is off. Other sessions of your account have ended."), "success")
    return redirect(url_for("staff.two_factor"), code=303)


# -- dashboard and queue -------------------------------------------------------


@bp.get("/")
@staff_required()
def dashboard():
    """Counts by state, overdue and mine, and the oldest open complaint."""
    figures = queue.dashboard(current_user, utcnow())
    return render_template("staff/dashboard.html", figures=figures, state_labels=STATE_LABELS, now=utcnow())


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
        assignee=_one_arg("assignee"),
        sort=_one_arg("sort", queue.SORTS) or "oldest",
    )
    if filters.organisation and len(filters.organisation) > 200:
        abort_with_message(400, _("The organisation to look for is too long: at most 200 characters."))
    if filters.assignee not in (None, "me", "none") and not _STAFF_ID.fullmatch(filters.assignee):
        abort_with_message(400, _("“%(value)s” is not a possible value for “%(name)s”.", value=filters.assignee[:40], name="assignee"))
    return filters


def _requested_page():
    value = request.args.get("page")
    if value is None:
        return 1
    if not _PAGE_NUMBER.fullmatch(value) or int(value) < 1:
        abort_with_message(400, _("The page number must be a whole number from 1 upwards."))
    return int(value)


@bp.get("/complaints")
@staff_required()
def complaints():
    """The queue: complaints filtered, sorted and paginated."""
    filters = _queue_filters()
    page = _requested_page()
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


# -- one complaint -------------------------------------------------------------


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
            register=complaints_service.register_match(complaint.uscc),
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


# -- accounts (supervisors) ----------------------------------------------------


@bp.get("/users")
@staff_required(ROLE_SUPERVISOR)
def users():
    """Staff accounts, with their role, state and last sign-in."""
    now = utcnow()
    return render_template(
        "staff/users.html",
        users=accounts.all_staff(),
        delays=throttle.current_delays(now),
        account_key=throttle.account_key,
        roles=ROLES,
        now=now,
        required_roles=two_factor.required_roles(current_app.config["STAFF_TOTP_REQUIRED_ROLES"]),
    )


def _staff_account_or_404(user_id):
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort_with_message(404, _("There is no such staff account."))
    return user


@bp.post("/users/<int:user_id>/clear-sign-in-delays")
@staff_required(ROLE_SUPERVISOR)
def clear_sign_in_delays(user_id):
    """End the sign-in delays of an account, from every address."""
    user = _staff_account_or_404(user_id)
    accounts.clear_sign_in_delays(user.username)
    flash(_("The sign-in delays of %(username)s are cleared.", username=user.username), "success")
    return redirect(url_for("staff.users"), code=303)


@bp.post("/users/<int:user_id>/reset-two-factor")
@staff_required(ROLE_SUPERVISOR)
def reset_two_factor(user_id):
    """Remove another account's second factor (a lost phone); its sessions end."""
    user = _staff_account_or_404(user_id)
    if user.id == current_user.id:
        # Otherwise a stolen session could replace its owner's second factor without a code.
        abort_with_message(400, _("You cannot reset your own two-step verification. Ask another supervisor."))
    two_factor.reset(user.username, actor=current_user.username)
    flash(
        _("The two-step verification of %(username)s is reset; they can set it up again after signing in.",
          username=user.username),
        "success",
    )
    return redirect(url_for("staff.users"), code=303)


def load_user(user_id):
    """Flask-Login's user loader, on every request: the active account of the session, if its generation is current.

    The session holds "id:generation" (StaffUser.get_id). A session of an
    earlier generation has ended (sign-out, new password or second factor,
    deactivation), even if its cookie was copied before.
    """
    identifier, _separator, generation = (user_id or "").partition(":")
    if not identifier.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(StaffUser, int(identifier))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return user
