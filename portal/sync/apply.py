"""Apply: one attempt of a run, writing the portal tables inside the locked transaction.

The attempt copies changed rule sets, then takes organisations, credit events
and list entries chunk by chunk: it checks them (``read``), stages the rows
it may apply (``staging``), and lets the database find and write what is new
or changed. A changed organisation's history (its snapshot, its entry to or
exit from the public list) is decided on plain rows (``decide``). A full run
also retires the portal rows whose keys vanished from the source. ``finish``
moves the publication state and drops the staging tables; the caller commits.
"""

from sqlalchemy import func, select, update

from portal.database import BulkInserter
from portal.publication.models import (
    CHANGE_ENTRY,
    CHANGE_EXIT,
    CreditEvent,
    FieldChange,
    ListChange,
    ListEntry,
    Organisation,
    PublicationState,
    ScoreSnapshot,
)
from portal.publication.state import PUBLISHED
from portal.rules.models import Dimension, GradeBand, RuleItem, RuleSet
from portal.scoring.reader import CLEANED_COLUMNS
from portal.scoring.schema import SCORING_TIMEZONE
from portal.sync.decide import (
    COMPARED_COLUMNS,
    STAGED_COLUMNS,
    Stamp,
    decide_organisations,
    entry_condition,
    mark_publication,
    new_organisation_rows,
    retire_organisations,
)
from portal.sync.read import (
    CREDIT_EVENTS,
    LIST_ENTRIES,
    ORGANISATION_WATERMARKS,
    Quarantine,
    ReadWindow,
    checked_chunks,
    chunks,
    validate_organisation,
)
from portal.sync.reconcile import reconcile_scores
from portal.sync.staging import StagingTable


class Attempt:
    """The state of one apply attempt, inside the locked transaction."""

    def __init__(self, session, reader, run, config, full, read_at, progress=None):
        self.session = session
        self.reader = reader
        self.run = run
        self.config = config
        self.progress = progress
        self.state = session.get(PublicationState, 1)
        if self.state is None:
            self.state = PublicationState(id=1, version=0, watermarks={}, published_count=0)
            session.add(self.state)
        self.window = ReadWindow(self.state.watermarks, self.state.last_full_at, read_at, config, full)
        self.stamp = Stamp(run_id=run.id, version=self.state.version + 1, at=read_at)
        self.quarantine = Quarantine()
        self.rows_read = 0
        self.rows_changed = 0
        self.entries = 0
        self.exits = 0
        self.rule_sets_changed = False
        self.reconciliation = {"checked": 0, "count": 0, "differences": [], "rule_sets": {}}
        self.version_after = self.published_count = None
        self._inserters = {}
        self._staging = {}

    @property
    def mode(self):
        return self.window.mode

    def run_all(self):
        """Apply every table of the scoring database, in the order they depend on each other."""
        grade_bands = self.apply_rule_sets()
        self.apply_organisations(grade_bands)
        since = self.window.since
        self.apply_children(CREDIT_EVENTS, self.reader.credit_events(since(CREDIT_EVENTS.name)), CreditEvent)
        self.apply_children(LIST_ENTRIES, self.reader.list_entries(since(LIST_ENTRIES.name)), ListEntry)
        self.session.flush()
        self.reconciliation = reconcile_scores(self.session, SCORING_TIMEZONE)

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
            self.quarantine.record_cleaned("rule_sets", source["version"], {CLEANED_COLUMNS: sorted(set(cleaned))})
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

    # -- organisations, credit events and list entries ---------------------

    def apply_organisations(self, grade_bands):
        rows = self.reader.organisations(
            organisations_since=self.window.since("organisations"),
            scores_since=self.window.since("credit_scores"),
        )
        checked = checked_chunks(
            rows,
            "organisations",
            "uscc",
            validate_organisation,
            self.window,
            self.quarantine,
            self.config["SYNC_CHUNK_SIZE"],
            watermarks=ORGANISATION_WATERMARKS,
        )
        staging = self._stage(Organisation, "uscc", STAGED_COLUMNS)
        self._stage_chunks(checked, staging, lambda valid: self._apply_organisation_chunk(valid, grade_bands))
        self._merge_organisations(staging)

    def _apply_organisation_chunk(self, rows, grade_bands):
        """Decide the publication of a chunk of organisations that may be applied, and stage them."""
        for uscc, reason in mark_publication(rows, grade_bands):
            self.quarantine.reject("organisations", uscc, reason)
        self._staging[Organisation.__tablename__].append(rows)

    def _merge_organisations(self, staging):
        """Write the staged organisations: new ones by the database, changed ones with their history decided on plain rows."""
        staging.prepare()
        staging.mark_changed(COMPARED_COLUMNS, extra=[Organisation.in_source.is_not(True)])
        new = new_organisation_rows(staging.table, self.stamp)
        snapshots, list_changes = ScoreSnapshot.__table__, ListChange.__table__
        staging.insert_new(new[snapshots], into=snapshots)
        self.entries += staging.insert_new(new[list_changes], into=list_changes, where=entry_condition(staging.table))
        self.rows_changed += staging.insert_new(new[Organisation.__table__])
        last = None
        while changed := staging.changed_rows(after=last, limit=self.config["SYNC_CHUNK_SIZE"]):
            existing = self._existing(Organisation, "uscc", changed)
            self._write(Organisation, decide_organisations(changed, existing, self.stamp))
            last = changed[-1]["uscc"]
        if self.window.full:
            self._retire_organisations(staging)

    def apply_children(self, source, rows, model):
        """Apply the rows of one child table (``read.ChildTable``) to its ``model``."""
        checked = checked_chunks(
            rows, source.name, source.key, source.validate, self.window, self.quarantine, self.config["SYNC_CHUNK_SIZE"]
        )
        staging = self._stage(model, source.key, (*source.columns, "source_updated_at"))
        self._stage_chunks(checked, staging, staging.append)
        staging.prepare()
        self.rows_changed += staging.update_changed()
        self.rows_changed += staging.insert_new({name: staging.table.c[name] for name in (staging.key, *staging.columns)})
        if self.window.full:
            # Gone from the source: events and list entries are deleted.
            self.rows_changed += staging.delete_unseen()

    def _stage(self, model, key, columns):
        """Create the staging tables of ``model`` for this run; return its StagingTable."""
        staging = StagingTable(
            self.session.connection(), model.__table__, key, columns, sources={"source_updated_at": "updated_at"}
        )
        staging.create()
        self._staging[model.__tablename__] = staging
        return staging

    def _stage_chunks(self, checked, staging, stage_chunk):
        for chunk, valid in checked:
            self.rows_read += len(chunk)
            if valid:
                stage_chunk(valid)
            if self.window.full and len(valid) < len(chunk):
                # A row the run refused is not gone from the source: a full run must not retire its key.
                staging.refuse({row[staging.key] for row in chunk if row.get(staging.key) is not None}
                               - {row[staging.key] for row in valid})
            if self.progress:
                self.progress(len(chunk))

    def _existing(self, model, key, rows):
        key_column = getattr(model, key)
        return {
            getattr(current, key): current
            # Plain rows, not ORM objects: loading objects cost more than the comparison.
            for current in self.session.execute(
                select(model.__table__).where(key_column.in_([row[key] for row in rows]))
            )
        }

    def _retire_organisations(self, staging):
        """In a full run, retire the organisations this run never read: out of the source and off the public list."""
        missing_keys = list(
            self.session.execute(
                select(Organisation.uscc).where(staging.unseen(Organisation.in_source.is_(True))).order_by(Organisation.uscc)
            ).scalars()
        )
        for keys in chunks(missing_keys, self.config["SYNC_CHUNK_SIZE"]):
            missing = self.session.execute(select(Organisation.__table__).where(Organisation.uscc.in_(keys))).all()
            self._write(Organisation, retire_organisations(missing, self.stamp), count=False)
        self.rows_changed += len(missing_keys)

    # -- writing ---------------------------------------------------------

    def _inserter(self, table):
        inserter = self._inserters.get(table.name)
        if inserter is None:
            # Every column but a generated integer key.
            columns = [column.name for column in table.columns if not (column.primary_key and column.name == "id")]
            inserter = self._inserters[table.name] = BulkInserter(self.session.connection(), table, columns)
        return inserter

    def _write(self, model, changes, count=True):
        """Write ``changes`` (a ``decide.Changes``) to ``model``'s table and the history tables."""
        if changes.updates:
            # Bulk UPDATE by primary key: group rows by the set of columns they change.
            groups = {}
            for row in changes.updates:
                groups.setdefault(tuple(sorted(row)), []).append(row)
            for group in groups.values():
                self.session.execute(update(model), group)
        if changes.snapshots:
            self._inserter(ScoreSnapshot.__table__).insert(changes.snapshots)
        if changes.list_changes:
            self._inserter(ListChange.__table__).insert(changes.list_changes)
            for change in changes.list_changes:
                if change["change_type"] == CHANGE_ENTRY:
                    self.entries += 1
                elif change["change_type"] == CHANGE_EXIT:
                    self.exits += 1
        if changes.field_changes:
            self._inserter(FieldChange.__table__).insert(changes.field_changes)
        if count:
            self.rows_changed += len(changes.updates)

    def finish(self):
        """Move the publication state to what this attempt applied, inside the transaction."""
        state = self.state
        if self.rows_changed > 0 or self.rule_sets_changed:
            state.version = self.stamp.version
        state.data_as_of = self.window.read_at
        state.last_run_id = self.run.id
        state.watermarks = self.window.watermarks_to_store()
        if self.window.full:
            state.last_full_at = self.window.read_at
        state.published_count = self.session.scalar(select(func.count()).select_from(Organisation).where(PUBLISHED))
        # Kept apart from the state, which the commit expires.
        self.version_after = state.version
        self.published_count = state.published_count
        for staging in self._staging.values():
            staging.drop()


def _rule_set_child(row):
    return {key: value for key, value in row.items() if key not in ("rule_set_version", CLEANED_COLUMNS)}
