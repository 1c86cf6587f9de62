"""The second factor of staff sign-in: TOTP codes (RFC 6238) from an authenticator app.

A secret is set up by confirming a code from it, and only then stored, as a
Fernet token (STAFF_TOTP_KEY, or else COMPLAINT_CONTACT_KEY, through
portal.complaints.crypto). Codes of the previous, current and next 30-second
step are accepted; a code whose step is not later than the last accepted one
is refused, so that a code cannot be used twice. Wrong codes at sign-in, and
when turning the factor off, count towards the sign-in delays of the account
from that address and from every address (portal.staff.throttle).

The views and the CLI call these functions with plain arguments; the views
keep the half-signed-in state in the session.
"""

import logging
import re
import unicodedata
from datetime import UTC

import pyotp
from cryptography.fernet import InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from pyotp.exceptions import OTPVerificationError
from sqlalchemy import or_, update

from portal.characters import clean_text
from portal.complaints import crypto
from portal.extensions import db
from portal.staff import accounts, throttle
from portal.staff.models import ROLES, StaffUser

log = logging.getLogger(__name__)

#: Steps before and after the current one whose codes are accepted (clocks drift; people are slow).
VALID_WINDOW = 1
#: Seconds a secret being set up stays valid, and a half-signed-in user may take to set one up.
ENROLMENT_SECONDS = 15 * 60

_CODE = re.compile(r"[0-9]{6}")
_SEPARATORS = re.compile(r"[\s\-]+")


class CodeRefused(accounts.LoginFailed):
    """A code was refused at sign-in. ``reason``: invalid, replayed, delayed or unavailable (secret unreadable)."""


def required_roles(setting):
    """Return the roles of a STAFF_TOTP_REQUIRED_ROLES setting (text or a list) as a frozenset; ValueError if unknown."""
    if isinstance(setting, str):
        setting = setting.split(",")
    roles = frozenset(role.strip() for role in setting or () if role and role.strip())
    unknown = roles - set(ROLES)
    if unknown:
        raise ValueError(f"STAFF_TOTP_REQUIRED_ROLES: unknown role(s) {', '.join(sorted(unknown))}")
    return roles


def is_required(user):
    """Whether ``user``'s role must use a second factor (STAFF_TOTP_REQUIRED_ROLES)."""
    return user.role in required_roles(current_app.config["STAFF_TOTP_REQUIRED_ROLES"])


def must_enrol(user):
    """Whether ``user`` must set up a second factor before reaching any other staff page."""
    return not user.has_two_factor and is_required(user)


def second_step(user):
    """Return what must follow a correct password: "code", "enrol" or None (signed in)."""
    if user.has_two_factor:
        return "code"
    if is_required(user):
        return "enrol"
    return None


def normalise_code(text):
    """Return a code as typed, with full-width digits made ASCII and spaces, hyphens and control characters removed."""
    if text is None:
        return None
    return _SEPARATORS.sub("", clean_text(unicodedata.normalize("NFKC", text))[0])


def is_well_formed(code):
    return bool(code) and _CODE.fullmatch(code) is not None


# -- secrets -------------------------------------------------------------------


def _fernet():
    config = current_app.config
    return crypto.build_fernet(config.get("STAFF_TOTP_KEY") or config.get("COMPLAINT_CONTACT_KEY"))


def check_key(config):
    """Raise RuntimeError at start-up if STAFF_TOTP_KEY is set but is not a Fernet key."""
    if config.get("STAFF_TOTP_KEY"):
        try:
            crypto.build_fernet(config["STAFF_TOTP_KEY"])
        except crypto.ContactKeyError as error:
            raise RuntimeError("STAFF_TOTP_KEY is not a valid Fernet key (flask complaints generate-key)") from error


def new_secret():
    """Return a new random secret: 32 base32 characters (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32()


def seal(secret):
    """Return ``secret`` encrypted, as text (for the database, or for the session while it is set up)."""
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def unseal(token, max_age=None):
    """Return the secret of a sealed token; None if it is unreadable or older than ``max_age`` seconds."""
    try:
        return _fernet().decrypt(token.encode("ascii"), ttl=max_age).decode("ascii")
    except (InvalidToken, crypto.ContactKeyError, AttributeError, UnicodeError):
        return None


def grouped(secret):
    """Return the secret in groups of four characters, to be read and typed."""
    return " ".join(secret[start:start + 4] for start in range(0, len(secret), 4))


def provisioning_uri(user, secret):
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=current_app.config["STAFF_TOTP_ISSUER"])


def _matching_step(secret, code, now):
    """Return the time step whose code ``code`` is, within the window; None if it matches none."""
    if not is_well_formed(code):
        return None
    try:
        return pyotp.TOTP(secret).verify_and_get_timecode(
            code, for_time=now.replace(tzinfo=UTC), valid_window=VALID_WINDOW
        )
    except OTPVerificationError:
        return None


def _claim_step(user, step):
    """Record ``step`` as the last accepted one, unless it is not later: return whether it was claimed.

    One UPDATE with the condition, so that two workers given the same code
    cannot both accept it.
    """
    claimed = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id, or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount
    db.session.commit()
    db.session.refresh(user)
    return claimed == 1


def _check_code(user, code, address, now):
    """Return None if ``code`` is accepted (and claim its step), or the reason it is refused.

    Refused unchecked while the account is delayed at ``address`` or from every address.
    """
    if throttle.delayed_until(user.username, address, now, every_address=True) is not None:
        return "delayed"
    secret = unseal(user.totp_secret)
    if secret is None:
        # Encrypted with a key the portal no longer has: only a reset helps. Not the user's failure.
        log.error("The TOTP secret of staff account %s cannot be decrypted: reset it", user.username)
        return "unavailable"
    step = _matching_step(secret, code, now)
    reason = None
    if step is None:
        reason = "invalid"
    elif not _claim_step(user, step):
        reason = "replayed"
    if reason is not None:
        throttle.record_failure(user.username, address, now, every_address=True)
    return reason


# -- setting up, signing in, turning off -----------------------------------------


def enrol(user, secret, code, now=None):
    """Store ``secret`` as ``user``'s second factor once ``code`` shows the app has it; AccountError if not."""
    now = now or accounts.utcnow()
    step = _matching_step(secret, normalise_code(code), now)
    if step is None:
        raise accounts.AccountError(
            _l("The code is not correct. Check that the app shows the portal’s entry and enter its current code.")
        )
    user.totp_secret = seal(secret)
    # The confirming code cannot be used again to sign in.
    user.totp_last_step = step
    user.session_generation = accounts.next_session_generation()
    db.session.commit()
    log.info("Staff account %s set up two-step verification", user.username)
    return user


def verify_sign_in(user, code, address, now=None):
    """Finish signing in ``user`` (who gave the right password at ``address``) with a code; raise CodeRefused if refused."""
    now = now or accounts.utcnow()
    reason = _check_code(user, normalise_code(code), address, now)
    if reason is not None:
        raise CodeRefused(reason)
    accounts.record_sign_in(user, address, now)
    return user


def disable(user, code, address, now=None):
    """Turn off ``user``'s own second factor with a current code typed at ``address``; AccountError if refused."""
    now = now or accounts.utcnow()
    if is_required(user):
        raise accounts.AccountError(_l("Your role requires two-step verification: it cannot be turned off."))
    if not user.has_two_factor:
        return user
    reason = _check_code(user, normalise_code(code), address, now)
    if reason is not None:
        raise accounts.AccountError(refusal_message(reason))
    user.totp_secret = None
    user.totp_last_step = None
    user.session_generation = accounts.next_session_generation()
    db.session.commit()
    log.info("Staff account %s turned off two-step verification", user.username)
    return user


def reset(username, actor=None):
    """Remove the second factor of ``username`` (a lost phone); with a role that requires one, it is set up again at the next sign-in."""
    user = accounts.require_user(username)
    user.totp_secret = None
    user.totp_last_step = None
    user.session_generation = accounts.next_session_generation()
    db.session.commit()
    # The accounts have no audit table: the log records who reset whose second factor.
    log.warning("Two-step verification of staff account %s reset by %s", user.username, actor or "the command line")
    return user


def refusal_message(reason):
    """Return the message (translated lazily) for a code refused for ``reason``."""
    return {
        "invalid": _l("The code is not correct. Enter the current code from your authenticator app."),
        "replayed": _l("This code has already been used. Wait for the next code and enter it."),
        "delayed": _l("Too many wrong codes: wait a few minutes, then try again."),
        "unavailable": _l("Your two-step verification cannot be checked. Ask a supervisor to reset it."),
    }[reason]
