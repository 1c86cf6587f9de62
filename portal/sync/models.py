"""Sync runs: when each ran, what it read and changed, and why one failed.

The publication state and the list changes a run records are in ``portal.publication.models``.
"""

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text
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
    # Scores that do not equal the sum of their items (they are published with
    # the scoring system's grade all the same), and the rule sets that contradict
    # themselves: {"scores": [{uscc, score, recomputed}...], "rule_sets": {version: [problems]}}.
    unreconciled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reconciliation: Mapped[dict | None] = mapped_column(JSON)
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
