"""The staff console's blueprint and what every page of it shares: access, session limits, headers, errors.

Views parse the request, call accounts/queue/workflow and render; the rules
live in those services. Every page here is private: never cached (neither
by portal.pagecache nor by a browser or proxy) and never indexed. The views
are by area: ``accounts`` (signing in, the second factor, staff accounts),
``queue`` (the dashboard and the queue) and ``complaint`` (one complaint).
"""

import time
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from portal.extensions import db
from portal.i18n import is_safe_next
from portal.origin import rate_limit_key
from portal.staff import two_factor
from portal.staff.forms import LoginForm, LogoutForm, error_list
from portal.staff.models import StaffUser

bp = Blueprint("staff", __name__, url_prefix="/staff")

#: Views anyone may reach (the sign-in steps); every other view needs a signed-in staff member.
PUBLIC_ENDPOINTS = {"staff.login", "staff.login_code"}
#: Views open to a signed-in user who must still set up a second factor.
ENROLMENT_ENDPOINTS = {"staff.two_factor", "staff.logout"}

#: Session key: the half-signed-in state between the password and the code (or the set-up).
PENDING = "staff_pending"


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
            if not current_user.is_authenticated and not (enrolling and pending_user("enrol")[0] is not None):
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
        return redirect(url_for("staff.two_factor"), code=redirect_code())


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
        return login_page(message, 400)
    return render_template("staff/error.html", code=400, message=message), 400


bp.register_error_handler(401, _error_page)
bp.register_error_handler(403, _error_page)
bp.register_error_handler(CSRFError, _csrf_error)

# -- signing in and out --------------------------------------------------------


def safe_next():
    target = request.args.get("next", "")
    if is_safe_next(target) and (target == "/staff" or target.startswith("/staff/")):
        return target
    return url_for("staff.dashboard")


def redirect_code():
    # After a POST, the browser must GET the new address.
    return 302 if request.method in ("GET", "HEAD") else 303


def login_page(failure=None, status=200, form=None):
    form = form or LoginForm()
    errors = error_list(form)
    if failure:
        errors.insert(0, (form.username.id, failure))
    return render_template("staff/login.html", form=form, errors=errors, failure=failure), status


def start_session(user):
    """Sign ``user`` in, in a new session: nothing from before carries over (no fixation)."""
    session.clear()
    login_user(user)
    now = time.time()
    session["staff_since"] = now
    session["staff_seen"] = now


def pending_user(step):
    """Return (user, target) of the half-signed-in state at ``step`` ("code" or "enrol"); (None, None) if none.

    The state ends after STAFF_TOTP_PENDING_SECONDS (the code) or
    two_factor.ENROLMENT_SECONDS (the set-up), and when the account's session
    generation moves on (a sign-out elsewhere, a new password, deactivation).
    """
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("step") != step:
        return None, None
    limit = current_app.config["STAFF_TOTP_PENDING_SECONDS"] if step == "code" else two_factor.ENROLMENT_SECONDS
    user = db.session.get(StaffUser, pending.get("user", 0))
    if time.time() - pending.get("since", 0) > limit:
        session.pop(PENDING)
        flash(_("The sign-in took too long. Please sign in again."), "notice")
        return None, None
    if user is None or not user.is_active or user.session_generation != pending.get("generation"):
        session.pop(PENDING)
        return None, None
    return user, pending.get("next") or url_for("staff.dashboard")


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
