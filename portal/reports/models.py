"""Issued credit reports: what each printed or downloaded report stated, so that it can be verified."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class IssuedReport(db.Model):
    """One issued credit report.

    ``content`` is the exact canonical JSON text that was hashed into
    ``sha256`` (see ``portal.reports.service.canonical_json``); it is kept as
    text, not as a JSON column, so that the hash can be checked byte for byte
    whatever the database does to JSON values.
    """

    __tablename__ = "issued_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_number: Mapped[str] = mapped_column(String(40), unique=True)
    uscc: Mapped[str] = mapped_column(String(18))
    language: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    # The Beijing day of issue: minus items leave a report at the end of their display
    # window (portal.rules.windows), so a report is reused on the day it was issued only.
    issued_on: Mapped[date] = mapped_column(Date)
    publication_version: Mapped[int] = mapped_column(Integer)
    data_as_of: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        # One report per organisation, publication, language and day: crawlers cannot add rows without limit.
        UniqueConstraint(
            "uscc", "publication_version", "language", "issued_on", name="uq_issued_reports_publication_day"
        ),
        Index("ix_issued_reports_uscc", "uscc"),
    )

    def __repr__(self):
        return f"<IssuedReport {self.report_number} {self.uscc} v{self.publication_version} {self.language}>"
