"""The nightly sync: scoring database -> portal database -> search index.

One run reads the rows of the scoring database that changed since the last
successful run (all rows in a full run), decides publication, records every
list change and score change, and writes the portal tables in ONE transaction
that holds the portal's sync lock. Only after that commit does the search
index catch up. The CLI (``flask sync run``) and the scheduler both call
``run_sync``.
"""

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from flask import current_app
from sqlalchemy import func, select, update

from portal.chinese import name_pinyin
from portal.clock import utcnow
from portal.database import BulkInserter, LockNotAcquired, locked_session
from portal.extensions import db
from portal.grades import GRADES
from portal.publication.decision import decide_publication
from portal.publication.models import (
    CHANGE_ENTRY,
    CHANGE_EXIT,
    CHANGE_GRADE,
    CreditEvent,
    ListChange,
    ListEntry,
    Organisation,
    PublicationState,
    ScoreSnapshot,
)
from portal.publication.state import PUBLISHED, run_after_publication
from portal.rules.models import Dimension, GradeBand, RuleItem, RuleSet
from portal.scoring import ScoringUnavailable, get_scoring_engine
from portal.scoring.reader import CLEANED_COLUMNS, ScoringReader
from portal.scoring.schema import EVENT_STATUSES, LIST_TYPES, ORG_TYPES, REGISTRATION_STATUSES
from portal.sync.models import (
    ERROR_INTERNAL,
    ERROR_INTERRUPTED,
    ERROR_LOCK_HELD,
    ERROR_SCORING_UNAVAILABLE,
    RUN_FAILED,
    RUN_RUNNING,
    RUN_SKIPPED,
    RUN_SUCCEEDED,
    SyncRun,
)
from portal.uscc import is_valid_uscc

log = logging.getLogger(__name__)

#: How many rejected rows a run record lists in detail (the count is always exact).
MAX_REJECTIONS_LISTED = 500

#: Organisation columns copied from the scoring database as they are.
COPIED_COLUMNS = (
    "name",
    "former_names",
    "org_type",
    "registration_authority",
    "district_code",
    "legal_representative",
    "registered_on",
    "address",
    "business_scope",
    "supervising_unit",
    "evaluation_level",
    "evaluation_valid_from",
    "evaluation_valid_until",
    "registration_status",
    "score",
    "grade",
    "dimension_scores",
    "assessed_at",
    "rule_set_version",
    "organisation_updated_at",
    "score_updated_at",
)
#: Columns whose change is a score change, recorded as a snapshot.
SNAPSHOT_COLUMNS = ("score", "grade", "dimension_scores", "rule_set_version", "is_published")
REQUIRED_ORGANISATION_COLUMNS = (
    "uscc",
    "name",
    "org_type",
    "registration_authority",
    "district_code",
    "registration_status",
    "organisation_updated_at",
)
EVENT_COLUMNS = (
    "uscc",
    "dimension_code",
    "item_code",
    "description",
    "points",
    "reporting_department",
    "legal_basis",
    "effective_on",
    "expires_on",
    "status",
    "is_public",
)
REQUIRED_EVENT_COLUMNS = (
    "event_id",
    "uscc",
    "dimension_code",
    "item_code",
    "description",
    "points",
    "reporting_department",
    "effective_on",
    "status",
    "is_public",
    "updated_at",
)
LIST_ENTRY_COLUMNS = ("uscc", "list_type", "reason", "listed_on", "listed_by", "removed_on", "removal_reason")
REQUIRED_LIST_ENTRY_COLUMNS = ("entry_id", "uscc", "list_type", "reason", "listed_on", "updated_at")


class SyncFailed(Exception):
    """The run could not apply; the previous data stays in service."""


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
            f"{self.rejected} rejected; {self.published_count} published, version {self.publication_version}"
        )
        if self.index is not None:
            if self.index.get("error"):
                line += f"; index NOT updated: {self.index['error']}"
            else:
                line += f"; index at version {self.index.get('version')}"
        return line


def validate_organisation(row, future_limit):
    """Return why ``row`` cannot be applied at all, or None if it can."""
    for column in REQUIRED_ORGANISATION_COLUMNS:
        if row.get(column) in (None, ""):
            return f"missing_{column}"
    if not is_valid_uscc(row["uscc"]):
        return "invalid_uscc"
    if row["org_type"] not in ORG_TYPES:
        return "invalid_org_type"
    if row["registration_status"] not in REGISTRATION_STATUSES:
        return "invalid_registration_status"
    if row["former_names"] is None:
        return "invalid_former_names"
    if row["organisation_updated_at"] > future_limit:
        return "future_timestamp"
    if row.get("score_updated_at") is not None:
        if row["grade"] not in GRADES:
            return "invalid_grade"
        for column in ("score", "assessed_at", "rule_set_version"):
            if row.get(column) is None:
                return f"missing_{column}"
        if row["dimension_scores"] is None:
            return "invalid_dimension_scores"
        if row["score_updated_at"] > future_limit:
            return "future_timestamp"
    return None


def _validate_child(row, required, future_limit, allowed):
    for column in required:
        if row.get(column) in (None, ""):
            return f"missing_{column}"
    if not is_valid_uscc(row["uscc"]):
        return "invalid_uscc"
    for column, values in allowed.items():
        if row[column] not in values:
            return f"invalid_{column}"
    if row["updated_at"] > future_limit:
        return "future_timestamp"
    return None


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _parse_watermarks(watermarks):
    return {key: datetime.fromisoformat(value) for key, value in (watermarks or {}).items()}


class _Run:
    """The state of one apply attempt, inside the locked transaction."""

    def __init__(self, session, reader, run, config, full, progress):
        self.session = session
        self.reader = reader
        self.run = run
        self.config = config
        self.progress = progress
        self.state = session.get(PublicationState, 1)
        if self.state is None:
            self.state = PublicationState(id=1, version=0, watermarks={}, published_count=0)
            session.add(self.state)
        self.read_at = utcnow()
        self.future_limit = self.read_at + timedelta(seconds=config["SYNC_FUTURE_TOLERANCE_SECONDS"])
        self.full = full or self._full_due()
        self.mode = "full" if self.full else "incremental"
        self.new_version = self.state.version + 1
        self.old_watermarks = _parse_watermarks(self.state.watermarks)
        self.new_watermarks = dict(self.old_watermarks)
        self.rows_read = 0
        self.rows_changed = 0
        self.entries = 0
        self.exits = 0
        self.rejected = 0
        self.rejections = []
        self.rule_sets_changed = False
        self._inserters = {}

    def _full_due(self):
        if not self.state.watermarks or self.state.last_full_at is None:
            return True
        every = timedelta(days=self.config["SYNC_FULL_EVERY_DAYS"])
        return self.read_at - self.state.last_full_at >= every

    def since(self, table):
        """Return the lower bound of updated_at to read from ``table`` (None: read all)."""
        if self.full or table not in self.old_watermarks:
            return None
        return self.old_watermarks[table] - timedelta(seconds=self.config["SYNC_OVERLAP_SECONDS"])

    def advance_watermark(self, table, value):
        if value is not None and value <= self.future_limit:
            current = self.new_watermarks.get(table)
            if current is None or value > current:
                self.new_watermarks[table] = value

    def reject(self, table, key, reason, **details):
        self.rejected += 1
        if len(self.rejections) < MAX_REJECTIONS_LISTED:
            self.rejections.append({"table": table, "key": key, "reason": reason, **details})

    def record_cleaned(self, table, key, row):
        """Record a row the reader removed characters from; it is applied all the same."""
        columns = row.get(CLEANED_COLUMNS)
        if columns:
            self.reject(table, key, "invalid_characters", columns=columns)

    # -- rule sets -------------------------------------------------------

    def apply_rule_sets(self):
        """Copy changed rule sets; return grade bands by version."""
        bands = {}
        for source in self.reader.rule_sets():
            cleaned = [
                column
                for row in (source, *source["grade_bands"], *source["dimensions"], *source["items"])
                for column in row.get(CLEANED_COLUMNS, ())
            ]
            self.record_cleaned("rule_sets", source["version"], {CLEANED_COLUMNS: sorted(set(cleaned))})
            bands[source["version"]] = {
                band["grade"]: (band["min_score"], band["max_score"]) for band in source["grade_bands"]
            }
            current = self.session.get(RuleSet, source["version"])
            if current is not None and current.source_updated_at == source["updated_at"]:
                continue
            self.rule_sets_changed = True
            if current is not None:
                self.session.delete(current)
                self.session.flush()
            self.session.add(
                RuleSet(
                    version=source["version"],
                    name=source["name"],
                    is_demo=source["is_demo"],
                    effective_from=source["effective_from"],
                    base_score=source["base_score"],
                    description=source["description"],
                    source_updated_at=source["updated_at"],
                    grade_bands=[GradeBand(**_rule_set_child(b)) for b in source["grade_bands"]],
                    dimensions=[Dimension(**_rule_set_child(d)) for d in source["dimensions"]],
                    items=[RuleItem(**_rule_set_child(i)) for i in source["items"]],
                )
            )
        self.session.flush()
        return bands

    # -- organisations ---------------------------------------------------

    def apply_organisations(self, grade_bands):
        rows = self.reader.organisations(
            organisations_since=self.since("organisations"), scores_since=self.since("credit_scores")
        )
        previous_key = last_row_key = None
        for chunk in _chunks(rows, self.config["SYNC_CHUNK_SIZE"]):
            valid = []
            for row in chunk:
                self.rows_read += 1
                self.advance_watermark("organisations", row.get("organisation_updated_at"))
                self.advance_watermark("credit_scores", row.get("score_updated_at"))
                reason = validate_organisation(row, self.future_limit)
                if row.get("uscc") is not None and row["uscc"] == last_row_key:
                    reason = "duplicate_key"
                last_row_key = row.get("uscc")
                if reason is not None:
                    self.reject("organisations", row.get("uscc"), reason)
                    continue
                self.record_cleaned("organisations", row["uscc"], row)
                valid.append(row)
            self._apply_organisation_chunk(valid, grade_bands)
            if self.full and chunk:
                last_key = chunk[-1]["uscc"]
                self._retire_missing(Organisation, Organisation.uscc, previous_key, last_key, chunk)
                previous_key = last_key
            if self.progress:
                self.progress(len(chunk))
        if self.full:
            self._retire_missing(Organisation, Organisation.uscc, previous_key, None, [])

    def _apply_organisation_chunk(self, rows, grade_bands):
        if not rows:
            return
        keys = [row["uscc"] for row in rows]
        existing = {
            current.uscc: current
            # Plain rows, not ORM objects: loading objects cost more than the comparison.
            for current in self.session.execute(
                select(Organisation.__table__).where(Organisation.uscc.in_(keys))
            )
        }
        inserts, updates, snapshots, changes = [], [], [], []
        for row in rows:
            published, reason = decide_publication(row, grade_bands)
            if reason in ("out_of_band", "unknown_rule_set"):
                self.reject("organisations", row["uscc"], reason)
            values = {column: row.get(column) for column in COPIED_COLUMNS}
            values.update(is_published=published, unpublished_reason=reason, in_source=True)
            current = existing.get(row["uscc"])
            if current is None:
                values.update(
                    uscc=row["uscc"],
                    name_pinyin=name_pinyin(row["name"]),
                    published_since=self.read_at if published else None,
                    changed_in_version=self.new_version,
                )
                inserts.append(values)
                snapshots.append(self._snapshot(row["uscc"], values))
                if published:
                    changes.append(self._change(row["uscc"], row["name"], CHANGE_ENTRY, None, row["grade"], "graded_a_b"))
                continue
            diff = {key: value for key, value in values.items() if getattr(current, key) != value}
            if not diff:
                continue
            if "name" in diff:
                diff["name_pinyin"] = name_pinyin(row["name"])
            diff.update(self._publication_transition(current, published))
            diff.update(uscc=current.uscc, changed_in_version=self.new_version)
            updates.append(diff)
            if any(column in diff for column in SNAPSHOT_COLUMNS):
                snapshots.append(self._snapshot(current.uscc, {**_snapshot_values(current), **diff}))
            changes.extend(self._list_changes(current, published, reason, row))
        self._write(Organisation, inserts, updates)
        self._write_history(snapshots, changes)
        self.rows_changed += len(inserts) + len(updates)

    def _publication_transition(self, current, published):
        if published and not current.is_published:
            return {"published_since": self.read_at}
        if not published and current.is_published:
            return {"published_since": None}
        return {}

    def _list_changes(self, current, published, reason, row):
        if published and not current.is_published:
            return [self._change(current.uscc, row["name"], CHANGE_ENTRY, None, row["grade"], "graded_a_b")]
        if current.is_published and not published:
            # The grade that made it leave is not recorded: an exit must not reveal it.
            return [self._change(current.uscc, current.name, CHANGE_EXIT, current.grade, None, reason)]
        if published and current.grade != row["grade"]:
            return [self._change(current.uscc, row["name"], CHANGE_GRADE, current.grade, row["grade"], "regraded")]
        return []

    def _retire_missing(self, model, key_column, after_key, up_to_key, chunk):
        """In a full run, retire portal rows whose keys vanished from the source.

        Source rows arrive in key order, so after each chunk the portal keys up
        to the chunk's last key that the source did not send are gone from it.
        Only keys are scanned; memory stays flat in the number of rows.
        """
        seen = {row[key_column.key] for row in chunk}
        ordered = binary_order(key_column, self.session)
        statement = select(key_column)
        if after_key is not None:
            statement = statement.where(ordered > after_key)
        if up_to_key is not None:
            statement = statement.where(ordered <= up_to_key)
        if model is Organisation:
            statement = statement.where(Organisation.in_source.is_(True))
        missing_keys = [key for key in self.session.execute(statement).scalars() if key not in seen]
        if not missing_keys:
            return
        if model is Organisation:
            missing = self.session.execute(select(model.__table__).where(key_column.in_(missing_keys))).all()
            updates, changes, snapshots = [], [], []
            for current in missing:
                diff = {"uscc": current.uscc, "in_source": False, "changed_in_version": self.new_version}
                if current.is_published:
                    diff.update(is_published=False, unpublished_reason="removed_from_source", published_since=None)
                    changes.append(
                        self._change(current.uscc, current.name, CHANGE_EXIT, current.grade, None, "removed_from_source")
                    )
                    snapshots.append(self._snapshot(current.uscc, {**_snapshot_values(current), "is_published": False}))
                updates.append(diff)
            self._write(Organisation, [], updates)
            self._write_history(snapshots, changes)
        else:
            self.session.execute(model.__table__.delete().where(key_column.in_(missing_keys)))
        self.rows_changed += len(missing_keys)

    # -- events and list entries -----------------------------------------

    def apply_children(self, table, rows, model, key, columns, required, allowed):
        previous_key = last_row_key = None
        for chunk in _chunks(rows, self.config["SYNC_CHUNK_SIZE"]):
            valid = []
            for row in chunk:
                self.rows_read += 1
                self.advance_watermark(table, row.get("updated_at"))
                reason = _validate_child(row, required, self.future_limit, allowed)
                if row.get(key) is not None and row[key] == last_row_key:
                    reason = "duplicate_key"
                last_row_key = row.get(key)
                if reason is not None:
                    self.reject(table, row.get(key), reason)
                    continue
                self.record_cleaned(table, row[key], row)
                valid.append(row)
            self._apply_child_chunk(valid, model, key, columns)
            if self.full and chunk:
                last_key = chunk[-1][key]
                self._retire_missing(model, getattr(model, key), previous_key, last_key, chunk)
                previous_key = last_key
            if self.progress:
                self.progress(len(chunk))
        if self.full:
            self._retire_missing(model, getattr(model, key), previous_key, None, [])

    def _apply_child_chunk(self, rows, model, key, columns):
        if not rows:
            return
        key_column = getattr(model, key)
        existing = {
            getattr(current, key): current
            for current in self.session.execute(
                select(model.__table__).where(key_column.in_([row[key] for row in rows]))
            )
        }
        inserts, updates = [], []
        for row in rows:
            values = {column: row.get(column) for column in columns}
            values["source_updated_at"] = row["updated_at"]
            current = existing.get(row[key])
            if current is None:
                inserts.append({key: row[key], **values})
                continue
            diff = {column: value for column, value in values.items() if getattr(current, column) != value}
            if diff:
                updates.append({key: row[key], **diff})
        self._write(model, inserts, updates)
        self.rows_changed += len(inserts) + len(updates)

    # -- writing ---------------------------------------------------------

    def _inserter(self, table):
        inserter = self._inserters.get(table.name)
        if inserter is None:
            # Every column but a generated integer key.
            columns = [column.name for column in table.columns if not (column.primary_key and column.name == "id")]
            inserter = self._inserters[table.name] = BulkInserter(self.session.connection(), table, columns)
        return inserter

    def _write(self, model, inserts, updates):
        if inserts:
            self._inserter(model.__table__).insert(inserts)
        if updates:
            # Bulk UPDATE by primary key: group rows by the set of columns they change.
            groups = {}
            for row in updates:
                groups.setdefault(tuple(sorted(row)), []).append(row)
            for group in groups.values():
                self.session.execute(update(model), group)

    def _write_history(self, snapshots, changes):
        if snapshots:
            self._inserter(ScoreSnapshot.__table__).insert(snapshots)
        if changes:
            self._inserter(ListChange.__table__).insert(changes)
            for change in changes:
                if change["change_type"] == CHANGE_ENTRY:
                    self.entries += 1
                elif change["change_type"] == CHANGE_EXIT:
                    self.exits += 1

    def _snapshot(self, uscc, values):
        return {
            "uscc": uscc,
            "sync_run_id": self.run.id,
            "effective_at": self.read_at,
            "score": values.get("score"),
            "grade": values.get("grade"),
            "dimension_scores": values.get("dimension_scores"),
            "is_published": values.get("is_published", False),
            "rule_set_version": values.get("rule_set_version"),
        }

    def _change(self, uscc, name, change_type, old_grade, new_grade, reason):
        return {
            "sync_run_id": self.run.id,
            "publication_version": self.new_version,
            "changed_at": self.read_at,
            "uscc": uscc,
            "name": name,
            "change_type": change_type,
            "old_grade": old_grade,
            "new_grade": new_grade,
            "reason": reason,
        }

    def finish(self):
        """Record the new publication state and the run, inside the transaction."""
        changed = self.rows_changed > 0 or self.rule_sets_changed
        if changed:
            self.state.version = self.new_version
        self.state.data_as_of = self.read_at
        self.state.last_run_id = self.run.id
        self.state.watermarks = {key: value.isoformat() for key, value in self.new_watermarks.items()}
        if self.full:
            self.state.last_full_at = self.read_at
        self.state.published_count = self.session.scalar(
            select(func.count()).select_from(Organisation).where(PUBLISHED)
        )
        self.version_after = self.state.version
        self.published_count = self.state.published_count
        run = self.session.get(SyncRun, self.run.id)
        run.mode = self.mode
        run.status = RUN_SUCCEEDED
        run.finished_at = utcnow()
        run.rows_read = self.rows_read
        run.rows_changed = self.rows_changed
        run.published = self.entries
        run.unpublished = self.exits
        run.rejected = self.rejected
        run.rejections = self.rejections
        run.publication_version = self.state.version
        run.attempts = self.run.attempts
        run.error_code = run.error = None


def binary_order(column, session):
    """Compare keys in byte order on every backend, as the reader sends them."""
    if session.get_bind().dialect.name == "postgresql":
        return column.collate("C")
    return column


def _without(row, *keys):
    return {key: value for key, value in row.items() if key not in keys}


def _rule_set_child(row):
    return _without(row, "rule_set_version", CLEANED_COLUMNS)


def _snapshot_values(org):
    return {column: getattr(org, column) for column in SNAPSHOT_COLUMNS}


@dataclass
class _RunHandle:
    """The few facts of a run the apply needs, detached from any session."""

    id: int
    mode: str
    attempts: int = 1


def _start_run(trigger, full):
    """Record a running run in its own short transaction."""
    run = SyncRun(
        started_at=utcnow(),
        status=RUN_RUNNING,
        mode="full" if full else "incremental",
        trigger=trigger,
        host=socket.gethostname()[:100],
        pid=os.getpid(),
    )
    db.session.add(run)
    db.session.flush()
    handle = _RunHandle(run.id, run.mode)
    db.session.commit()
    # End the session: an open read transaction would keep an old snapshot
    # (on SQLite) for the index catch-up that follows the run.
    db.session.close()
    return handle


def _finish_run(run_id, status, error_code, error, attempts=1):
    db.session.rollback()
    try:
        run = db.session.get(SyncRun, run_id)
        run.status = status
        run.finished_at = utcnow()
        run.error_code = error_code
        run.error = error
        run.attempts = attempts
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the end of sync run %s; the next run marks it interrupted", run_id)
    finally:
        db.session.close()


def mark_interrupted_runs(session, before_run_id):
    """Mark runs left 'running' by a process that died as failed."""
    session.execute(
        update(SyncRun)
        .where(SyncRun.status == RUN_RUNNING, SyncRun.id < before_run_id)
        .values(
            status=RUN_FAILED,
            error_code=ERROR_INTERRUPTED,
            error="interrupted: the process ended before the run finished",
            finished_at=utcnow(),
        )
    )


def _apply_once(run, full, progress, config):
    """Apply one attempt in one locked transaction. Return the finished _Run."""
    engine = get_scoring_engine()
    with locked_session(config["SYNC_LOCK_WAIT_SECONDS"]) as session:
        mark_interrupted_runs(session, run.id)
        with ScoringReader(engine, chunk_size=config["SYNC_CHUNK_SIZE"]) as reader:
            attempt = _Run(session, reader, run, config, full, progress)
            grade_bands = attempt.apply_rule_sets()
            attempt.apply_organisations(grade_bands)
            attempt.apply_children(
                "credit_events",
                reader.credit_events(attempt.since("credit_events")),
                CreditEvent,
                "event_id",
                EVENT_COLUMNS,
                REQUIRED_EVENT_COLUMNS,
                {"status": EVENT_STATUSES},
            )
            attempt.apply_children(
                "list_entries",
                reader.list_entries(attempt.since("list_entries")),
                ListEntry,
                "entry_id",
                LIST_ENTRY_COLUMNS,
                REQUIRED_LIST_ENTRY_COLUMNS,
                {"list_type": LIST_TYPES},
            )
        attempt.finish()
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
        run = _start_run(trigger, full)
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
            _finish_run(run.id, RUN_SKIPPED, ERROR_LOCK_HELD, "another sync held the lock", attempt_number)
            result.status, result.error = RUN_SKIPPED, "another sync held the lock"
            break
        except ScoringUnavailable as exc:
            message = f"scoring database unavailable: {exc}"
            log.warning("sync run %s attempt %s/%s failed: %s", run.id, attempt_number, retries, message)
            result.error = message
            if attempt_number < retries:
                time.sleep(config["SYNC_RETRY_BACKOFF_SECONDS"] * 2 ** (attempt_number - 1))
                continue
            _finish_run(run.id, RUN_FAILED, ERROR_SCORING_UNAVAILABLE, message, attempt_number)
            log.error("sync run %s failed after %s attempts; previous data stays in service", run.id, retries)
            break
        except Exception as exc:
            log.exception("sync run %s failed; previous data stays in service", run.id)
            result.error = f"{type(exc).__name__}: {exc}"
            _finish_run(run.id, RUN_FAILED, ERROR_INTERNAL, result.error, attempt_number)
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
                rejected=attempt.rejected,
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


def recent_runs(limit=20):
    """Return the most recent sync runs, newest first."""
    return db.session.execute(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).scalars().all()
