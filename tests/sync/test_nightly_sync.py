"""The nightly sync: contract reader, publication rule, changes, atomicity, locking, scheduler."""

import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from portal import create_app
from portal.extensions import db
from portal.publication.models import (
    CreditEvent,
    ListChange,
    ListEntry,
    Organisation,
    PublicationState,
    ScoreSnapshot,
)
from portal.rules.models import RuleSet
from portal.scoring import get_scoring_engine, schema
from portal.scoring.reader import ScoringReader
from portal.sync import apply, service
from portal.sync.models import SyncRun
from tests.scoring_builder import RULE_SET, make_uscc
from tests.conftest import PostgresSchema, published_matches


def sync(app, **kwargs):
    kwargs.setdefault("update_index", False)
    with app.app_context():
        return service.run_sync(trigger="test", **kwargs)


def published_usccs(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Organisation.uscc).where(Organisation.is_published.is_(True))))


def changes(app):
    with app.app_context():
        return [
            (c.uscc, c.change_type, c.old_grade, c.new_grade, c.reason)
            for c in db.session.scalars(sa.select(ListChange).order_by(ListChange.id))
        ]


# -- the contract reader -------------------------------------------------------


def test_reader_joins_scores_and_decodes_json(app, scoring):
    uscc = scoring.organisation(1, name="北京市蓝天协会", former_names=["北京蓝天会"], grade="B")
    scoring.organisation(2, grade=None)
    scoring.event("E1", uscc)
    scoring.list_entry("L1", uscc)
    with app.app_context(), ScoringReader(get_scoring_engine()) as reader:
        rows = {row["uscc"]: row for row in reader.organisations()}
        assert rows[uscc]["name"] == "北京市蓝天协会"
        assert rows[uscc]["former_names"] == ["北京蓝天会"]
        assert rows[uscc]["grade"] == "B"
        assert rows[uscc]["score"] == Decimal("88.00")
        assert set(rows[uscc]["dimension_scores"]) >= {"integrity", "social"}
        assert rows[make_uscc(2)]["grade"] is None
        assert [e["event_id"] for e in reader.credit_events()] == ["E1"]
        assert [e["entry_id"] for e in reader.list_entries()] == ["L1"]
        (rule_set,) = reader.rule_sets()
        assert rule_set["version"] == RULE_SET
        assert {band["grade"] for band in rule_set["grade_bands"]} == {"A", "B", "C", "D"}
        assert len(rule_set["dimensions"]) == 6


def test_reader_filters_by_watermark_on_either_table(app, scoring):
    old = scoring.organisation(1)
    scoring.tick(hours=1)
    renamed = scoring.organisation(2)
    rescored = scoring.organisation(3)
    since = scoring.clock
    scoring.tick(hours=1)
    scoring.update_organisation(renamed, name="改名后的协会")
    scoring.score(rescored, "B")
    with app.app_context(), ScoringReader(get_scoring_engine()) as reader:
        keys = {row["uscc"] for row in reader.organisations(organisations_since=since, scores_since=since)}
    assert keys == {renamed, rescored}
    assert old not in keys


def test_scoring_database_is_opened_read_only(app, scoring):
    scoring.organisation(1)
    with app.app_context():
        with get_scoring_engine().connect() as connection:
            with pytest.raises(sa.exc.DBAPIError):
                connection.execute(schema.organisations.delete())
                connection.commit()


# -- the publication rule ----------------------------------------------------------


@pytest.mark.parametrize(
    "grade, score, status, published, reason",
    [
        ("A", "97.50", "normal", True, None),
        ("B", "88.00", "normal", True, None),
        ("B", "80.00", "normal", True, None),  # the band's lower edge is inclusive
        ("C", "70.00", "normal", False, "grade_below_b"),
        ("D", "40.00", "normal", False, "grade_below_b"),
        ("A", "97.50", "cancelled", False, "cancelled"),
        ("B", "88.00", "revoked", False, "revoked"),
        ("A", "70.00", "normal", False, "out_of_band"),  # an A whose score lies in C's band
        ("B", "95.00", "normal", False, "out_of_band"),
        (None, None, "normal", False, "no_score"),
    ],
)
def test_publication_rule(app, scoring, grade, score, status, published, reason):
    uscc = scoring.organisation(1, grade=grade, score=score, status=status)
    result = sync(app)
    assert result.status == "succeeded"
    with app.app_context():
        org = db.session.get(Organisation, uscc)
        assert org.is_published is published
        assert org.unpublished_reason == reason
    assert (uscc in published_usccs(app)) is published


def test_out_of_band_rows_are_listed_in_the_run_record(app, scoring):
    uscc = scoring.organisation(1, grade="A", score="70.00")
    result = sync(app)
    assert result.rejected == 1
    with app.app_context():
        run = db.session.get(SyncRun, result.run_id)
        assert run.rejections == [{"table": "organisations", "key": uscc, "reason": "out_of_band"}]


def test_unknown_rule_set_is_not_published(app, scoring):
    uscc = scoring.organisation(1, grade="A")
    scoring.score(uscc, "A", rule_set_version="missing-9")
    sync(app)
    assert uscc not in published_usccs(app)


# -- incremental runs and list changes ---------------------------------------------


def test_first_run_is_full_and_records_entries(app, scoring):
    a = scoring.organisation(1, grade="A")
    b = scoring.organisation(2, grade="B")
    c = scoring.organisation(3, grade="C")
    result = sync(app)
    assert result.mode == "full"
    assert result.rows_read == 3 + 0 + 0
    assert result.published == 2 and result.unpublished == 0
    assert published_usccs(app) == {a, b}
    assert sorted(changes(app)) == sorted([(a, "entry", None, "A", "graded_a_b"), (b, "entry", None, "B", "graded_a_b")])
    with app.app_context():
        state = db.session.get(PublicationState, 1)
        assert state.version == 1
        assert state.published_count == 2
        assert state.data_as_of is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSnapshot)) == 3
        assert db.session.get(RuleSet, RULE_SET).band_for("B").max_score == Decimal("94.99")
        assert db.session.get(Organisation, c).grade == "C"  # kept, but not published


def test_incremental_run_reads_exactly_the_changed_rows(app, scoring):
    app.config["SYNC_OVERLAP_SECONDS"] = 0
    usccs = [scoring.organisation(n, grade="A") for n in range(1, 21)]
    scoring.event("E1", usccs[0])
    scoring.event("E2", usccs[1])
    assert sync(app).rows_read == 22
    scoring.tick(days=1)
    scoring.update_organisation(usccs[3], address="北京市西城区新地址2号")
    scoring.score(usccs[4], "B")
    scoring.execute(
        schema.credit_events.update().where(schema.credit_events.c.event_id == "E2").values(
            status="repaired", updated_at=scoring.clock
        )
    )
    result = sync(app)
    assert result.mode == "incremental"
    assert result.rows_read == 3
    assert result.rows_changed == 3
    assert changes(app)[-1] == (usccs[4], "grade_change", "A", "B", "regraded")
    with app.app_context():
        assert db.session.get(CreditEvent, "E2").status == "repaired"
    # Nothing changed: nothing read, the version stays.
    again = sync(app)
    assert (again.rows_read, again.rows_changed, again.publication_version) == (0, 0, result.publication_version)


def test_overlap_window_rereads_without_recording_changes(app, scoring):
    app.config["SYNC_OVERLAP_SECONDS"] = 3600
    scoring.organisation(1)
    first = sync(app)
    second = sync(app)
    assert second.rows_read == 1  # re-read inside the overlap window
    assert second.rows_changed == 0
    assert second.publication_version == first.publication_version


def test_b_to_c_leaves_and_c_to_a_enters_at_next_sync(app, scoring):
    falling = scoring.organisation(1, grade="B")
    rising = scoring.organisation(2, grade="C")
    sync(app)
    assert published_usccs(app) == {falling}
    scoring.tick(days=1)
    scoring.score(falling, "C")
    scoring.score(rising, "A")
    result = sync(app)
    assert (result.published, result.unpublished) == (1, 1)
    assert published_usccs(app) == {rising}
    recorded = changes(app)[-2:]
    assert (falling, "exit", "B", None, "grade_below_b") in recorded  # the new grade is not recorded
    assert (rising, "entry", None, "A", "graded_a_b") in recorded
    with app.app_context():
        history = db.session.scalars(
            sa.select(ScoreSnapshot).where(ScoreSnapshot.uscc == falling).order_by(ScoreSnapshot.id)
        ).all()
        assert [(s.grade, s.is_published) for s in history] == [("B", True), ("C", False)]


def test_cancellation_and_new_registration(app, scoring):
    cancelled = scoring.organisation(1, grade="A")
    sync(app)
    scoring.tick(days=1)
    scoring.update_organisation(cancelled, registration_status="cancelled")
    newcomer = scoring.organisation(2, grade="B")
    result = sync(app)
    assert published_usccs(app) == {newcomer}
    assert (cancelled, "exit", "A", None, "cancelled") in changes(app)
    assert result.rows_changed == 2


def test_full_run_retires_rows_deleted_from_the_source(app, scoring):
    kept = scoring.organisation(1, grade="A")
    deleted = scoring.organisation(2, grade="A")
    scoring.event("E1", kept)
    scoring.event("E2", deleted)
    sync(app)
    scoring.delete_organisation(deleted)
    scoring.execute(schema.credit_events.delete().where(schema.credit_events.c.event_id == "E2"))
    assert sync(app).rows_changed == 0  # an incremental run cannot see deletions
    result = sync(app, full=True)
    assert result.mode == "full"
    assert published_usccs(app) == {kept}
    assert (deleted, "exit", "A", None, "removed_from_source") in changes(app)
    with app.app_context():
        assert db.session.get(Organisation, deleted).in_source is False
        assert db.session.get(CreditEvent, "E2") is None
        assert db.session.get(CreditEvent, "E1") is not None


def test_full_reconciliation_is_due_weekly(app, scoring):
    scoring.organisation(1)
    sync(app)
    assert sync(app).mode == "incremental"
    with app.app_context():
        state = db.session.get(PublicationState, 1)
        state.last_full_at -= timedelta(days=8)
        db.session.commit()
    assert sync(app).mode == "full"


def test_events_and_list_entries_are_copied(app, scoring):
    uscc = scoring.organisation(1)
    scoring.event("E1", uscc, points="-3", status="objection")
    scoring.list_entry("L1", uscc, list_type="serious_violation")
    sync(app)
    with app.app_context():
        event = db.session.get(CreditEvent, "E1")
        assert (event.points, event.status, event.uscc) == (Decimal("-3.00"), "objection", uscc)
        assert db.session.get(ListEntry, "L1").list_type == "serious_violation"


# -- bad rows are quarantined --------------------------------------------------------


def test_malformed_rows_are_quarantined_and_good_rows_apply(app, scoring):
    good = scoring.organisation(1, grade="A")
    bad_check = make_uscc(2)[:-1] + ("0" if make_uscc(2)[-1] != "0" else "1")
    scoring.organisation(2, uscc=bad_check)
    future = scoring.organisation(3, updated_at=datetime(2099, 1, 1))
    bad_grade = scoring.organisation(4, grade="Z")
    scoring.event("E1", good)
    scoring.event("E2", good, status="unknown-status")
    result = sync(app)
    assert result.status == "succeeded"
    assert published_usccs(app) == {good}
    with app.app_context():
        run = db.session.get(SyncRun, result.run_id)
        reasons = {(r["key"], r["reason"]) for r in run.rejections}
        assert {
            (bad_check, "invalid_uscc"),
            (future, "future_timestamp"),
            (bad_grade, "invalid_grade"),
            ("E2", "invalid_status"),
        } <= reasons
        assert db.session.get(Organisation, bad_check) is None
        assert db.session.get(CreditEvent, "E1") is not None
        # The future timestamp did not move the watermark into the future.
        state = db.session.get(PublicationState, 1)
        assert datetime.fromisoformat(state.watermarks["organisations"]) < datetime(2099, 1, 1)


# -- all or nothing -------------------------------------------------------------------


def test_exception_in_the_middle_leaves_the_previous_state(app, scoring, monkeypatch):
    falling = scoring.organisation(1, grade="B")
    sync(app)
    scoring.tick(days=1)
    scoring.score(falling, "C")
    scoring.organisation(2, grade="A")

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(apply.Attempt, "apply_children", explode)
    result = sync(app)
    assert result.status == "failed"
    assert "disk on fire" in result.error
    assert published_usccs(app) == {falling}
    with app.app_context():
        assert db.session.get(PublicationState, 1).version == 1
        assert db.session.get(SyncRun, result.run_id).status == "failed"
    monkeypatch.undo()
    assert sync(app).unpublished == 1  # the next run applies cleanly


def test_failure_just_before_commit_leaves_the_previous_state(app, scoring, monkeypatch):
    scoring.organisation(1, grade="A")
    monkeypatch.setattr(service, "_before_commit_hook", lambda: (_ for _ in ()).throw(RuntimeError("late")))
    assert sync(app).status == "failed"
    assert published_usccs(app) == set()
    with app.app_context():
        assert db.session.get(PublicationState, 1) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ListChange)) == 0


def test_unreachable_scoring_database_fails_the_run_and_keeps_serving(app, scoring, backend, tmp_path):
    kept = scoring.organisation(1, grade="A")
    sync(app)
    if backend == "sqlite":
        app.config["SCORING_DATABASE_URL"] = f"sqlite:///{tmp_path / 'missing' / 'scoring.db'}"
    else:
        app.config["SCORING_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    app.config["SYNC_RETRIES"] = 2
    result = sync(app)
    assert result.status == "failed"
    assert result.attempts == 2
    assert "scoring database unavailable" in result.error
    assert published_usccs(app) == {kept}
    with app.app_context():
        run = db.session.get(SyncRun, result.run_id)
        assert (run.status, run.attempts) == ("failed", 2)
        assert db.session.get(PublicationState, 1).version == 1


# -- exactly once ---------------------------------------------------------------------


def test_two_concurrent_runs_apply_exactly_once(app, scoring, monkeypatch):
    for number in range(1, 31):
        scoring.organisation(number, grade="A" if number % 2 else "C")
    app.config["SYNC_LOCK_WAIT_SECONDS"] = 0.5
    # Hold the lock long enough that the two runs overlap.
    monkeypatch.setattr(service, "_before_commit_hook", lambda: time.sleep(1.5))
    barrier = threading.Barrier(2)
    results = []

    def one_run():
        barrier.wait()
        results.append(sync(app))

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    applied = [r for r in results if r.status == "succeeded" and r.rows_changed > 0]
    assert len(results) == 2
    assert len(applied) == 1
    others = [r for r in results if r is not applied[0]]
    assert others[0].status == "skipped" or others[0].rows_changed == 0
    assert len(changes(app)) == 15  # every entry recorded once
    with app.app_context():
        assert db.session.get(PublicationState, 1).version == 1


def test_portals_in_two_schemas_of_one_database_sync_at_once(app, scoring, backend, tmp_path, monkeypatch):
    """The advisory lock is keyed by database and schema: another portal's sync (or test run) never skips ours."""
    if backend != "postgresql":
        pytest.skip("SQLite portals are separate files, each with its own write lock")
    for number in range(1, 21):
        scoring.organisation(number, grade="AB"[number % 2])
    other_schema = PostgresSchema("portal")
    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": other_schema.url, "INDEX_DIR": str(tmp_path / "other")})
    with other.app_context():
        db.create_all()
    app.config["SYNC_LOCK_WAIT_SECONDS"] = 0
    other.config["SYNC_LOCK_WAIT_SECONDS"] = 0
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock_in_the_first_thread():
        # The first portal's sync waits here, inside its locked transaction, until the test is done.
        if threading.current_thread().name == "first":
            holding.set()
            assert release.wait(60)

    monkeypatch.setattr(service, "_before_commit_hook", hold_the_lock_in_the_first_thread)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", sync(app)), name="first")
    first.start()
    try:
        assert holding.wait(60), "the first sync never reached its commit"
        # The same portal (same schema) is locked out; the other schema's portal syncs at once.
        assert sync(app).status == "skipped"
        second = sync(other)
        assert (second.status, second.rows_changed) == ("succeeded", 20), second.error
    finally:
        release.set()
        first.join(60)
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        other_schema.drop()
    assert (results["first"].status, results["first"].rows_changed) == ("succeeded", 20), results["first"].error
    assert published_usccs(app) == {make_uscc(number) for number in range(1, 21)}


def test_interrupted_runs_are_marked_failed_by_the_next_run(app, scoring):
    scoring.organisation(1)
    with app.app_context():
        db.session.add(SyncRun(started_at=datetime(2026, 11, 1), mode="full", trigger="cli", status="running"))
        db.session.commit()
    sync(app)
    with app.app_context():
        stale = db.session.get(SyncRun, 1)
        assert stale.status == "failed"
        assert "interrupted" in stale.error


# -- the search index follows the database ---------------------------------------------


def test_index_follows_each_committed_run(app, scoring):
    from portal.search import index as search_index

    falling = scoring.organisation(1, name="北京市蓝天协会", grade="B")
    result = sync(app, update_index=True)
    assert result.index["version"] == 1
    assert search_index.index_version(app.config["INDEX_DIR"]) == 1
    with app.app_context():
        assert [hit["uscc"] for hit in published_matches("蓝天")] == [falling]
    scoring.tick(days=1)
    scoring.score(falling, "C")
    result = sync(app, update_index=True)
    assert search_index.index_version(app.config["INDEX_DIR"]) == result.publication_version == 2
    with app.app_context():
        assert published_matches("蓝天") == []


# -- scheduler and CLI -------------------------------------------------------------------


def test_scheduler_is_configured_from_config(app):
    from portal.scheduler import build_scheduler

    app.config["SYNC_CRON"] = "15 3 * * *"
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("sync")
        assert str(job.trigger.timezone) == "Asia/Shanghai"
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("3", "15")
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
        assert job.next_run_time.hour == 3 and job.next_run_time.minute == 15
    finally:
        scheduler.shutdown(wait=False)


def test_scheduler_sync_now_runs_the_sync_at_start_then_on_its_cron(app):
    from portal.scheduler import build_scheduler

    app.config["SYNC_CRON"] = "15 3 * * *"
    scheduler = build_scheduler(app, BackgroundScheduler, sync_now=True)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("sync")
        now = datetime.now(job.trigger.timezone)
        assert timedelta(0) <= now - job.next_run_time < timedelta(seconds=10)
        following = job.trigger.get_next_fire_time(job.next_run_time, now)
        assert (following.hour, following.minute) == (3, 15)
    finally:
        scheduler.shutdown(wait=False)


def test_scheduler_job_fires_once(app, scoring):
    from portal.scheduler import build_scheduler

    scoring.organisation(1)
    app.config["INDEX_CATCH_UP_SECONDS"] = 3600
    scheduler = build_scheduler(app, BackgroundScheduler)
    # Two missed fire times coalesce into one run.
    scheduler.start(paused=True)
    job = scheduler.get_job("sync")
    job.modify(next_run_time=datetime.now(job.trigger.timezone) - timedelta(seconds=5))
    scheduler.resume()
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            with app.app_context():
                done = db.session.scalars(sa.select(SyncRun).where(SyncRun.status != "running")).all()
            if done:
                break
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        scheduler.shutdown(wait=True)
    with app.app_context():
        runs = db.session.scalars(sa.select(SyncRun)).all()
    assert [(r.trigger, r.status) for r in runs] == [("scheduler", "succeeded")]


def test_cli_sync_run_prints_a_summary(app, scoring, runner):
    scoring.organisation(1)
    result = runner.invoke(args=["sync", "run", "--no-index"])
    assert result.exit_code == 0, result.output
    assert "sync full run 1 succeeded" in result.output
    assert "1 published" in result.output
    status = runner.invoke(args=["sync", "status"])
    assert "publication version 1" in status.output


def test_cli_sync_run_fails_with_exit_code(app, runner, tmp_path):
    app.config["SCORING_DATABASE_URL"] = f"sqlite:///{tmp_path / 'nope' / 'x.db'}"
    result = runner.invoke(args=["sync", "run", "--no-index"])
    assert result.exit_code == 1
    assert "sync failed" in result.output


def test_two_processes_started_together_apply_exactly_once(app, scoring, database_urls, tmp_path):
    """The CLI on two 'nodes' at once: separate processes share only the portal database."""
    import os
    import subprocess
    import sys

    for number in range(1, 41):
        scoring.organisation(number, grade="AB"[number % 2])
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_urls[0],
        "SCORING_DATABASE_URL": app.config["SCORING_DATABASE_URL"],
        "SYNC_LOCK_WAIT_SECONDS": "0",
        "FLASK_APP": "app",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "sync", "run", "--no-index"],
            env={**env, "INDEX_DIR": str(tmp_path / f"index-{node}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for node in (1, 2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    with app.app_context():
        runs = db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id)).all()
        assert len(runs) == 2
        applied = [run for run in runs if run.status == "succeeded" and run.rows_changed > 0]
        assert len(applied) == 1, [(r.status, r.rows_changed, r.error) for r in runs]
        assert db.session.get(PublicationState, 1).version == 1
    assert len(changes(app)) == 40
