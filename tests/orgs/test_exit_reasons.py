"""Exits carry a public reason on /changes, in the feeds and in the API; the first sync is one line."""

from datetime import datetime

import pytest

from portal.sync import service as sync_service
from tests.synced_portal import sync_at

NIGHTS = [datetime(2026, 11, 2, 18, 30), datetime(2026, 11, 3, 18, 30), datetime(2026, 11, 4, 18, 30)]
REASONS = {
    1: ("downgraded", "Downgraded to grade C or D"),
    2: ("deregistered", "Registration cancelled"),
    3: ("revoked", "Registration revoked"),
    4: ("score_grade_mismatch", "Score and grade do not match"),
    5: ("removed_from_source", "Deleted from the source data"),
}


@pytest.fixture
def exits(app, scoring, monkeypatch):
    usccs = {number: scoring.organisation(number, name=f"北京市退出测试{number}协会") for number in range(1, 7)}
    sync_at(app, monkeypatch, NIGHTS[0])
    scoring.tick(days=1)
    scoring.score(usccs[1], "C", "70.00")
    scoring.update_organisation(usccs[2], registration_status="cancelled")
    scoring.update_organisation(usccs[3], registration_status="revoked")
    scoring.score(usccs[4], "A", "50.00")  # grade A with a score of grade D: not published
    sync_at(app, monkeypatch, NIGHTS[1])
    scoring.tick(days=1)
    scoring.delete_organisation(usccs[5])
    monkeypatch.setattr(sync_service, "utcnow", lambda: NIGHTS[2])
    with app.app_context():
        assert sync_service.run_sync(full=True, trigger="test", update_index=False).status == "succeeded"
    return usccs


def test_exits_have_their_public_reason_everywhere(app, exits):
    client = app.test_client()
    page = client.get("/changes?lang=en").get_data(as_text=True)
    feed = client.get("/feeds/changes.atom?lang=en").get_data(as_text=True)
    lines = client.get("/api/v1/changes?since=2026-11-01&type=exit&lang=en").get_json()["changes"]
    by_uscc = {line["uscc"]: line for line in lines}
    for number, (code, label) in REASONS.items():
        assert by_uscc[exits[number]]["exit_reason"] == code
        assert by_uscc[exits[number]]["exit_reason_label"] == label
        assert by_uscc[exits[number]]["old_grade"] is None
    for label in (label for _, label in REASONS.values()):
        assert label in page and label in feed
    zh_page = client.get("/changes").get_data(as_text=True)
    assert "降为C级或D级" in zh_page and "注销登记" in zh_page and "源数据删除" in zh_page


def test_the_first_sync_is_one_line(app, exits):
    client = app.test_client()
    page = client.get("/changes").get_data(as_text=True)
    assert "首次发布：6 家" in page
    assert page.count('data-change="entry"') == 0  # no entry after the first sync, none listed one by one
    english = client.get("/changes?lang=en&type=entry").get_data(as_text=True)
    assert "First publication: 6 organisations" in english
    feed = client.get("/feeds/changes.atom?lang=en").get_data(as_text=True)
    assert feed.count("First publication: 6 organisations") == 2  # title and summary of one entry
    assert feed.count("entered the public list") == 0
