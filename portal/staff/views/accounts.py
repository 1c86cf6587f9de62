"""Staff console: signing in and out, one's password and second factor, and the accounts page (supervisors)."""

import time

import segno
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from portal.clock import utcnow
from portal.extensions import db, limiter
from portal.staff import accounts, throttle, two_factor
from portal.staff.forms import (
    CodeForm,
    LoginForm,
    PasswordForm,
    error_list,
)
from portal.staff.models import ROLE_SUPERVISOR, ROLES, StaffUser
from portal.staff.views.base import (
    PENDING,
    bp,
    login_page,
    pending_user,
    redirect_code,
    safe_next,
    sign_in_address,
    staff_required,
    start_session,
)
from portal.web import abort_with_message

#: Session key: the secret being set up (encrypted).
_CANDIDATE = "staff_totp_candidate"


def _begin_second_step(user, step, target):
    """Keep ``user``, who gave the right password, half signed in until the code (or the set-up of a second factor)."""
    session.clear()
    session[PENDING] = {
        "user": user.id,
        "generation": user.session_generation,
        "step": step,
        "since": time.time(),
        "next": target,
    }


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with a username and password; then a code, if the account has a second factor."""
    if current_user.is_authenticated:
        return redirect(safe_next())
    form = LoginForm()
    if not form.is_submitted():
        # Back at the first step: a sign-in left half done is abandoned.
        session.pop(PENDING, None)
        return login_page(form=form)
    if not form.validate():
        return login_page(status=400, form=form)
    try:
        user = accounts.check_password(form.username.data, form.password.data, sign_in_address())
    except accounts.LoginFailed:
        # One message for an unknown name, a wrong password and a delayed attempt: none may tell which.
        failure = _(
            "Sign-in failed: the username or password is not correct, or there were too many failed attempts "
            "from your address. Check them, and try again in a few minutes."
        )
        return login_page(failure, 401, form)
    target = safe_next()
    step = two_factor.second_step(user)
    if step is None:
        accounts.record_sign_in(user, sign_in_address())
        start_session(user)
        return redirect(target, code=303)
    _begin_second_step(user, step, target)
    return redirect(url_for("staff.login_code" if step == "code" else "staff.two_factor"), code=303)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"], methods=["POST"])
def login_code():
    """The second step of signing in: the code of the authenticator app."""
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"), code=redirect_code())
    user, target = pending_user("code")
    if user is None:
        return redirect(url_for("staff.login"), code=redirect_code())
    form = CodeForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                two_factor.verify_sign_in(user, form.code.data, sign_in_address())
            except two_factor.CodeRefused as error:
                if error.reason == "delayed":
                    session.pop(PENDING, None)
                    return login_page(str(two_factor.refusal_message("delayed")), 401)
                status = 401
                _refuse_code(form, two_factor.refusal_message(error.reason))
            else:
                start_session(user)
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
                start_session(db.session.get(StaffUser, current_user.id))
                flash(_("Your password has been changed. Other sessions of your account have ended."), "notice")
                return redirect(url_for("staff.dashboard"), code=303)
    return render_template("staff/password.html", form=form, errors=error_list(form) + problems), status

# -- the second factor ----------------------------------------------------------


def _enrolling_user():
    """Return (user, target): the signed-in user, or the one half signed in who must set up a second factor."""
    if current_user.is_authenticated:
        return db.session.get(StaffUser, current_user.id), None
    return pending_user("enrol")


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
        start_session(user)
        flash(_("Two-step verification is on. Other sessions of your account have ended."), "success")
        return redirect(url_for("staff.two_factor"), code=303)
    accounts.record_sign_in(user, sign_in_address())
    start_session(user)
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
    start_session(user)
    flash(_("Two-step verification is off. Other sessions of your account have ended."), "success")
    return redirect(url_for("staff.two_factor"), code=303)

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


@bp.post("/users/<row_id:user_id>/clear-sign-in-delays")
@staff_required(ROLE_SUPERVISOR)
def clear_sign_in_delays(user_id):
    """End the sign-in delays of an account, from every address."""
    user = _staff_account_or_404(user_id)
    accounts.clear_sign_in_delays(user.username)
    flash(_("The sign-in delays of %(username)s are cleared.", username=user.username), "success")
    return redirect(url_for("staff.users"), code=303)


@bp.post("/users/<row_id:user_id>/reset-two-factor")
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
