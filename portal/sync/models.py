"""Sync runs, the publication state and the record of list changes."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

RUN_RUNNING = "running"
RUN_SUCCEEDED = "succeeded"
RUN_FAILED = "failed"
RUN_SKIPPED = "skipped"

#: Why a run did not succeed: a code the public status page can translate.
ERROR_SCORING_UNAVAILABLE = "scoring_unavailable"
ERROR_LOCK_HELD = "lock_held"
ERROR_INTERRUPTED = "interrupted"
ERROR_INTERNAL = "internal_error"

CHANGE_ENTRY = "entry"
CHANGE_EXIT = "exit"
CHANGE_GRADE = "grade_change"


class SyncRun(db.Model):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default=RUN_RUNNING)
    mode: Mapped[str] = mapped_column(String(16))  # incremental | full
    trigger: Mapped[str] = mapped_column(String(16))  # cli | scheduler | test
    host: Mapped[str | None] = mapped_column(String(100))
    pid: Mapped[int | None] = mapped_column(Integer)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[int] = mapped_column(Integer, default=0)  # entries to the public list
    unpublished: Mapped[int] = mapped_column(Integer, default=0)  # exits from the public list
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    # Rows that were read but not published or not applied, with the reason.
    rejections: Mapped[list | None] = mapped_column(JSON)
    publication_version: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error_code: Mapped[str | None] = mapped_column(String(32))
    # Details for operators (CLI, logs); never shown on a public page.
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def duration_seconds(self):
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class PublicationState(db.Model):
    """One row: what the public currently sees, and where the next incremental sync starts."""

    __tablename__ = "publication_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    # Data as of: when the last successful sync read the scoring database.
    data_as_of: Mapped[datetime | None] = mapped_column(DateTime)
    last_full_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_count: Mapped[int] = mapped_column(Integer, default=0)
    # Per-table high-water marks of the source's updated_at, as ISO strings.
    watermarks: Mapped[dict | None] = mapped_column(JSON)


class ListChange(db.Model):
    """An entry to or exit from the public list, or a grade change while listed."""

    __tablename__ = "list_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sync_run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    publication_version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    change_type: Mapped[str] = mapped_column(String(16))
    # Grades as published: old_grade is set for exits and grade changes,
    # new_grade for entries and grade changes. An exit never records the
    # grade that made the organisation leave, so nothing can reveal it.
    old_grade: Mapped[str | None] = mapped_column(String(1))
    new_grade: Mapped[str | None] = mapped_column(String(1))
    # Internal reason code (never shown publicly for exits).
    reason: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_list_changes_changed_at", "changed_at"),
        Index("ix_list_changes_type_changed_at", "change_type", "changed_at"),
        Index("ix_list_changes_uscc", "uscc"),
    )
