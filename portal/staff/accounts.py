"""Staff accounts: creation, the password policy, sign-in (with delays after failures) and deactivation.

The second factor of sign-in is in portal.staff.two_factor; failed sign-ins
are slowed down by portal.staff.throttle, per account name and client
address (there is no account lockout: it was a weapon and an oracle).

The CLI (``flask staff ...``) and the views call these functions; they take
plain arguments and raise ``AccountError`` (with a translated message) when
something cannot be done.
"""

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.clock import utcnow
from portal.extensions import db
from portal.staff import throttle
from portal.staff.models import ROLES, StaffUser

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")
PASSWORD_MAX_LENGTH = 256
DISPLAY_NAME_MAX_LENGTH = 100

# Checked against when the username is unknown (or deactivated), so that every
# refusal costs one scrypt check like a wrong password: no timing oracle for
# usernames. A hash of a random password nobody knows, with the parameters of
# hash_password (a test checks that they stay the same), made once for all
# processes: making it on first use would slow that first attempt down.
DUMMY_HASH = (
    "scrypt:32768:8:1$Eh5TyrB5eoRxvupw$a9a106d1caba47ac9a0ce3211254aa8f522db6fa729aaa9ac00a5d6866984a38"
    "a01b5349e5f043cbacd4644f0e942a7f1c2d5f96608c779129f3467e1f39f7b9"
)


class AccountError(Exception):
    """An account operation was refused; ``messages`` are translated, for people."""

    def __init__(self, *messages):
        super().__init__(*[str(message) for message in messages])
        self.messages = list(messages)

    def __str__(self):
        return " ".join(str(message) for message in self.messages)


class PasswordPolicyError(AccountError):
    """The password does not meet the policy."""


class LoginFailed(Exception):
    """A sign-in was refused.

    At the password step ``reason`` is always ``refused``: an unknown name, a
    wrong password and a delayed attempt must look alike. At the code step
    (two_factor.CodeRefused) it says why.
    """

    def __init__(self, reason="refused"):
        super().__init__(reason)
        self.reason = reason


def hash_password(password):
    return generate_password_hash(password, method="scrypt")


def _character_classes(password):
    classes = set()
    for character in password:
        if character.islower():
            classes.add("lower")
        elif character.isupper():
            classes.add("upper")
        elif character.isdigit():
            classes.add("digit")
        else:
            classes.add("other")
    return classes


def password_problems(password, username):
    """Return what is wrong with ``password`` for the account ``username`` (translated lazily); [] if it is fine."""
    minimum = current_app.config["STAFF_PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(_l("The password must be at least %(num)s characters long.", num=minimum))
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(_l("The password must be at most %(num)s characters long.", num=PASSWORD_MAX_LENGTH))
    if password and len(_character_classes(password)) < 2:
        problems.append(
            _l("The password must mix at least two kinds of characters: lower case, upper case, digits, others.")
        )
    if username and username.strip().lower() in password.lower():
        problems.append(_l("The password must not contain the username."))
    return problems


def check_password_policy(password, username):
    """Raise PasswordPolicyError if ``password`` does not meet the policy."""
    problems = password_problems(password, username)
    if problems:
        raise PasswordPolicyError(*problems)


def get_user(username):
    """Return the StaffUser called ``username`` (case-insensitive), or None."""
    return db.session.scalar(select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower()))


def require_user(username):
    """Return the StaffUser called ``username``; raise AccountError if there is none."""
    user = get_user(username)
    if user is None:
        raise AccountError(_l("There is no staff account called “%(username)s”.", username=username))
    return user


def create_user(username, role, display_name, password, now=None):
    """Create and return an active staff account; raise AccountError if it cannot be created."""
    now = now or utcnow()
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    problems = []
    if not USERNAME_PATTERN.fullmatch(username):
        problems.append(
            _l("A username has 3 to 64 letters, digits, dots, hyphens or underscores, and starts with a letter or digit.")
        )
    if role not in ROLES:
        problems.append(_l("The role must be one of: %(roles)s.", roles=", ".join(ROLES)))
    if not display_name or len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        problems.append(_l("The display name must have 1 to %(num)s characters.", num=DISPLAY_NAME_MAX_LENGTH))
    if problems:
        raise AccountError(*problems)
    if get_user(username) is not None:
        raise AccountError(_l("A staff account called “%(username)s” already exists.", username=username))
    check_password_policy(password, username)
    user = StaffUser(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        is_active=True,
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.commit()
    return user


def next_session_generation():
    """Return the SQL value that moves an account to its next session generation.

    Assigned to ``StaffUser.session_generation`` and committed, it ends every
    session of the account (see StaffUser.get_id and views.load_user), in one
    UPDATE, so that concurrent bumps all count.
    """
    return StaffUser.session_generation + 1


def end_sessions(user):
    """End every session of ``user``, on every device, and any sign-in of it left half done."""
    user.session_generation = next_session_generation()
    db.session.commit()
    return user


def set_password(username, password, now=None):
    """Set a new password for ``username``; it also ends the account's sessions."""
    user = require_user(username)
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = now or utcnow()
    user.session_generation = next_session_generation()
    db.session.commit()
    return user


def change_own_password(user, current_password, new_password, now=None):
    """Change a signed-in user's password after checking the current one."""
    if not check_password_hash(user.password_hash, current_password or ""):
        raise AccountError(_l("The current password is not correct."))
    if current_password == new_password:
        raise PasswordPolicyError(_l("The new password must be different from the current one."))
    return set_password(user.username, new_password, now=now)


def clear_sign_in_delays(username):
    """Forget the failed sign-ins of ``username`` from every address, and so end its delays."""
    user = require_user(username)
    throttle.clear(user.username)
    return user


def deactivate(username):
    """Deactivate ``username``: it can no longer sign in, and its open sessions end."""
    user = require_user(username)
    user.is_active = False
    user.session_generation = next_session_generation()
    db.session.commit()
    return user


def activate(username):
    """Reactivate a deactivated account."""
    user = require_user(username)
    user.is_active = True
    db.session.commit()
    return user


def check_password(username, password, address, now=None):
    """Return the active StaffUser whose password this is; raise LoginFailed otherwise.

    ``address`` is the client's address: failures are counted, and attempts
    delayed, per account name as typed and address (portal.staff.throttle).
    An unknown name, a deactivated account, a wrong password and an attempt
    during a delay are refused alike, after the same work: one scrypt check
    (of the dummy hash when there is no usable account, and also during a
    delay, whose attempt is then neither trusted nor counted) and one write
    of the attempt.

    A right password does not clear the count: record_sign_in does, once any
    second step (two_factor.second_step) is done too. Otherwise codes could be
    guessed without end, with the password typed again between every few.
    """
    now = now or utcnow()
    user = get_user(username) if username else None
    usable = user is not None and user.is_active
    correct = check_password_hash(user.password_hash if usable else DUMMY_HASH, password or "")
    if throttle.delayed_until(username, address, now) is not None:
        throttle.record_refused(username, address, now)
        raise LoginFailed()
    if not (usable and correct):
        throttle.record_failure(username, address, now)
        raise LoginFailed()
    return user


def record_sign_in(user, address, now=None):
    """Record a completed sign-in from ``address``: its failures (and those of codes from anywhere) are forgotten."""
    user.last_login_at = now or utcnow()
    db.session.commit()
    throttle.clear(user.username, address)
    return user


def active_staff():
    """Return every active account, by display name (to choose an assignee)."""
    return db.session.scalars(
        select(StaffUser).where(StaffUser.is_active.is_(True)).order_by(StaffUser.display_name, StaffUser.id)
    ).all()


def all_staff():
    return db.session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
