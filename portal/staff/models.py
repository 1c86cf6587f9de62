"""Staff accounts: the people who handle complaints (handlers) and oversee them (supervisors).

Passwords are werkzeug scrypt hashes; TOTP secrets are Fernet tokens (see
portal.staff.two_factor). Times are naive UTC.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

ROLE_HANDLER = "handler"
ROLE_SUPERVISOR = "supervisor"

ROLES = {
    ROLE_HANDLER: _l("Handler"),
    ROLE_SUPERVISOR: _l("Supervisor"),
}


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_HANDLER)
    # Deactivated accounts cannot sign in, and their open sessions end at the next request.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime)
    # The TOTP secret of the second factor, encrypted (a Fernet token); None until the user sets it up.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    # The TOTP time step of the last code accepted: a code is refused unless its step is later (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Sessions carry the generation they were opened in; bumping it (sign-out, a new password or
    # second factor, deactivation) ends every session of the account, copied cookies included.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def is_supervisor(self):
        return self.role == ROLE_SUPERVISOR

    @property
    def has_two_factor(self):
        return self.totp_secret is not None

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    def get_id(self):
        # What Flask-Login keeps in the session: the id and the session generation at sign-in.
        return f"{self.id}:{self.session_generation}"

    def __repr__(self):
        return f"<StaffUser {self.username} {self.role}>"


class SignInThrottle(db.Model):
    """Failed sign-ins for one account name from one client address, and the delay they earned.

    ``account`` is the username as typed (trimmed, lower case), whether or not
    such an account exists: unknown names are delayed exactly like real ones.
    ``address`` is the client address, or ``throttle.EVERY_ADDRESS`` for the
    wrong second-factor codes of an account from anywhere. See portal.staff.throttle.
    """

    __tablename__ = "staff_sign_in_throttles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    # Failures counted since the last completed sign-in (attempts refused while delayed do not count).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts are refused, unchecked, until then.
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("account", "address", name="uq_staff_sign_in_throttles_account_address"),
        Index("ix_staff_sign_in_throttles_last_attempt_at", "last_attempt_at"),
    )

    def __repr__(self):
        return f"<SignInThrottle {self.account} {self.address} {self.failures}>"
