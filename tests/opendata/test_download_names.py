"""Bulk downloads are named to be cited: beijing-social-org-credit-list-<date>.<ext>, the date in Beijing time."""

from datetime import datetime

from portal.opendata import downloads
from tests.synced_portal import ScoringOrganisation, sync_at


def test_bulk_downloads_are_named_for_the_beijing_date_of_the_data(app, client, scoring, monkeypatch):
    ScoringOrganisation(1, "北京市测试公益协会").write(scoring)
    # 23:30 UTC on 6 December is 07:30 on 7 December in Beijing: the UTC date would be the 6th.
    sync_at(app, monkeypatch, datetime(2026, 12, 6, 23, 30))
    with app.app_context():
        downloads.export_downloads()
    for name, expected in [
        ("organisations.csv", "beijing-social-org-credit-list-2026-12-07.csv"),
        ("organisations.jsonl", "beijing-social-org-credit-list-2026-12-07.jsonl"),
    ]:
        response = client.get(f"/data/{name}")
        assert response.status_code == 200
        assert f'filename={expected}' in response.headers["Content-Disposition"].replace('"', "")


def test_data_page_states_the_licence_and_a_citation(app, client, scoring, monkeypatch):
    ScoringOrganisation(1, "北京市测试公益协会").write(scoring)
    sync_at(app, monkeypatch, datetime(2026, 12, 6, 23, 30))
    with app.app_context():
        downloads.export_downloads()
    page = client.get("/data").get_data(as_text=True)
    assert 'rel="license">CC BY 4.0</a>' in page and "https://creativecommons.org/licenses/by/4.0/" in page
    assert "建议引用格式" in page and "数据截至2026-12-07 07:30（北京时间），公示版本1" in page
    app.config.update(DATA_LICENCE_NAME="CC BY-SA 4.0", DATA_LICENCE_URL="https://example.org/licence")
    english = client.get("/data?lang=en").get_data(as_text=True)
    assert "Suggested citation" in english and 'href="https://example.org/licence" rel="license">CC BY-SA 4.0</a>' in english
