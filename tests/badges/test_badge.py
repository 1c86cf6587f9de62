"""The live credit badge /badge/<USCC>.svg and the snippet the credit report offers.

Data goes in through the real sync: 1 (A) and 2 (B) are listed; 6 (C) never
is; 8 (A) is listed on the first night and cancelled on the second. The badge
of every code not in the list is one image, with the same headers, whatever
the code: unknown, malformed, C-graded or cancelled.
"""

import html
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from tests.scoring_builder import make_uscc
from tests.synced_portal import ScoringOrganisation, sync_at, uscc_lookup

pytestmark = pytest.mark.cached_and_uncached

SVG = "{http://www.w3.org/2000/svg}"
ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", grade="A", score="97.50"),
    ScoringOrganisation(2, "北京市贝塔基金会", org_type="foundation", grade="B", score="88.00"),
    ScoringOrganisation(6, "北京市丙级测试协会", grade="C", score="70.00"),
    ScoringOrganisation(8, "北京市注销测试协会", grade="A", score="99.00"),
]
NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(3)]  # 02:30 in Beijing
uscc_of = uscc_lookup(ORGS)
UNKNOWN = make_uscc(987654321)


def wrong_check_character(code):
    return code[:17] + ("1" if code[17] != "1" else "2")


@pytest.fixture
def portal(app, scoring, monkeypatch):
    for organisation in ORGS:
        organisation.write(scoring)
    sync_at(app, monkeypatch, NIGHTS[0])
    scoring.tick(days=1)
    scoring.update_organisation(uscc_of(8), registration_status="cancelled")
    sync_at(app, monkeypatch, NIGHTS[1])
    return app


def not_listed_codes():
    """Codes of every kind that is not in the list."""
    return {
        "unknown": UNKNOWN,
        "malformed (check character)": wrong_check_character(uscc_of(1)),
        "malformed (letters I and O)": uscc_of(1)[:15] + "IO" + uscc_of(1)[17],
        "malformed (too short)": uscc_of(1)[:17],
        "C grade": uscc_of(6),
        "C grade, lower case": uscc_of(6).lower(),
        "cancelled": uscc_of(8),
    }


def answer(client, code, query="", **options):
    response = client.get(f"/badge/{code}.svg{query}", **options)
    headers = sorted((name, value) for name, value in response.headers if name != "Date")
    return response.status_code, headers, response.get_data()


def parsed(body):
    return ET.fromstring(body)


def test_a_listed_organisation_has_its_grade_date_and_name(portal):
    client = portal.test_client()
    response = client.get(f"/badge/{uscc_of(1)}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])
    assert "Cookie" in response.headers["Vary"]
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    svg = parsed(response.get_data())
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert svg.get("aria-labelledby").split() == [title.get("id"), svg.find(f"{SVG}desc").get("id")]
    # Data as of the second night's sync, 02:30 on 4 November in Beijing.
    assert title.text == "北京市阿尔法协会：信用等级 A（数据截至2026年11月4日）"
    texts = [element.text for element in svg.iter(f"{SVG}text")]
    assert texts == ["A", "北京市社会组织信用信息公示平台", "北京市阿尔法协会", "信用等级 A · 数据截至2026年11月4日"]
    assert parsed(client.get(f"/badge/{uscc_of(2)}.svg").get_data()).find(f"{SVG}title").text.startswith(
        "北京市贝塔基金会：信用等级 B"
    )


def test_the_badge_has_no_script_nor_anything_fetched(portal):
    client = portal.test_client()
    for code in (uscc_of(1), UNKNOWN):
        body = client.get(f"/badge/{code}.svg").get_data(as_text=True)
        assert "<script" not in body.lower() and "href" not in body
        assert not re.search(r"\son[a-z]+=", body)
        assert "<style" not in body and "url(" not in body


@pytest.mark.parametrize("language", ["en", "cookie"])
def test_the_badge_speaks_english(portal, language):
    client = portal.test_client()
    if language == "cookie":
        client.set_cookie("lang", "en")
        url = f"/badge/{uscc_of(1)}.svg"
    else:
        url = f"/badge/{uscc_of(1)}.svg?lang=en"
    svg = parsed(client.get(url).get_data())
    assert svg.get("lang") == "en"
    assert svg.find(f"{SVG}title").text == "北京市阿尔法协会: credit grade A (data as of November 4, 2026)"
    neutral = parsed(client.get(url.replace(uscc_of(1), uscc_of(6))).get_data())
    assert neutral.find(f"{SVG}title").text == "Not in the grade A/B public list (data as of November 4, 2026)"


@pytest.mark.parametrize("query", ["", "?lang=en"])
def test_every_code_not_in_the_list_gets_the_same_bytes_and_headers(portal, query):
    client = portal.test_client()
    answers = {kind: answer(client, code, query) for kind, code in not_listed_codes().items()}
    reference = answers["unknown"]
    assert reference[0] == 200
    text = reference[2].decode()
    assert ("不在A/B级公示名单中" if not query else "Not in the grade A/B public list") in text
    for kind, result in answers.items():
        assert result == reference, kind
    # Nothing of the organisations themselves.
    assert "丙级" not in text and "注销" not in text and uscc_of(6) not in text


def test_revalidation_is_the_same_for_every_code_not_in_the_list(portal):
    client = portal.test_client()
    etag = client.get(f"/badge/{UNKNOWN}.svg").headers["ETag"]
    answers = {
        kind: answer(client, code, headers={"If-None-Match": etag}) for kind, code in not_listed_codes().items()
    }
    assert answers["unknown"][0] == 304 and answers["unknown"][2] == b""
    assert all(result == answers["unknown"] for result in answers.values())
    listed = client.get(f"/badge/{uscc_of(1)}.svg", headers={"If-None-Match": etag})
    assert listed.status_code == 200 and listed.headers["ETag"] != etag


def test_a_path_that_is_no_code_at_all_is_a_404(portal):
    response = portal.test_client().get("/badge/" + "1" * 41 + ".svg")
    assert response.status_code == 404
    assert "统一社会信用代码" in response.get_data(as_text=True)


def test_the_badge_follows_the_next_sync_at_once(portal, scoring, monkeypatch):
    """After a sync, neither the page cache nor a revalidating cache keeps the old badge or snippet page."""
    client = portal.test_client()
    before = client.get(f"/badge/{uscc_of(1)}.svg")
    report_before = client.get(f"/org/{uscc_of(1)}").get_data(as_text=True)
    assert "信用等级 A" in before.get_data(as_text=True)
    scoring.tick(days=1)
    scoring.score(uscc_of(1), "B", "90.00")
    scoring.score(uscc_of(2), "C", "70.00")
    sync_at(portal, monkeypatch, NIGHTS[2])

    after = client.get(f"/badge/{uscc_of(1)}.svg", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert parsed(after.get_data()).find(f"{SVG}title").text == "北京市阿尔法协会：信用等级 B（数据截至2026年11月5日）"
    assert client.get(f"/org/{uscc_of(1)}").get_data(as_text=True) != report_before
    # 2 left the list: its badge is now the neutral one, byte for byte.
    assert answer(client, uscc_of(2)) == answer(client, UNKNOWN)


def snippet_of(page):
    match = re.search(r'<textarea id="badge-snippet"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no snippet"
    return html.unescape(match.group(1))


def test_the_report_offers_the_snippet_to_copy(portal):
    client = portal.test_client()
    page = client.get(f"/org/{uscc_of(1)}").get_data(as_text=True)
    assert re.search(r'<textarea id="badge-snippet"[^>]*\breadonly\b', page)
    assert re.search(r'<label for="badge-snippet">', page)
    assert 'src="/static/js/badge.js"' in page and 'data-copy-label="复制代码"' in page
    snippet = snippet_of(page)
    assert snippet == (
        f'<a href="http://localhost/org/{uscc_of(1)}"><img src="http://localhost/badge/{uscc_of(1)}.svg" '
        'alt="北京市阿尔法协会：北京市社会组织信用信息公示平台的信用等级与信用报告" height="64" loading="lazy"></a>'
    )
    assert f'<img src="/badge/{uscc_of(1)}.svg" alt="北京市阿尔法协会：' in page
    english = snippet_of(client.get(f"/org/{uscc_of(1)}?lang=en").get_data(as_text=True))
    assert f'href="http://localhost/org/{uscc_of(1)}?lang=en"' in english
    assert f'src="http://localhost/badge/{uscc_of(1)}.svg?lang=en"' in english
    assert "credit grade and credit report on the Beijing Social Organisation Credit Information Portal" in english


def test_no_snippet_for_a_code_not_in_the_list(portal):
    client = portal.test_client()
    pages = {}
    for kind in ("unknown", "C grade", "cancelled"):
        code = not_listed_codes()[kind]
        response = client.get(f"/org/{code}")
        pages[kind] = (response.status_code, response.get_data(as_text=True).replace(code, "<code>"))
    assert pages["unknown"][0] == 404 and "badge-snippet" not in pages["unknown"][1]
    assert pages["C grade"] == pages["unknown"] and pages["cancelled"] == pages["unknown"]
