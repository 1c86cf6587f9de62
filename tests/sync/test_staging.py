"""The set-based apply (portal/sync/staging.py): staged rows compared and written by the database.

Each test runs on SQLite and PostgreSQL. What a run changes must be exactly
what the row-by-row comparison changed: the same columns, the same history,
nothing for rows read again unchanged (also when a JSON text is only written
differently), nothing retired that the run read but refused; and the staging
tables never outlive the run's transaction, whether it commits or fails.
"""

import json

import sqlalchemy as sa

from portal.extensions import db
from portal.publication.models import CreditEvent, ListChange, ListEntry, Organisation, PublicationState, ScoreSnapshot
from portal.scoring import schema
from portal.sync import apply, service, staging
from portal.sync.models import SyncRun
from tests.scoring_builder import DIMENSIONS


def sync(app, **kwargs):
    kwargs.setdefault("update_index", False)
    with app.app_context():
        return service.run_sync(trigger="test", **kwargs)


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def state(app):
    with app.app_context():
        publication = db.session.get(PublicationState, 1)
        return publication.version, publication.published_count


def published(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Organisation.uscc).where(Organisation.is_published.is_(True))))


def temporary_tables(dbapi_connection, backend, in_transaction=False):
    """Return the names of the temporary tables a driver connection holds (the staging tables live there)."""
    if backend == "sqlite":
        return sorted(row[0] for row in dbapi_connection.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'"))
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r'")
        names = sorted(row[0] for row in cursor.fetchall())
    if not in_transaction:
        dbapi_connection.rollback()
    return names


def small_portal(scoring):
    """Write three organisations with events and a list entry; return their USCCs."""
    usccs = [scoring.organisation(number, grade="AB"[number % 2]) for number in range(1, 4)]
    for number, uscc in enumerate(usccs, 1):
        scoring.event(f"E{number}", uscc)
    scoring.list_entry("L1", usccs[0])
    return usccs


def test_reading_every_row_again_changes_nothing(app, scoring):
    small_portal(scoring)
    first = sync(app)
    again = sync(app, full=True)
    assert (again.status, again.mode, again.rows_read) == ("succeeded", "full", first.rows_read)
    assert (again.rows_changed, again.published, again.unpublished) == (0, 0, 0)
    assert again.publication_version == first.publication_version
    assert count(app, ScoreSnapshot) == 3 and count(app, ListChange) == 3


def test_json_written_differently_is_not_a_change(app, scoring):
    """The same former names and dimension scores, with keys in another order and other spacing."""
    uscc = scoring.organisation(1, former_names=["北京蓝天会", "蓝天协会"])
    first = sync(app)
    # Same timestamps: only the texts differ, as a view that re-serialises its JSON would send them.
    scoring.update_organisation(uscc, former_names='[ "北京蓝天会",   "蓝天协会" ]', updated_at=scoring.clock)
    reordered = json.dumps({code: 10 for code in reversed(DIMENSIONS)}, indent=2)
    scoring.execute(
        schema.credit_scores.update().where(schema.credit_scores.c.uscc == uscc).values(dimension_scores=reordered)
    )
    result = sync(app, full=True)
    assert (result.rows_read, result.rows_changed) == (1, 0)
    assert result.publication_version == first.publication_version


def test_a_changed_organisation_records_exactly_its_changed_columns(app, scoring, monkeypatch):
    kept, moved, regraded = small_portal(scoring)
    sync(app)
    scoring.tick(days=1)
    scoring.update_organisation(moved, address="北京市西城区新地址2号", name="北京市新名字协会")
    scoring.score(regraded, "A")
    decided = []
    decide = apply.decide_organisations

    def recording_decide(rows, existing, stamp):
        changes = decide(rows, existing, stamp)
        decided.extend(changes.updates)
        return changes

    monkeypatch.setattr(apply, "decide_organisations", recording_decide)
    result = sync(app, full=True)
    assert result.rows_changed == 2
    changed = {row["uscc"]: set(row) - {"uscc", "changed_in_version"} for row in decided}
    assert changed[moved] == {"address", "name", "name_pinyin", "organisation_updated_at"}
    assert changed[regraded] == {"score", "grade", "assessed_at", "score_updated_at"}
    assert kept not in changed
    with app.app_context():
        renamed = db.session.get(Organisation, moved)
        assert (renamed.name, renamed.name_pinyin) == ("北京市新名字协会", "bei jing shi xin ming zi xie hui")
        assert renamed.changed_in_version == result.publication_version
        assert db.session.get(Organisation, kept).changed_in_version == 1
        snapshots = db.session.scalars(sa.select(ScoreSnapshot.uscc).where(ScoreSnapshot.sync_run_id == result.run_id))
        assert list(snapshots) == [regraded]  # an address is not a score change
        last = db.session.scalars(sa.select(ListChange).order_by(ListChange.id.desc())).first()
        assert (last.uscc, last.change_type, last.old_grade, last.new_grade) == (regraded, "grade_change", "B", "A")


def test_changed_events_and_list_entries_are_updated_in_place(app, scoring):
    uscc, *_ = small_portal(scoring)
    sync(app)
    scoring.tick(days=1)
    scoring.execute(
        schema.credit_events.update().where(schema.credit_events.c.event_id == "E2").values(
            status="withdrawn", updated_at=scoring.clock
        )
    )
    scoring.execute(
        schema.list_entries.update().where(schema.list_entries.c.entry_id == "L1").values(
            removed_on=scoring.clock.date(), removal_reason="已按规定参加年度检查", updated_at=scoring.clock
        )
    )
    scoring.event("E4", uscc, points="-1")
    result = sync(app, full=True)
    assert result.rows_changed == 3
    with app.app_context():
        assert db.session.get(CreditEvent, "E2").status == "withdrawn"
        assert db.session.get(CreditEvent, "E1").status == "active"
        assert db.session.get(CreditEvent, "E4").source_updated_at == scoring.clock
        entry = db.session.get(ListEntry, "L1")
        assert (entry.removed_on, entry.removal_reason) == (scoring.clock.date(), "已按规定参加年度检查")


def test_a_full_run_keeps_rows_it_read_but_refused(app, scoring):
    """A quarantined row is not gone from the source: its portal row is neither retired nor deleted."""
    refused, other, _ = small_portal(scoring)
    first = sync(app)
    scoring.tick(days=1)
    scoring.update_organisation(refused, org_type="no-such-type")
    scoring.execute(
        schema.credit_events.update().where(schema.credit_events.c.event_id == "E2").values(
            status="no-such-status", updated_at=scoring.clock
        )
    )
    result = sync(app, full=True)
    assert (result.status, result.rows_changed, result.rejected) == ("succeeded", 0, 2)
    assert result.publication_version == first.publication_version
    assert refused in published(app)
    with app.app_context():
        assert db.session.get(Organisation, refused).in_source is True
        assert db.session.get(CreditEvent, "E2").status == "active"
        reasons = {(r["key"], r["reason"]) for r in db.session.get(SyncRun, result.run_id).rejections}
    assert reasons == {(refused, "invalid_org_type"), ("E2", "invalid_status")}


def test_an_organisation_back_in_the_source_returns(app, scoring):
    gone, *_ = small_portal(scoring)
    sync(app)
    scoring.delete_organisation(gone)
    assert sync(app, full=True).unpublished == 1
    assert gone not in published(app)
    scoring.tick(days=1)
    scoring.organisation(1, grade="B")
    result = sync(app, full=True)
    assert (result.rows_changed, result.published) == (1, 1)
    assert gone in published(app)
    with app.app_context():
        assert db.session.get(Organisation, gone).in_source is True


def test_staging_tables_are_dropped_before_the_commit(app, scoring, backend, monkeypatch):
    small_portal(scoring)
    finish = apply.Attempt.finish
    left = []

    def finish_and_look(self):
        finish(self)
        left.append(temporary_tables(self.session.connection().connection.driver_connection, backend, in_transaction=True))

    monkeypatch.setattr(apply.Attempt, "finish", finish_and_look)
    assert sync(app).status == "succeeded"
    assert sync(app, full=True).status == "succeeded"
    assert left == [[], []]


def test_a_run_that_fails_after_staging_leaves_nothing_half_written(app, scoring, backend, monkeypatch):
    """A failure in the middle of the merge: the previous publication stays whole, and so does the connection."""
    usccs = [scoring.organisation(number, grade="AB"[number % 2]) for number in range(1, 21)]
    first = sync(app)
    scoring.tick(days=1)
    for uscc in usccs[::2]:
        scoring.score(uscc, "C")
    for number in range(21, 31):
        scoring.organisation(number, grade="A")
    for number, uscc in enumerate(usccs, 1):
        scoring.event(f"E{number}", uscc)
    app.config["SYNC_CHUNK_SIZE"] = 5
    insert_new = staging.StagingTable.insert_new
    seen = {}

    def insert_then_fail(self, values, into=None, where=None):
        if self.target.name != "credit_events":
            return insert_new(self, values, into, where)
        # Every organisation and the events' updates are written by now.
        seen["dbapi"] = self.connection.connection.driver_connection
        seen["during"] = temporary_tables(seen["dbapi"], backend, in_transaction=True)
        raise RuntimeError("disk on fire while inserting events")

    monkeypatch.setattr(staging.StagingTable, "insert_new", insert_then_fail)
    before = published(app)
    result = sync(app, full=True)
    assert result.status == "failed" and "disk on fire" in result.error
    assert published(app) == before
    assert state(app) == (first.publication_version, len(before))
    assert count(app, Organisation) == 20 and count(app, CreditEvent) == 0
    assert count(app, ListChange) == len(before) and count(app, ScoreSnapshot) == 20
    assert {"sync_staging_organisations", "sync_staging_credit_events"} <= set(seen["during"])
    # The connection the run used holds no staging table: they went with the rollback.
    assert temporary_tables(seen["dbapi"], backend) == []

    monkeypatch.undo()
    retry = sync(app)
    assert retry.status == "succeeded", retry.error
    assert (retry.published, retry.unpublished) == (10, 10)
    assert count(app, CreditEvent) == 20


def test_the_pinyin_of_a_name_is_there_once_published_and_after_a_renaming(app, scoring):
    """The pinyin orders the public list: computed for published organisations, and on every renaming."""
    rising = scoring.organisation(1, name="北京市朝阳区长青协会", grade="C")
    renamed = scoring.organisation(2, name="北京市银行协会", grade="C")
    listed = scoring.organisation(3, name="北京市行长协会", grade="A")
    sync(app)

    def pinyin():
        with app.app_context():
            return dict(db.session.execute(sa.select(Organisation.uscc, Organisation.name_pinyin)).all())

    assert pinyin() == {rising: "", renamed: "", listed: "bei jing shi hang zhang xie hui"}
    scoring.tick(days=1)
    scoring.score(rising, "B")
    scoring.update_organisation(renamed, name="北京市银行业协会")
    result = sync(app)
    assert result.published == 1
    assert pinyin() == {
        rising: "bei jing shi chao yang qu chang qing xie hui",
        renamed: "bei jing shi yin hang ye xie hui",
        listed: "bei jing shi hang zhang xie hui",
    }
