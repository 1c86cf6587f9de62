"""Staff accounts: the people who handle complaints (handlers) and oversee them (supervisors).

Passwords are werkzeug scrypt hashes; TOTP secrets are Fernet tokens (see
portal.staff.two_factor). Times are naive UTC.
"""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Integer, String
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
    # Failed sign-ins since the last success or lockout (see accounts.check_password and record_sign_in).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
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

    def is_locked(self, now=None):
        return self.locked_until is not None and self.locked_until > (now or datetime.now(UTC).replace(tzinfo=None))

    def get_id(self):
        # What Flask-Login keeps in the session: the id and the session generation at sign-in.
        return f"{self.id}:{self.session_generation}"

    def __repr__(self):
        return f"<StaffUser {self.username} {self.role}>"
