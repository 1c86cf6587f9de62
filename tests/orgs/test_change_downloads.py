"""/changes as CSV and JSON: dated in Beijing time, with data-as-of, publication version, licence and source."""

import csv
import io
import json
from datetime import datetime

from tests.synced_portal import ScoringOrganisation, sync_at


def test_changes_download_as_csv_and_json_with_their_provenance(app, client, scoring, monkeypatch):
    ScoringOrganisation(9, "北京市首批公益协会").write(scoring)
    sync_at(app, monkeypatch, datetime(2026, 12, 5, 23, 30))  # the first publication, told as one line
    ScoringOrganisation(1, "北京市测试公益协会").write(scoring)
    ScoringOrganisation(2, "=HYPERLINK(\"x\")协会").write(scoring)
    scoring.tick(days=1)
    # 23:30 UTC on 6 December is 07:30 on 7 December in Beijing: the file is named for the 7th.
    sync_at(app, monkeypatch, datetime(2026, 12, 6, 23, 30))
    page = client.get("/changes?type=entry").get_data(as_text=True)
    assert 'href="/changes.csv?type=entry"' in page and 'href="/changes.json?type=entry"' in page

    response = client.get("/changes.csv?type=entry")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="beijing-social-org-credit-changes-2026-12-07.csv"'
    assert response.headers["X-Data-As-Of"] == "2026-12-06T23:30:00Z"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff# 北京市社会组织信用信息公示平台 公示名单变动; data_as_of=2026-12-06T23:30:00Z; publication_version=2;")
    assert "licence=CC BY 4.0 https://creativecommons.org/licenses/by/4.0/" in text
    assert "source=http://localhost/changes?type=entry" in text
    rows = list(csv.reader(io.StringIO(text.split("\r\n", 1)[1])))
    assert rows[0][:8] == ["date", "changed_at", "uscc", "name", "change_type", "change", "exit_reason", "exit_reason_text"]
    names = {row[3] for row in rows[1:]}
    assert "北京市测试公益协会" in names and "'=HYPERLINK(\"x\")协会" in names  # formula neutralised
    assert {row[0] for row in rows[1:]} == {"2026-12-07"} and {row[5] for row in rows[1:]} == {"列入公示名单"}

    data = json.loads(client.get("/changes.json?type=entry").get_data())
    assert data["data_as_of"] == "2026-12-06T23:30:00Z" and data["publication_version"] == 2
    assert data["licence"] == "CC BY 4.0" and data["count"] == 2
    assert {change["name"] for change in data["changes"]} == {"北京市测试公益协会", "=HYPERLINK(\"x\")协会"}
    assert data["changes"][0]["published_now"] is True


def test_bad_filters_are_a_400(client):
    assert client.get("/changes.csv?type=nonsense").status_code == 400
    assert client.get("/changes.json?from=2026-13-01").status_code == 400


def test_exits_carry_their_public_reason(app, client, scoring, monkeypatch):
    first = ScoringOrganisation(1, "北京市测试公益协会")
    first.write(scoring)
    ScoringOrganisation(2, "北京市另一公益协会").write(scoring)
    sync_at(app, monkeypatch, datetime(2026, 12, 5, 23, 30))
    scoring.tick(days=1)
    scoring.score(first.uscc, "C", "70.00")
    sync_at(app, monkeypatch, datetime(2026, 12, 6, 23, 30))
    data = json.loads(client.get("/changes.json?type=exit").get_data())
    (change,) = data["changes"]
    assert change["uscc"] == first.uscc and change["exit_reason"] == "downgraded"
    assert change["exit_reason_text"] and change["old_grade"] is None  # no grade that says why, beyond the reason
    text = client.get("/changes.csv?type=exit").get_data().decode("utf-8")
    assert ",downgraded," in text
