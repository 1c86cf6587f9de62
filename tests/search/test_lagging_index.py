"""A lagging search index never shows an organisation that left the list (issue 14, finding 7).

The index write fails for real after a committed sync: the index folder is
made read-only at the file-system level (a read-only bind mount as root, as
in CI; the folder's permissions otherwise). The sync succeeds, the index stays
at the previous version, and every search surface (the search page,
suggestions, the API search, the name search other features use) is queried
for the organisation that left. /healthz says degraded with both versions;
the scheduler retries the catch-up with backoff, and then it says ok.
"""

import os
import stat
import subprocess
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from portal.extensions import db
from portal.publication.models import Organisation
from portal.scheduler import IndexCatchUp, build_scheduler, sync_job
from portal import index_folder
from portal.search import service as search_service
from portal.sync import service as sync_service
from tests.conftest import IN_CI, published_matches
from tests.scoring_builder import make_uscc

NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(3)]
LEAVES, STAYS, REGRADED, JOINS = 1, 2, 3, 4
NAMES = {
    LEAVES: "北京市蓝天离场测试协会",
    STAYS: "北京市蓝天留守测试协会",
    REGRADED: "北京市蓝天改级测试协会",
    JOINS: "北京市蓝天新来测试协会",
}


@contextmanager
def read_only(folder):
    """Make ``folder`` read-only for this process for the block: a real EROFS/EACCES on every write."""
    folder = str(folder)
    if os.geteuid() == 0:
        # Root ignores permissions: a read-only bind mount of the folder on itself.
        mounted = subprocess.run(["mount", "--bind", folder, folder], capture_output=True, text=True)
        if mounted.returncode != 0:
            message = f"cannot bind-mount here: {mounted.stderr.strip()}"
            if IN_CI:
                pytest.fail(message + " (CI runs as root and needs it)")
            pytest.skip(message)
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", folder, folder], check=True, capture_output=True)
            yield
        finally:
            # Lazily: searchers of the test may still hold index files open.
            subprocess.run(["umount", "-l", folder], check=True, capture_output=True)
        return
    modes = {}
    for root, folders, _ in os.walk(folder):
        for path in [root, *(os.path.join(root, name) for name in folders)]:
            modes[path] = os.stat(path).st_mode
            os.chmod(path, modes[path] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield
    finally:
        for path, mode in modes.items():
            os.chmod(path, mode)


def sync(app, monkeypatch, night):
    monkeypatch.setattr(sync_service, "utcnow", lambda: night)
    with app.app_context():
        result = sync_service.run_sync(trigger="test")
    assert result.status == "succeeded", result.error
    return result


def index_version(app):
    return index_folder.index_version(app.config["INDEX_DIR"])


@pytest.fixture
def lagging(app, scoring, monkeypatch):
    """Night 1 indexed; night 2 (LEAVES drops to C, REGRADED goes A to B, JOINS enters) committed, the index not written."""
    for number in (LEAVES, STAYS, REGRADED):
        scoring.organisation(number, name=NAMES[number], grade="A")
    first = sync(app, monkeypatch, NIGHTS[0])
    assert first.index and not first.index.get("error") and index_version(app) == 1
    scoring.tick(days=1)
    scoring.score(make_uscc(LEAVES), "C")
    scoring.score(make_uscc(REGRADED), "B")
    scoring.organisation(JOINS, name=NAMES[JOINS], grade="B")
    with read_only(app.config["INDEX_DIR"]):
        second = sync(app, monkeypatch, NIGHTS[1])
        assert second.index.get("error"), second.index  # the index write really failed
        assert "index NOT updated" in second.summary()
        assert index_version(app) == 1
        yield app
    # (the folder is writable again after the test)


def departed_anywhere(client, text):
    """Return the surfaces on which the departed organisation shows up for ``text``."""
    code = make_uscc(LEAVES)
    found = []
    for language in ("zh", "en"):
        body = client.get("/search", query_string={"q": text, "lang": language}).get_data(as_text=True)
        # Every hit links to its report (the page also repeats what was typed, so not the name or code alone).
        if f"/org/{code}" in body:
            found.append(f"search page ({language})")
    suggestions = client.get("/search/suggest", query_string={"q": text}).get_json()["results"]
    if any(item["uscc"] == code for item in suggestions):
        found.append("suggestions")
    api = client.get("/api/v1/search", query_string={"q": text}).get_json()
    if any(item["uscc"] == code for item in api["results"]):
        found.append("API search")
    return found


@pytest.mark.parametrize(
    "text",
    [NAMES[LEAVES], "蓝天", "离场", make_uscc(LEAVES), make_uscc(LEAVES)[:8], "lantian lichang", "bjslt", "张测试"],
)
def test_a_departed_organisation_is_on_no_search_surface(lagging, client, text):
    assert departed_anywhere(client, text) == []


def test_counts_pages_and_values_leave_the_departed_out(lagging, client):
    app = lagging
    with app.test_request_context():
        results = search_service.search("蓝天")
        assert results.index_behind
        assert {hit.uscc for hit in results.hits} == {make_uscc(STAYS), make_uscc(REGRADED)}
        assert results.total == results.unfiltered_total == 2  # JOINS is not in the index yet: missing, not wrong
        grades = {option.value: option.count for facet in results.facets if facet.name == "grade" for option in facet.options}
        assert sum(grades.values()) == 2
        # The database's grade, not the index's copy.
        assert {hit.uscc: hit.grade for hit in results.hits}[make_uscc(REGRADED)] == "B"
        assert make_uscc(LEAVES) not in {fields["uscc"] for fields in search_service_names("蓝天")}
    page = client.get("/search", query_string={"q": "蓝天", "lang": "en"}).get_data(as_text=True)
    assert "2 published organisations found" in page
    assert "The search is catching up with the latest update of the data" in page
    assert "搜索正在同步最新数据" in client.get("/search", query_string={"q": "蓝天", "lang": "zh"}).get_data(as_text=True)
    api = client.get("/api/v1/search", query_string={"q": "蓝天"}).get_json()
    assert api["total"] == 2 and api["index_version"] == 1 and api["index_current"] is False
    assert {item["uscc"]: item["grade"] for item in api["results"]}[make_uscc(REGRADED)] == "B"


def search_service_names(text):
    return published_matches(text)


def test_healthz_is_degraded_with_both_versions(lagging, client):
    health = client.get("/healthz")
    assert health.status_code == 200  # degraded still serves: it stays behind the load balancer
    assert health.get_json() | {"data_as_of": None} == {
        "ok": True, "status": "degraded", "publication_version": 2, "index_version": 1, "index_behind": 1,
        "data_as_of": None,
    }


def test_catch_up_after_the_folder_is_writable_again(app, scoring, monkeypatch, client):
    for number in (LEAVES, STAYS):
        scoring.organisation(number, name=NAMES[number], grade="A")
    sync(app, monkeypatch, NIGHTS[0])
    scoring.tick(days=1)
    scoring.score(make_uscc(LEAVES), "D")
    scoring.organisation(JOINS, name=NAMES[JOINS], grade="B")
    with read_only(app.config["INDEX_DIR"]):
        assert sync(app, monkeypatch, NIGHTS[1]).index.get("error")
        assert client.get("/healthz").get_json()["status"] == "degraded"
        assert departed_anywhere(client, "蓝天") == []
    with app.app_context():
        assert not sync_service.catch_up_index().get("error")
    assert client.get("/healthz").get_json() | {"data_as_of": None} == {
        "ok": True, "status": "ok", "publication_version": 2, "index_version": 2, "index_behind": 0, "data_as_of": None,
    }
    suggested = {item["uscc"] for item in client.get("/search/suggest?q=%E8%93%9D%E5%A4%A9").get_json()["results"]}
    assert suggested == {make_uscc(STAYS), make_uscc(JOINS)}
    assert "catching up" not in client.get("/search?q=%E8%93%9D%E5%A4%A9&lang=en").get_data(as_text=True)


def test_a_departure_the_index_does_not_know_of_is_caught_on_the_page(app, scoring, monkeypatch, client):
    """A row unpublished after the index was written, with the same version (a sync committing mid-request):
    the page check drops it, hides it for the counts, and the pages stay consistent."""
    numbers = range(10, 17)
    for number in numbers:
        scoring.organisation(number, name=f"北京市白云测试{number}协会", grade="A")
    sync(app, monkeypatch, NIGHTS[0])
    app.config["SEARCH_PAGE_SIZE"] = 2
    gone = make_uscc(11)
    with app.test_request_context():
        first = [hit.uscc for hit in search_service.search("白云", sort="name", per_page=2).hits]
        assert gone in [*first, *[hit.uscc for hit in search_service.search("白云", sort="name", page=2, per_page=2).hits]]
        db.session.execute(sa.update(Organisation).where(Organisation.uscc == gone).values(is_published=False))
        db.session.commit()
    with app.test_request_context():
        seen = []
        for page in (1, 2, 3, 4):
            results = search_service.search("白云", sort="name", page=page, per_page=2)
            assert results.total == 6
            seen += [hit.uscc for hit in results.hits]
        assert sorted(seen) == sorted(make_uscc(number) for number in numbers if number != 11)
        assert gone not in {item.uscc for item in search_service.suggest("白云测试11")}
    assert gone not in client.get("/api/v1/search?q=%E7%99%BD%E4%BA%91").get_data(as_text=True)


def test_the_scheduler_retries_a_failed_catch_up_with_backoff(app, scoring, monkeypatch):
    scoring.organisation(LEAVES, name=NAMES[LEAVES], grade="A")
    sync(app, monkeypatch, NIGHTS[0])
    scoring.tick(days=1)
    scoring.score(make_uscc(LEAVES), "C")
    app.config.update(INDEX_CATCH_UP_SECONDS=300, INDEX_CATCH_UP_RETRY_SECONDS=30, INDEX_CATCH_UP_RETRY_MAXIMUM_SECONDS=100)
    scheduler = build_scheduler(app, BackgroundScheduler)
    job = scheduler.get_job("index-catch-up")
    catch_up = job.func
    assert isinstance(catch_up, IndexCatchUp) and job.trigger.interval.total_seconds() == 30
    monkeypatch.setattr(sync_service, "utcnow", lambda: NIGHTS[1])
    with read_only(app.config["INDEX_DIR"]):
        result = sync_job(app, catch_up)
        assert result.status == "succeeded" and result.index.get("error")
        delays = []
        for _ in range(4):
            delays.append(round(catch_up.next_attempt - time.monotonic(), -1))
            assert catch_up() is None  # a tick before the attempt is due does nothing
            assert catch_up.attempt().get("error")
        delays.append(round(catch_up.next_attempt - time.monotonic(), -1))
        assert delays == [30, 60, 100, 100, 100]  # doubling, up to the maximum
        assert catch_up.failures == 5 and index_version(app) == 1
    summary = catch_up.attempt()
    assert not summary.get("error") and summary["version"] == 2
    assert catch_up.failures == 0 and round(catch_up.next_attempt - time.monotonic(), -1) == 300
    assert index_version(app) == 2


def test_the_running_scheduler_catches_up_once_the_folder_is_writable(app, scoring, monkeypatch):
    scoring.organisation(LEAVES, name=NAMES[LEAVES], grade="A")
    sync(app, monkeypatch, NIGHTS[0])
    scoring.tick(days=1)
    scoring.score(make_uscc(LEAVES), "C")
    app.config.update(INDEX_CATCH_UP_SECONDS=3600, INDEX_CATCH_UP_RETRY_SECONDS=1, INDEX_CATCH_UP_RETRY_MAXIMUM_SECONDS=2)
    scheduler = build_scheduler(app, BackgroundScheduler)
    catch_up = scheduler.get_job("index-catch-up").func
    monkeypatch.setattr(sync_service, "utcnow", lambda: NIGHTS[1])
    with read_only(app.config["INDEX_DIR"]):
        assert sync_job(app, catch_up).index.get("error")
        scheduler.start()
        try:
            deadline = time.monotonic() + 20
            while catch_up.failures < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert catch_up.failures >= 2 and index_version(app) == 1  # the scheduler retried, and failed again
        except BaseException:
            scheduler.shutdown(wait=True)
            raise
    try:
        deadline = time.monotonic() + 20
        while index_version(app) != 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)
    assert index_version(app) == 2 and catch_up.failures == 0
