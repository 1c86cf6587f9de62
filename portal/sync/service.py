"""The nightly sync: scoring database -> portal database -> search index.

One run reads the rows of the scoring database that changed since the last
successful run (all rows in a full run), decides publication, records every
list change and score change, and writes the portal tables in ONE transaction
that holds the portal's sync lock. Only after that commit does the search
index catch up. The CLI (``flask sync run``) and the scheduler both call
``run_sync``.

The steps live in their own modules: ``read`` (which rows, checked and
quarantined), ``decide`` (what changes), ``apply`` (the writes of one
attempt) and ``record`` (the run records). This module orders them, owns the
clock of a run, and retries.
"""

import logging
import time

from flask import current_app

from portal.clock import utcnow
from portal.database import LockNotAcquired, locked_session
from portal.extensions import db
from portal.publication.state import run_after_publication
from portal.scoring import ScoringUnavailable, get_scoring_engine
from portal.scoring.reader import ScoringReader
from portal.sync.apply import Attempt
from portal.sync.models import (
    ERROR_INTERNAL,
    ERROR_LOCK_HELD,
    ERROR_SCORING_UNAVAILABLE,
    RUN_FAILED,
    RUN_SKIPPED,
    RUN_SUCCEEDED,
)
from portal.sync.record import (
    SyncResult,
    mark_interrupted_runs,
    record_failure,
    record_success,
    start_run,
)

log = logging.getLogger(__name__)


def _apply_once(run, full, progress, config):
    """Apply one attempt in one locked transaction. Return the finished Attempt."""
    engine = get_scoring_engine()
    with locked_session(config["SYNC_LOCK_WAIT_SECONDS"]) as session:
        mark_interrupted_runs(session, run.id, utcnow())
        with ScoringReader(engine, chunk_size=config["SYNC_CHUNK_SIZE"]) as reader:
            attempt = Attempt(session, reader, run, config, full, read_at=utcnow(), progress=progress)
            attempt.run_all()
        attempt.finish()
        record_success(session, attempt, utcnow())
        _before_commit_hook()
        session.commit()
    return attempt


def _before_commit_hook():
    """Tests replace this to fail a run at its last moment."""


def run_sync(full=False, trigger="cli", progress=None, update_index=True):
    """Run one sync and return its SyncResult. Never raises for a failed run.

    Retries a scoring database that is down or slow with exponential backoff;
    a failed run leaves the previous data in service.
    """
    config = current_app.config
    started = time.monotonic()
    try:
        run = start_run(trigger, full, utcnow())
    except Exception as exc:  # another sync holds SQLite's write lock for too long
        db.session.rollback()
        log.warning("sync skipped: could not record the run (%s)", exc)
        return SyncResult(None, RUN_SKIPPED, "full" if full else "incremental", error="another sync is running")
    retries = max(1, config["SYNC_RETRIES"])
    result = SyncResult(run.id, RUN_FAILED, run.mode)
    for attempt_number in range(1, retries + 1):
        run.attempts = attempt_number
        try:
            attempt = _apply_once(run, full, progress, config)
        except LockNotAcquired:
            log.warning("sync run %s skipped: another sync holds the lock", run.id)
            record_failure(run.id, RUN_SKIPPED, ERROR_LOCK_HELD, "another sync held the lock", attempt_number, utcnow())
            result.status, result.error = RUN_SKIPPED, "another sync held the lock"
            break
        except ScoringUnavailable as exc:
            message = f"scoring database unavailable: {exc}"
            log.warning("sync run %s attempt %s/%s failed: %s", run.id, attempt_number, retries, message)
            result.error = message
            if attempt_number < retries:
                time.sleep(config["SYNC_RETRY_BACKOFF_SECONDS"] * 2 ** (attempt_number - 1))
                continue
            record_failure(run.id, RUN_FAILED, ERROR_SCORING_UNAVAILABLE, message, attempt_number, utcnow())
            log.error("sync run %s failed after %s attempts; previous data stays in service", run.id, retries)
            break
        except Exception as exc:
            log.exception("sync run %s failed; previous data stays in service", run.id)
            result.error = f"{type(exc).__name__}: {exc}"
            record_failure(run.id, RUN_FAILED, ERROR_INTERNAL, result.error, attempt_number, utcnow())
            break
        else:
            result = SyncResult(
                run.id,
                RUN_SUCCEEDED,
                attempt.mode,
                rows_read=attempt.rows_read,
                rows_changed=attempt.rows_changed,
                published=attempt.entries,
                unpublished=attempt.exits,
                rejected=attempt.quarantine.count,
                unreconciled=attempt.reconciliation["count"],
                publication_version=attempt.version_after,
                published_count=attempt.published_count,
                attempts=attempt_number,
            )
            break
    result.attempts = run.attempts
    result.duration_seconds = time.monotonic() - started
    db.session.close()
    if result.status == RUN_SUCCEEDED:
        log.info("%s", result.summary())
        if update_index:
            result.index = catch_up_index()
        run_after_publication(result)
    return result


def catch_up_index():
    """Bring this node's search index up to the publication version. Never raises."""
    try:
        from portal.search import index as search_index

        return search_index.catch_up(current_app.config["INDEX_DIR"], db.session)
    except Exception as exc:
        log.exception("search index catch-up failed; it will catch up at the next run")
        return {"error": f"{type(exc).__name__}: {exc}"}
