"""Reports of errors on the site's pages (我为政府网站找错). Times are naive UTC."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

#: What kind of error the reader found.
CATEGORIES = {
    "wrong_content": _l("Wrong or outdated information"),
    "broken_link": _l("A link that does not work"),
    "display": _l("The page does not show or work properly"),
    "typo": _l("A typing or language error"),
    "accessibility": _l("Hard to use with a screen reader, keyboard or large text"),
    "other": _l("Something else"),
}

#: A report is new until a member of staff closes it.
STATUS_LABELS = {"new": _l("New"), "handled": _l("Handled")}


class SiteErrorReport(db.Model):
    __tablename__ = "site_error_reports"
    __table_args__ = (Index("ix_site_error_reports_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The path (and query) on this site of the page the error is on.
    page: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    #: The reader's phone or e-mail for a reply, encrypted like a complainant's (a Fernet token).
    contact_token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="new")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    handling_note: Mapped[str | None] = mapped_column(String(500), nullable=True)
