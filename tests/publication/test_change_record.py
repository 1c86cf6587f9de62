"""The change record (变更记录): kept by the sync, shown on the report as a timeline and offered by the API.

Data goes in through the real sync over three nights (02:30 in Beijing, 18:30
UTC the day before):

- 1 (A) changes its legal representative, address and score on night 2, and
  its name on night 3 (the old name becomes a former name);
- 2 (B) falls to C on night 2 while its address changes, and returns as B on
  night 3 with a new legal representative: nothing of its time off the list
  is recorded, and no page or answer shows its grade C;
- 6 (C) is never published and changes its name: nothing is recorded;
- 8 (A) changes its address on night 2 and is cancelled on night 3: its
  record is kept but shown nowhere, exactly as for an unknown code.
"""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.publication.models import FieldChange
from portal.sync import service as sync_service
from tests.scoring_builder import make_uscc
from tests.synced_portal import ScoringOrganisation, sync_at, uscc_lookup

pytestmark = pytest.mark.cached_and_uncached

ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", grade="A", score="97.50"),
    ScoringOrganisation(2, "北京市贝塔基金会", org_type="foundation", grade="B", score="88.00"),
    ScoringOrganisation(6, "北京市丙级测试协会", grade="C", score="70.00"),
    ScoringOrganisation(8, "北京市注销测试协会", grade="A", score="99.00"),
]
NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(3)]
UNKNOWN = make_uscc(987654321)
uscc_of = uscc_lookup(ORGS)


@pytest.fixture
def portal(app, scoring, monkeypatch):
    for organisation in ORGS:
        organisation.write(scoring)
    sync_at(app, monkeypatch, NIGHTS[0])

    scoring.tick(days=1)
    scoring.update_organisation(uscc_of(1), legal_representative="李测试", address="北京市西城区测试街2号")
    scoring.score(uscc_of(1), "A", "96.00")
    scoring.score(uscc_of(2), "C", "70.00")
    scoring.update_organisation(uscc_of(2), address="北京市丰台区离开路9号")
    scoring.update_organisation(uscc_of(6), name="北京市丙级改名协会")
    scoring.update_organisation(uscc_of(8), address="北京市通州区注销前路3号")
    sync_at(app, monkeypatch, NIGHTS[1])

    scoring.tick(days=1)
    scoring.update_organisation(uscc_of(1), name="北京市阿尔法发展协会", former_names='["北京市阿尔法协会"]')
    scoring.score(uscc_of(2), "B", "88.00")
    scoring.update_organisation(uscc_of(2), legal_representative="王返回")
    scoring.update_organisation(uscc_of(8), registration_status="cancelled")
    sync_at(app, monkeypatch, NIGHTS[2])
    return app


def recorded(app, uscc):
    with app.app_context():
        return [
            (row.field, row.old_value, row.new_value, row.changed_at)
            for row in db.session.scalars(select(FieldChange).where(FieldChange.uscc == uscc).order_by(FieldChange.id))
        ]


def test_the_sync_records_public_fields_only_while_listed(portal):
    assert recorded(portal, uscc_of(1)) == [
        ("legal_representative", "张测试", "李测试", NIGHTS[1]),
        ("address", "北京市东城区测试路1号", "北京市西城区测试街2号", NIGHTS[1]),
        ("score", "97.50", "96.00", NIGHTS[1]),
        ("name", "北京市阿尔法协会", "北京市阿尔法发展协会", NIGHTS[2]),
    ]
    # Off the list on night 2 (grade C) and back on night 3: neither the C nor what changed meanwhile.
    assert recorded(portal, uscc_of(2)) == []
    assert recorded(portal, uscc_of(6)) == []
    # Kept while it was listed; its cancellation is no field change.
    assert recorded(portal, uscc_of(8)) == [("address", "北京市东城区测试路1号", "北京市通州区注销前路3号", NIGHTS[1])]


def test_the_report_shows_the_record_as_a_dated_timeline(portal):
    client = portal.test_client()
    page = client.get(f"/org/{uscc_of(1)}").get_data(as_text=True)
    section = page.split('id="change-record"', 1)[1].split("</section>", 1)[0]
    assert '<ol class="timeline">' in section
    # Newest first, dated in Beijing: the nights ran at 02:30 on 4 and 5 November.
    assert section.index('datetime="2026-11-05"') < section.index('datetime="2026-11-04"')
    assert "名称</span>" in section and "由“北京市阿尔法协会”变更为“北京市阿尔法发展协会”" in section
    assert "由“张测试”变更为“李测试”" in section
    assert "由“97.50”变更为“96.00”" in section
    assert 'href="#change-record"' in page

    english = client.get(f"/org/{uscc_of(1)}?lang=en").get_data(as_text=True)
    section = english.split('id="change-record"', 1)[1].split("</section>", 1)[0]
    assert "Change record" in section and "Legal representative</span>" in section
    assert 'changed from “<span lang="zh-CN">张测试</span>” to “<span lang="zh-CN">李测试</span>”' in section


def test_a_returning_organisation_shows_no_record_of_its_time_off_the_list(portal):
    page = portal.test_client().get(f"/org/{uscc_of(2)}").get_data(as_text=True)
    section = page.split('id="change-record"', 1)[1].split("</section>", 1)[0]
    assert "本组织进入公示名单以来，没有记录到变更。" in section
    assert "王返回" not in section and "离开路" not in section


def test_the_api_offers_the_record(portal):
    client = portal.test_client()
    response = client.get(f"/api/v1/organisations/{uscc_of(1)}/changes?lang=en")
    assert response.status_code == 200
    body = response.get_json()
    assert body["uscc"] == uscc_of(1) and body["total"] == 4 and body["limit"] == 100
    assert [(c["field"], c["old_value"], c["new_value"], c["date"]) for c in body["changes"]] == [
        ("name", "北京市阿尔法协会", "北京市阿尔法发展协会", "2026-11-05"),
        ("legal_representative", "张测试", "李测试", "2026-11-04"),
        ("address", "北京市东城区测试路1号", "北京市西城区测试街2号", "2026-11-04"),
        ("score", "97.50", "96.00", "2026-11-04"),
    ]
    assert body["changes"][0]["changed_at"] == "2026-11-04T18:30:00Z"
    assert body["changes"][1]["field_label"] == "Legal representative"
    assert body["report_url"] == f"http://localhost/org/{uscc_of(1)}?lang=en"

    limited = client.get(f"/api/v1/organisations/{uscc_of(1)}/changes?limit=1").get_json()
    assert limited["total"] == 4 and len(limited["changes"]) == 1
    assert limited["changes"][0]["field_label"] == "名称"
    assert client.get(f"/api/v1/organisations/{uscc_of(1)}/changes?limit=0").status_code == 400
    assert client.get("/api/v1/organisations/123/changes").status_code == 400
    assert client.get(f"/api/v1/organisations/{uscc_of(2)}/changes").get_json()["changes"] == []


def _without(code, text):
    return text.replace(code, "<code>")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_record_anywhere_for_an_unpublished_organisation(portal, language):
    """A C-grade and a cancelled organisation (which has a record) answer exactly as an unknown code."""
    client = portal.test_client()
    answers = {}
    for name, code in (("unknown", UNKNOWN), ("c_grade", uscc_of(6)), ("cancelled", uscc_of(8))):
        api = client.get(f"/api/v1/organisations/{code}/changes?lang={language}")
        page = client.get(f"/org/{code}?lang={language}")
        answers[name] = (
            api.status_code,
            _without(code, api.get_data(as_text=True)),
            sorted((key, value) for key, value in api.headers if key not in ("Date", "ETag")),
            page.status_code,
            _without(code, page.get_data(as_text=True)),
        )
    assert answers["unknown"][0] == 404 and answers["unknown"][3] == 404
    assert answers["c_grade"] == answers["unknown"]
    assert answers["cancelled"] == answers["unknown"]
    for status, api_body, _, _, page_body in answers.values():
        assert "注销前路" not in api_body + page_body and "丙级改名" not in api_body + page_body


def test_former_names_keep_working(portal):
    """The old name, now a former name, still finds the organisation; the report lists it."""
    with portal.app_context():
        result = sync_service.catch_up_index()
    assert "error" not in (result or {}), result
    client = portal.test_client()
    page = client.get("/search", query_string={"q": "北京市阿尔法协会"}).get_data(as_text=True)
    assert f"/org/{uscc_of(1)}" in page
    api = client.get("/api/v1/search", query_string={"q": "北京市阿尔法协会"}).get_json()
    assert uscc_of(1) in [hit["uscc"] for hit in api["results"]]
    report = client.get(f"/org/{uscc_of(1)}").get_data(as_text=True)
    registration = report.split('id="registration"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"<li>北京市阿尔法协会</li>", registration)
