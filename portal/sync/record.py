"""Record: the run records of the sync, and the result a run hands back.

A run is recorded as running in its own short transaction before it applies
anything, so that a run that dies leaves a trace (the next run marks it
interrupted). Its success is recorded inside the apply's transaction; its
failure after that transaction rolled back.
"""

import logging
import os
import socket
from dataclasses import dataclass

from sqlalchemy import select, update

from portal.extensions import db
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.sync.models import ERROR_INTERRUPTED, RUN_FAILED, RUN_RUNNING, RUN_SUCCEEDED, SyncRun

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    run_id: int | None
    status: str
    mode: str
    rows_read: int = 0
    rows_changed: int = 0
    published: int = 0
    unpublished: int = 0
    rejected: int = 0
    unreconciled: int = 0  # scores that are not the sum of their items (score_does_not_reconcile)
    publication_version: int | None = None
    published_count: int | None = None
    duration_seconds: float = 0.0
    attempts: int = 1
    error: str | None = None
    index: dict | None = None

    def summary(self):
        """Return the one-line summary printed by the CLI."""
        if self.status != RUN_SUCCEEDED:
            return f"sync {self.status} (run {self.run_id}): {self.error}"
        line = (
            f"sync {self.mode} run {self.run_id} succeeded in {self.duration_seconds:.1f} s: "
            f"{self.rows_read} rows read, {self.rows_changed} changed, "
            f"{self.published} entered and {self.unpublished} left the public list, "
            f"{self.rejected} rejected, {self.unreconciled} score_does_not_reconcile; "
            f"{self.published_count} published, version {self.publication_version}"
        )
        if self.index is not None:
            if self.index.get("error"):
                line += f"; index NOT updated: {self.index['error']}"
            else:
                line += f"; index at version {self.index.get('version')}"
        return line


@dataclass
class RunHandle:
    """The few facts of a run the apply needs, detached from any session."""

    id: int
    mode: str
    attempts: int = 1


def start_run(trigger, full, now):
    """Record a running run in its own short transaction; return its RunHandle."""
    run = SyncRun(
        started_at=now,
        status=RUN_RUNNING,
        mode="full" if full else "incremental",
        trigger=trigger,
        host=socket.gethostname()[:100],
        pid=os.getpid(),
    )
    db.session.add(run)
    db.session.flush()
    handle = RunHandle(run.id, run.mode)
    db.session.commit()
    # End the session: an open read transaction would keep an old snapshot
    # (on SQLite) for the index catch-up that follows the run.
    db.session.close()
    return handle


def record_failure(run_id, status, error_code, error, attempts, now):
    """Record how a run ended without applying, after its transaction rolled back. Never raises."""
    db.session.rollback()
    try:
        run = db.session.get(SyncRun, run_id)
        run.status = status
        run.finished_at = now
        run.error_code = error_code
        run.error = error
        run.attempts = attempts
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the end of sync run %s; the next run marks it interrupted", run_id)
    finally:
        db.session.close()


def record_success(session, attempt, now):
    """Record the run of ``attempt`` (an ``apply.Attempt``, finished) as succeeded, inside its transaction."""
    run = session.get(SyncRun, attempt.run.id)
    run.mode = attempt.mode
    run.status = RUN_SUCCEEDED
    run.finished_at = now
    run.rows_read = attempt.rows_read
    run.rows_changed = attempt.rows_changed
    run.published = attempt.entries
    run.unpublished = attempt.exits
    run.rejected = attempt.quarantine.count
    run.rejections = attempt.quarantine.listed
    run.unreconciled = attempt.reconciliation["count"]
    run.reconciliation = attempt.reconciliation
    run.publication_version = attempt.version_after
    run.attempts = attempt.run.attempts
    run.error_code = run.error = None


def mark_interrupted_runs(session, before_run_id, now):
    """Mark runs left 'running' by a process that died as failed."""
    session.execute(
        update(SyncRun)
        .where(SyncRun.status == RUN_RUNNING, SyncRun.id < before_run_id)
        .values(
            status=RUN_FAILED,
            error_code=ERROR_INTERRUPTED,
            error="interrupted: the process ended before the run finished",
            finished_at=now,
        )
    )


def recent_runs(limit=20):
    """Return the most recent sync runs, newest first."""
    return db.session.execute(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).scalars().all()


@dataclass(frozen=True)
class DataQuality:
    """What the last successful run found of the data as published: scores that do not add up, rule sets that contradict themselves."""

    run: SyncRun | None
    checked: int = 0
    unreconciled: int = 0
    published_differences: list = None  # (uscc, name, score, recomputed) of published organisations only
    rule_set_problems: dict = None  # version -> [{code, details}]


def data_quality(limit=50):
    """Return the DataQuality of the last successful run.

    Differences are listed only for organisations published now; the others
    are only counted, so the page tells no unpublished organisation apart.
    """
    run = db.session.scalar(
        select(SyncRun).where(SyncRun.status == RUN_SUCCEEDED).order_by(SyncRun.id.desc()).limit(1)
    )
    if run is None or not run.reconciliation:
        return DataQuality(run, published_differences=[], rule_set_problems={})
    record = run.reconciliation
    differences = {item["uscc"]: item for item in record.get("differences", [])}
    names = dict(
        db.session.execute(
            select(Organisation.uscc, Organisation.name).where(PUBLISHED, Organisation.uscc.in_(list(differences)))
        ).all()
    ) if differences else {}
    listed = [
        (uscc, names[uscc], differences[uscc]["score"], differences[uscc]["recomputed"])
        for uscc in sorted(names)
    ][:limit]
    return DataQuality(
        run,
        checked=record.get("checked", 0),
        unreconciled=record.get("count", 0),
        published_differences=listed,
        rule_set_problems=record.get("rule_sets", {}),
    )
