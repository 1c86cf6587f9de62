"""/changes as CSV and JSON: dated in Beijing time, with data-as-of, publication version, licence and source."""

import csv
import io
import json
from datetime import datetime

from tests.synced_portal import ScoringOrganisation, sync_at


def test_changes_download_as_csv_and_json_with_their_provenance(app, client, scoring, monkeypatch):
    ScoringOrganisation(1, "北京市测试公益协会").write(scoring)
    ScoringOrganisation(2, "=HYPERLINK(\"x\")协会").write(scoring)
    # 23:30 UTC on 6 December is 07:30 on 7 December in Beijing: the file is named for the 7th.
    sync_at(app, monkeypatch, datetime(2026, 12, 6, 23, 30))
    page = client.get("/changes?type=entry").get_data(as_text=True)
    assert 'href="/changes.csv?type=entry"' in page and 'href="/changes.json?type=entry"' in page

    response = client.get("/changes.csv?type=entry")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="beijing-social-org-credit-changes-2026-12-07.csv"'
    assert response.headers["X-Data-As-Of"] == "2026-12-06T23:30:00Z"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff# 北京市社会组织信用信息公示平台 公示名单变动; data_as_of=2026-12-06T23:30:00Z; publication_version=1;")
    assert "licence=CC BY 4.0 https://creativecommons.org/licenses/by/4.0/" in text
    assert "source=http://localhost/changes?type=entry" in text
    rows = list(csv.reader(io.StringIO(text.split("\r\n", 1)[1])))
    assert rows[0][:5] == ["date", "changed_at", "uscc", "name", "change_type"]
    names = {row[3] for row in rows[1:]}
    assert "北京市测试公益协会" in names and "'=HYPERLINK(\"x\")协会" in names  # formula neutralised
    assert {row[0] for row in rows[1:]} == {"2026-12-07"} and {row[5] for row in rows[1:]} == {"列入公示名单"}

    data = json.loads(client.get("/changes.json?type=entry").get_data())
    assert data["data_as_of"] == "2026-12-06T23:30:00Z" and data["publication_version"] == 1
    assert data["licence"] == "CC BY 4.0" and data["count"] == 2
    assert {change["name"] for change in data["changes"]} == {"北京市测试公益协会", "=HYPERLINK(\"x\")协会"}
    assert data["changes"][0]["published_now"] is True


def test_bad_filters_are_a_400(client):
    assert client.get("/changes.csv?type=nonsense").status_code == 400
    assert client.get("/changes.json?from=2026-13-01").status_code == 400
