"""Faults of the nightly sync: a slow or dropped scoring database, and the sync killed with SIGKILL.

Whatever happens, the portal database stays consistent, the previous
publication stays in service, the next run applies cleanly and the search
index catches up with the database's publication version.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.publication.models import CHANGE_EXIT, ListChange, Organisation, PublicationState
from portal.search import index as search_index
from portal.sync import apply, service
from portal.sync.models import ERROR_INTERRUPTED, ERROR_SCORING_UNAVAILABLE, SyncRun
from tests.conftest import published_matches, require_postgresql
from tests.fault.netfaults import LoopbackProxy

ROOT = Path(__file__).resolve().parents[2]


def sync(app, **kwargs):
    with app.app_context():
        return service.run_sync(trigger="test", **kwargs)


def published(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Organisation.uscc).where(Organisation.is_published.is_(True))))


def publication_version(app):
    with app.app_context():
        state = db.session.get(PublicationState, 1)
        return state.version if state else None


def first_night(app, scoring, count=60):
    """Publish ``count`` organisations, then turn every third one to C in the scoring DB."""
    usccs = [scoring.organisation(number, grade="AB"[number % 2]) for number in range(1, count + 1)]
    assert sync(app, update_index=True).status == "succeeded"
    scoring.tick(days=1)
    falling = usccs[::3]
    for uscc in falling:
        scoring.score(uscc, "C")
    return set(usccs), set(usccs) - set(falling)


# -- the scoring database misbehaves ---------------------------------------------------------


def test_a_slow_scoring_database_hits_the_statement_timeout_and_keeps_the_previous_data(app, scoring, backend):
    if backend != "postgresql":
        pytest.skip("statement timeouts are a PostgreSQL setting")
    before, _ = first_night(app, scoring)
    app.config["SCORING_STATEMENT_TIMEOUT"] = 1
    from portal.scoring import dispose_engines

    dispose_engines()  # the engine is made again with the new timeout
    # Another session holds the table: every read of it waits, as on a database under load.
    blocker = scoring.engine.connect()
    transaction = blocker.begin()
    blocker.execute(sa.text("LOCK TABLE credit_scores IN ACCESS EXCLUSIVE MODE"))
    try:
        started = time.monotonic()
        result = sync(app, update_index=False)
        elapsed = time.monotonic() - started
    finally:
        transaction.rollback()
        blocker.close()
    assert result.status == "failed"
    assert "statement timeout" in result.error or "canceling statement" in result.error
    assert elapsed < 20
    assert published(app) == before
    with app.app_context():
        assert db.session.get(SyncRun, result.run_id).error_code == ERROR_SCORING_UNAVAILABLE
    dispose_engines()


def test_a_connection_dropped_mid_read_fails_the_run_and_the_next_one_applies(app, scoring, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("an embedded SQLite scoring database has no connection to drop")
    require_postgresql()
    before, after = first_night(app, scoring)
    url = sa.engine.make_url(app.config["SCORING_DATABASE_URL"])
    proxy = LoopbackProxy(url.port or 5432)
    app.config["SCORING_DATABASE_URL"] = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    app.config["SYNC_CHUNK_SIZE"] = 10
    from portal.scoring import dispose_engines

    dispose_engines()
    apply_chunk = apply.Attempt._apply_organisation_chunk
    calls = []

    def apply_then_cut(self, rows, grade_bands):
        apply_chunk(self, rows, grade_bands)
        calls.append(1)
        if len(calls) == 1:
            proxy.cut()

    monkeypatch.setattr(apply.Attempt, "_apply_organisation_chunk", apply_then_cut)
    try:
        result = sync(app, update_index=False)
        assert result.status == "failed", result
        assert result.error.startswith("scoring database unavailable")
        assert published(app) == before
        assert publication_version(app) == 1

        monkeypatch.setattr(apply.Attempt, "_apply_organisation_chunk", apply_chunk)
        proxy.restore()
        dispose_engines()
        result = sync(app, update_index=False)
        assert result.status == "succeeded", result.error
        assert published(app) == after
    finally:
        proxy.close()
        dispose_engines()


# -- the sync process is killed ------------------------------------------------------------


@pytest.mark.parametrize("point", ["mid-read", "before-commit", "after-commit"])
def test_sync_killed_with_sigkill_leaves_a_consistent_database(app, scoring, database_urls, tmp_path, point):
    before, after = first_night(app, scoring)
    index_dir = app.config["INDEX_DIR"]
    assert search_index.index_version(index_dir) == 1
    marker = tmp_path / "reached"
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_urls[0],
        "SCORING_DATABASE_URL": app.config["SCORING_DATABASE_URL"],
        "INDEX_DIR": index_dir,
        "SYNC_CHUNK_SIZE": "10",
        "SYNC_RETRIES": "1",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fault" / "sync_until_killed.py"), point, str(marker)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the sync never reached " + point
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()

    # Right after the kill: the database is consistent and what it serves is whole.
    with app.app_context():
        db.session.remove()
        killed = db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id.desc())).first()
        change_count = db.session.scalar(sa.select(sa.func.count()).select_from(ListChange))
    if point == "after-commit":
        assert publication_version(app) == 2
        assert published(app) == after
        assert killed.status == "succeeded"  # its data is in; only the index is behind
        assert search_index.index_version(index_dir) == 1
    else:
        assert publication_version(app) == 1
        assert published(app) == before
        assert killed.status == "running"  # until the next run finds it
        assert change_count == len(before)  # only the first night's entries

    # The next run: the dead run is marked failed, the changes apply once, the index catches up.
    result = sync(app, update_index=True)
    assert result.status == "succeeded", result.error
    assert published(app) == after
    with app.app_context():
        db.session.remove()
        if point != "after-commit":
            dead = db.session.get(SyncRun, killed.id)
            assert dead.status == "failed" and dead.error_code == ERROR_INTERRUPTED
        exits = db.session.scalar(
            sa.select(sa.func.count()).select_from(ListChange).where(ListChange.change_type == CHANGE_EXIT)
        )
        assert exits == len(before - after)
        version = db.session.get(PublicationState, 1).version
    assert search_index.index_version(index_dir) == version
    with app.app_context():
        hits = [hit["uscc"] for hit in published_matches("测试", limit=len(before))]
    # Every organisation is named 北京市测试N协会: the index answers exactly the published ones, once each.
    assert sorted(hits) == sorted(after)
