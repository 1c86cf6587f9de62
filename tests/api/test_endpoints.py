"""The public JSON API: every endpoint, caching and 304s, CORS, rate limits, errors in both languages, disclosure.

Data goes in through the real sync, from a scoring database written by the
test builder: three nights in which organisations enter, leave, change grade
and come back (as in tests/orgs/test_home_list_changes_about.py).
"""

import io
import json
from datetime import datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from portal.extensions import db
from portal.publication.models import Organisation
from portal.sync import service as sync_service
from tests.scoring_builder import make_uscc
from portal.testing.upload_bombs import StreamedBody
from tests.synced_portal import ScoringOrganisation, sync_at, sync_three_nights, uscc_lookup
from tests.conftest import has_inline_script

# (number, name, type, district, grade, score, evaluation level)
ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", "social_group", "110000", "A", "97.50", 5),
    ScoringOrganisation(2, "北京市贝塔基金会", "foundation", "110105", "B", "88.00", None),
    ScoringOrganisation(3, "北京市朝阳区测试服务中心", "social_service", "110105", "B", "81.00", 3),
    ScoringOrganisation(4, "北京市海淀区科技协会", "social_group", "110108", "A", "120.00", 4),
    ScoringOrganisation(5, "北京市东城区文化促进会", "social_group", "110101", "B", "94.99", None),
]
# Never public: rated C, rated D, cancelled.
HIDDEN = [
    ScoringOrganisation(6, "北京市丙级测试协会", "social_group", "110000", "C", "70.00", None, "normal"),
    ScoringOrganisation(7, "北京市丁级测试协会", "social_group", "110000", "D", "40.00", 2, "normal"),
    ScoringOrganisation(8, "北京市注销测试协会", "social_group", "110000", "A", "99.00", 5, "cancelled"),
]
NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(4)]  # 02:30 in Beijing
UNKNOWN = make_uscc(987654321)
uscc_of = uscc_lookup(ORGS + HIDDEN)


def catch_up_index(app):
    with app.app_context():
        result = sync_service.catch_up_index()
    assert "error" not in (result or {}), result


def api(client, path, **query):
    response = client.get(f"/api/v1{path}", query_string=query)
    assert response.mimetype == "application/json", (path, response.status_code)
    return response, response.get_json()


def published_now(app):
    with app.app_context():
        return set(db.session.scalars(select(Organisation.uscc).where(Organisation.is_published.is_(True))))


@pytest.fixture
def portal(app, scoring, monkeypatch):
    """Three nights: five organisations enter; one leaves and one is regraded; it returns and another is cancelled.

    After them 1 (A), 2 (B), 3 (A) and 4 (A) are published; 5 was published and
    is cancelled; 6 (C), 7 (D) and 8 (cancelled) never were.
    """
    for organisation in ORGS + HIDDEN:
        organisation.write(scoring)
    scoring.event("E1", uscc_of(1), points="2")
    scoring.event("E2", uscc_of(1), points="-3", status="expired", item_code="P01")
    scoring.list_entry("L1", uscc_of(1))
    return sync_three_nights(app, scoring, monkeypatch, NIGHTS, ORGS + HIDDEN)


PUBLISHED = {1, 2, 3, 4}


def test_index_links_every_endpoint(client, portal):
    response, body = api(client, "")
    assert response.status_code == 200
    assert body["version"] == "v1"
    assert body["publication_version"] == 3
    assert body["data_as_of"] == "2026-11-04T18:30:00Z"
    assert set(body["endpoints"]) == {
        "organisations", "organisation", "organisation_changes", "search", "changes", "rules", "statistics",
        "batch_check",
    }
    assert body["endpoints"]["organisation"].endswith("/api/v1/organisations/{uscc}")
    assert client.get("/api/v1/").status_code == 200


# -- organisations ----------------------------------------------------------------------


def test_organisations_are_the_published_ones(client, portal):
    response, body = api(client, "/organisations")
    assert response.status_code == 200
    assert body["total"] == 4 and body["next_cursor"] is None and body["next"] is None
    assert {org["uscc"] for org in body["organisations"]} == {uscc_of(n) for n in PUBLISHED}
    first = next(org for org in body["organisations"] if org["uscc"] == uscc_of(1))
    assert first["name"] == "北京市阿尔法协会"
    assert first["grade"] == "A" and first["score"] == 97.5
    assert first["evaluation_level"] == "5A"
    assert first["org_type"] == "social_group" and first["org_type_label"] == "社会团体"
    assert first["report_url"] == f"http://localhost/org/{uscc_of(1)}"
    assert first["api_url"] == f"http://localhost/api/v1/organisations/{uscc_of(1)}"
    assert body["data_as_of"] == "2026-11-04T18:30:00Z" and body["publication_version"] == 3
    english = api(client, "/organisations", lang="en")[1]
    assert next(o for o in english["organisations"] if o["uscc"] == uscc_of(1))["org_type_label"] == "Social group"


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"grade": "A"}, [1, 3, 4]),
        ({"grade": "B"}, [2]),
        ({"type": "foundation"}, [2]),
        ({"district": "110105"}, [2, 3]),
        ({"evaluation": "none"}, [2]),
        ({"evaluation": "4A"}, [4]),
        ({"grade": "A", "district": "110105"}, [3]),
        ({"sort": "score_desc"}, [4, 1, 3, 2]),
        ({"sort": "score_asc"}, [2, 3, 1, 4]),
    ],
)
def test_organisation_filters_and_sorts(client, portal, query, expected):
    body = api(client, "/organisations", **query)[1]
    assert [org["uscc"] for org in body["organisations"]] == [uscc_of(n) for n in expected] or "sort" not in query
    assert {org["uscc"] for org in body["organisations"]} == {uscc_of(n) for n in expected}
    assert body["total"] == len(expected)


@pytest.fixture
def many(app, scoring, monkeypatch):
    """37 published organisations with many ties: the same names, scores and registration dates."""
    from datetime import date

    for number in range(1, 38):
        scoring.organisation(
            number,
            name=f"北京市同名{number % 3}协会",
            grade="A" if number % 2 else "B",
            score=("97.50" if number % 4 else "99.00") if number % 2 else "88.00",
            registered_on=None if number % 5 == 0 else date(2010, 1, 1 + number % 3),
            evaluation_level=None if number % 3 else 4,
        )
    scoring.organisation(90, grade="C")
    sync_at(app, monkeypatch, NIGHTS[0])
    return app


def walk(client, path, limit, **query):
    """Follow the next links from the first page; return the rows of every page."""
    rows, pages = [], 0
    response, body = api(client, path, limit=limit, **query)
    while True:
        assert response.status_code == 200, body
        assert len(body["organisations" if "organisations" in body else "changes"]) <= limit
        rows.extend(body["organisations" if "organisations" in body else "changes"])
        pages += 1
        if body["next"] is None:
            assert body["next_cursor"] is None and "Link" not in response.headers
            return rows, pages
        assert "cursor=" in body["next"]
        assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
        response = client.get(body["next"])
        body = response.get_json()


@pytest.mark.parametrize("sort", ["name", "score_desc", "score_asc", "registered_desc", "registered_asc"])
def test_cursor_pages_have_no_duplicates_or_gaps(client, many, sort):
    everything = api(client, "/organisations", sort=sort, limit=1000)[1]
    assert everything["total"] == 37 and len(everything["organisations"]) == 37
    expected = [org["uscc"] for org in everything["organisations"]]
    for limit in (1, 4, 10, 37):
        rows, pages = walk(client, "/organisations", limit, sort=sort)
        assert [row["uscc"] for row in rows] == expected, (sort, limit)
        assert pages == -(-37 // limit)
    # The same order as the list page's sort, ties broken by name and code.
    filtered, _ = walk(client, "/organisations", 3, sort=sort, grade="A")
    assert [row["uscc"] for row in filtered] == [u for u in expected if u in {r["uscc"] for r in filtered}]
    assert len(filtered) == 19


def test_cursor_carries_filters_and_refuses_others(app, client, many):
    body = api(client, "/organisations", grade="B", sort="score_asc", limit=5)[1]
    cursor = body["next_cursor"]
    # Given again, the same filter is fine; another one is refused.
    same = api(client, "/organisations", cursor=cursor, grade="B", limit=5)[1]
    assert all(org["grade"] == "B" for org in same["organisations"]) and same["sort"] == "score_asc"
    response, error = api(client, "/organisations", cursor=cursor, grade="A")
    assert response.status_code == 400 and error["error"]["code"] == "cursor_mismatch"
    assert error["error"]["parameter"] == "grade"
    # Tampered, foreign or unsigned cursors.
    forged = URLSafeSerializer("another secret", salt="portal.api.cursor").dumps(
        {"v": 1, "k": "organisations", "q": {"sort": "name"}, "after": ["a", "b", "c"]}
    )
    changes_cursor = URLSafeSerializer(app.config["SECRET_KEY"], salt="portal.api.cursor").dumps(
        {"v": 1, "k": "changes", "q": {"since": "2026-01-01"}, "after": ["2026-01-01T00:00:00", 1]}
    )
    wrong_key = URLSafeSerializer(app.config["SECRET_KEY"], salt="portal.api.cursor").dumps(
        {"v": 1, "k": "organisations", "q": {"sort": "score_desc"}, "after": ["not a number", "x", "y", "z"]}
    )
    for bad in (cursor[:-2] + "xx", "abc", forged, changes_cursor, wrong_key, "x" * 3000):
        response, error = api(client, "/organisations", cursor=bad)
        assert response.status_code == 400, bad
        assert error["error"]["code"] == "invalid_cursor" and error["error"]["parameter"] == "cursor"


@pytest.mark.parametrize(
    "query, parameter, english, chinese",
    [
        ({"grade": "C"}, "grade", "the grade can only be A or B (not “C”)", "信用等级只能选择A或B（不能是“C”）"),
        ({"type": "company"}, "type", "“company” is not an organisation type", "“company”不是有效的组织类型"),
        ({"grade": ["A", "B"]}, "grade", "at most one value", None),
        ({"limit": "0"}, "limit", "whole number from 1 to 1000", None),
        ({"limit": "abc"}, "limit", "whole number from 1 to 1000", None),
        ({"sort": "random"}, "sort", "is not a way to sort the list", None),
        ({"colour": "red"}, "colour", "is not a parameter of this endpoint", None),
    ],
)
def test_bad_organisation_queries_are_a_400_in_both_languages(client, portal, query, parameter, english, chinese):
    response, body = api(client, "/organisations", lang="en", **query)
    assert response.status_code == 400
    assert body["error"]["code"] in ("invalid_parameter", "unknown_parameter")
    assert body["error"]["status"] == 400 and body["error"]["parameter"] == parameter
    assert english in body["error"]["message"]
    assert body["publication_version"] == 3
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if chinese:
        zh = api(client, "/organisations", lang="zh", **query)[1]
        assert chinese in zh["error"]["message"] and zh["error"]["code"] == body["error"]["code"]
        by_header = client.get("/api/v1/organisations", query_string=query, headers={"Accept-Language": "zh-CN"})
        assert chinese in by_header.get_json()["error"]["message"]
        by_header = client.get("/api/v1/organisations", query_string=query, headers={"Accept-Language": "en-GB,en"})
        assert english in by_header.get_json()["error"]["message"]


def test_language_cookie_is_ignored(client, portal):
    client.set_cookie("lang", "en")
    body = api(client, "/organisations", grade="C")[1]
    assert "信用等级只能选择A或B" in body["error"]["message"]


# -- one organisation --------------------------------------------------------------------


def test_organisation_report_data(client, portal):
    response, body = api(client, f"/organisations/{uscc_of(1)}", lang="en")
    assert response.status_code == 200
    org = body["organisation"]
    assert org["uscc"] == uscc_of(1) and org["name"] == "北京市阿尔法协会"
    assert org["credit"]["grade"] == "A" and org["credit"]["score"] == 97.5
    assert org["credit"]["grade_band"] == {"grade": "A", "min_score": 95, "max_score": 200}
    assert [d["code"] for d in org["credit"]["dimensions"]][:2] == ["party_building", "integrity"]
    assert [e["event_id"] for e in org["current_events"]] == ["E1"]
    assert org["current_events"][0]["item_name"] == "Kept promises"
    assert [e["event_id"] for e in org["earlier_events"]] == ["E2"]
    assert org["earlier_events"][0]["points"] == -3
    assert org["list_entries"][0]["list_type"] == "abnormal_activity" and org["list_entries"][0]["listed"]
    assert org["evaluation"]["level"] == "5A"
    assert org["registration_status"] == "normal"
    assert "unpublished_reason" not in json.dumps(body) and "is_published" not in json.dumps(body)
    assert body["publication_version"] == 3
    # Organisation 2 left the list on the second night and came back on the third.
    history = api(client, f"/organisations/{uscc_of(2)}")[1]["organisation"]["history"]
    assert [(p["published"], p["grade"], p["reentered"]) for p in history] == [
        (True, "B", False), (False, None, False), (True, "B", True),
    ]
    # A code typed in lower case or with spaces is the same code.
    assert api(client, f"/organisations/{uscc_of(1).lower()}")[0].status_code == 200


def test_every_code_not_in_the_list_gets_the_same_404(client, portal):
    bodies = set()
    for code in [uscc_of(5), uscc_of(6), uscc_of(7), uscc_of(8), UNKNOWN]:
        for language in ("zh", "en"):
            response, body = api(client, f"/organisations/{code}", lang=language)
            assert response.status_code == 404
            assert body["error"]["code"] == "organisation_not_found"
            bodies.add((language, response.get_data(as_text=True).replace(code, "CODE")))
            assert response.headers["Cache-Control"] == "no-store"
    assert len(bodies) == 2  # one per language, whatever the code
    zh = api(client, f"/organisations/{UNKNOWN}")[1]["error"]["message"]
    assert zh == f"公示名单中没有统一社会信用代码为 {UNKNOWN} 的社会组织。"
    en = api(client, f"/organisations/{UNKNOWN}", lang="en")[1]["error"]["message"]
    assert en == f"No organisation with the unified social credit code {UNKNOWN} is in the public list."


@pytest.mark.parametrize(
    "code, english",
    [
        ("123", "“123” has 3 characters, but a unified social credit code has 18."),
        ("51110000MJ000000I9", "has a character that a unified social credit code cannot have, at position 17"),
        (make_uscc(1)[:-1] + ("0" if make_uscc(1)[-1] != "0" else "1"), "its check character, does not match"),
    ],
)
def test_invalid_codes_are_a_400(client, portal, code, english):
    response, body = api(client, f"/organisations/{code}", lang="en")
    assert response.status_code == 400
    assert body["error"]["code"] == "invalid_uscc" and body["error"]["parameter"] == "uscc"
    assert english in body["error"]["message"]


# -- changes ---------------------------------------------------------------------------------


def test_changes_since_a_date(client, portal):
    body = api(client, "/changes", since="2026-11-01")[1]
    lines = [(line["change_type"], line["uscc"]) for line in body["changes"]]
    nights = [sorted(t for t, _ in lines[:5]), sorted(t for t, _ in lines[5:7]), sorted(t for t, _ in lines[7:])]
    assert nights == [["entry"] * 5, ["exit", "grade_change"], ["entry", "exit"]]
    assert body["total"] == 9 and body["since"] == "2026-11-01"
    # Oldest first, with Beijing dates.
    assert [line["date"] for line in body["changes"]][0] == "2026-11-03"
    for line in body["changes"]:
        if line["change_type"] == "exit":
            assert line["old_grade"] is None and line["new_grade"] is None
        if line["uscc"] == uscc_of(5):
            assert not line["currently_published"] and line["report_url"] is None and line["api_url"] is None
    grade_change = next(line for line in body["changes"] if line["change_type"] == "grade_change")
    assert (grade_change["old_grade"], grade_change["new_grade"]) == ("B", "A")
    assert api(client, "/changes", since="2026-11-05")[1]["total"] == 2
    assert api(client, "/changes", since="2026-11-04", until="2026-11-04")[1]["total"] == 2
    assert api(client, "/changes", since="2026-11-01", type="exit")[1]["total"] == 2
    assert api(client, "/changes", since="2026-12-01")[1]["changes"] == []


def test_changes_at_the_edges_of_the_calendar(client, portal):
    # 0001-01-01 in Beijing begins before the year 1 in UTC (found by schemathesis: it was a 500).
    assert api(client, "/changes", since="0001-01-01")[1]["total"] == 9
    assert api(client, "/changes", since="0001-01-01", until="9999-12-31")[1]["total"] == 9
    for query in ("since=0001-01-01&until=9999-12-31", "since=0001-01-01"):
        assert client.get(f"/changes?{query.replace('since', 'from').replace('until', 'to')}").status_code < 500


def test_changes_pages_by_cursor(client, portal):
    everything = api(client, "/changes", since="2026-11-01")[1]["changes"]
    for limit in (1, 2, 4):
        rows, _ = walk(client, "/changes", limit, since="2026-11-01")
        assert rows == everything


@pytest.mark.parametrize(
    "query, code, parameter",
    [
        ({}, "missing_parameter", "since"),
        ({"since": "2026-13-01"}, "invalid_date", "since"),
        ({"since": "yesterday"}, "invalid_date", "since"),
        ({"since": "2026-11-01", "until": "2026-02-30"}, "invalid_date", "until"),
        ({"since": "2026-11-05", "until": "2026-11-01"}, "invalid_date_range", "since"),
        ({"since": "2026-11-01", "type": "regrade"}, "invalid_parameter", "type"),
    ],
)
def test_bad_change_queries_are_a_400(client, portal, query, code, parameter):
    response, body = api(client, "/changes", **query)
    assert response.status_code == 400
    assert body["error"]["code"] == code and body["error"]["parameter"] == parameter


def test_change_date_errors_in_both_languages(client, portal):
    zh = api(client, "/changes", since="2026-13-01", lang="zh")[1]["error"]["message"]
    en = api(client, "/changes", since="2026-13-01", lang="en")[1]["error"]["message"]
    assert "“2026-13-01”不是有效的“since”日期" in zh
    assert "“2026-13-01” is not a valid date for “since”" in en


# -- rules, statistics -----------------------------------------------------------------------------


def test_rules(client, portal):
    body = api(client, "/rules")[1]
    (rule_set,) = body["rule_sets"]
    assert rule_set["version"] == "test-1" and rule_set["is_demo"] is True
    assert [(b["grade"], b["published"]) for b in rule_set["grade_bands"]] == [
        ("A", True), ("B", True), ("C", False), ("D", False),
    ]
    assert rule_set["published_count"] == 4
    integrity = next(d for d in rule_set["dimensions"] if d["code"] == "integrity")
    assert integrity["items"][0]["item_code"] == "P01" and integrity["items"][0]["points"] == 2


def test_statistics(client, portal):
    stats = api(client, "/statistics", lang="en")[1]["statistics"]
    assert stats["total"] == 4
    assert {row["code"]: row["count"] for row in stats["by_grade"]} == {"A": 3, "B": 1}
    assert {row["code"]: row["count"] for row in stats["by_type"]} == {
        "social_group": 2, "social_service": 1, "foundation": 1,
    }
    districts = {row["code"]: row for row in stats["by_district"]}
    assert districts["110105"]["count"] == 2 and districts["110105"]["label"] == "Chaoyang"
    assert {row["code"]: row["count"] for row in stats["by_evaluation"]}["none"] == 1
    assert sum(b["count"] for b in stats["score_distribution"]["bins"]) == 4
    assert stats["changes_by_month"] == [{"month": "2026-11", "entries": 6, "exits": 2, "grade_changes": 1}]


# -- batch check ---------------------------------------------------------------------------------


def test_batch_check(client, portal):
    values = [
        uscc_of(1),
        uscc_of(1).lower(),
        uscc_of(6),  # rated C
        uscc_of(8),  # cancelled
        UNKNOWN,
        "51110000MJ000000I9",
        "北京市贝塔基金会",
        "北京市丙级测试协会",  # the name of an unpublished organisation
        "北京市没有这个协会",
        "  ",
    ]
    response = client.post("/api/v1/batch-check?lang=en", json={"values": values})
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == len(values) and body["publication_version"] == 3
    results = body["results"]
    assert [r["row"] for r in results] == list(range(1, len(values) + 1))
    assert [r["input"] for r in results] == values
    assert [r["result"] for r in results] == [
        "published", "published", "not_public", "not_public", "not_public", "invalid_code",
        "published", "unknown_name", "unknown_name", "empty",
    ]
    assert (results[0]["grade"], results[0]["score"], results[0]["name"]) == ("A", 97.5, "北京市阿尔法协会")
    assert results[6]["uscc"] == uscc_of(2)
    # Nothing tells an unpublished organisation from an unknown one.
    assert [r["kind"] for r in results] == ["uscc"] * 6 + ["name"] * 3 + ["empty"]
    for result in results[2:5]:
        assert result["name"] is None and result["grade"] is None and result["score"] is None
    assert results[7] == {**results[8], "row": 8, "input": "北京市丙级测试协会"}
    assert body["summary"] == {"published": 3, "not_public": 3, "invalid_code": 1, "unknown_name": 2, "empty": 1}
    assert response.headers["Cache-Control"] == "no-store"
    # A bare list is accepted too.
    assert client.post("/api/v1/batch-check", json=[uscc_of(2)]).get_json()["results"][0]["result"] == "published"


def test_batch_check_with_names_shared_by_several(client, many):
    response = client.post("/api/v1/batch-check", json={"values": ["北京市同名1协会"]})
    (result,) = response.get_json()["results"]
    assert result["result"] == "ambiguous_name" and len(result["matches"]) == 13


@pytest.mark.parametrize(
    "kwargs, status, code",
    [
        ({"json": {"values": ["x"] * 5001}}, 400, "too_many_values"),
        ({"json": {"values": "51110000MJ00000019"}}, 400, "invalid_body"),
        ({"json": {"values": [1, 2]}}, 400, "invalid_body"),
        ({"json": {"codes": []}}, 400, "invalid_body"),
        ({"json": {"values": ["x" * 501]}}, 400, "invalid_body"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_body"),
        ({"data": "a,b", "content_type": "text/csv"}, 415, "unsupported_media_type"),
        ({"data": "x" * (2 * 1024 * 1024 + 1), "content_type": "application/json"}, 413, "payload_too_large"),
        ({"data": "[" * 100_000, "content_type": "application/json"}, 400, "invalid_body"),  # nested too deep to parse
        ({"data": '{"values": [' + "[" * 100_000, "content_type": "application/json"}, 400, "invalid_body"),
    ],
)
def test_bad_batch_requests(client, portal, kwargs, status, code):
    response = client.post("/api/v1/batch-check?lang=en", **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"]["code"] == code and body["error"]["status"] == status
    assert body["publication_version"] == 3


def chunked_json(megabytes):
    """Yield a JSON body of ``megabytes`` MB of values, chunk by chunk (never whole in memory)."""
    yield b'{"values": ['
    for _ in range(megabytes * 64):
        yield b'"ab",' * 3276
    yield b'"ab"]}'


@pytest.mark.parametrize(
    "language, message", [("en", "The request is too large."), ("zh", "请求内容过大。")]
)
def test_batch_body_without_length_is_cut_at_the_limit(client, portal, language, message):
    """A chunked body (no Content-Length) of 100 MB is refused once it passes 2 MB, not parsed as JSON."""
    body = StreamedBody(chunked_json(100))
    response = client.post(
        f"/api/v1/batch-check?lang={language}",
        data=b"",
        content_type="application/json",
        environ_overrides={
            "wsgi.input": io.BufferedReader(body), "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked",
        },
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == {"code": "payload_too_large", "message": message, "status": 413}
    assert body.sent < 4 * 1024 * 1024


@pytest.mark.parametrize(
    "language, message",
    [("en", 'Send a JSON object {"values": [...]}'), ("zh", "请发送 JSON 对象")],
)
def test_batch_body_nested_too_deep_is_a_clear_400(client, portal, language, message):
    response = client.post(f"/api/v1/batch-check?lang={language}", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(message)


def test_batch_check_takes_5000_values(client, portal):
    values = [uscc_of(1), "北京市贝塔基金会"] * 2500
    body = client.post("/api/v1/batch-check", json={"values": values}).get_json()
    assert body["count"] == 5000 and body["summary"] == {"published": 5000}


def test_batch_check_needs_no_csrf_token(app, portal):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/api/v1/batch-check", json={"values": [uscc_of(1)]})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


# -- search ----------------------------------------------------------------------------------------


def test_search(app, client, portal):
    catch_up_index(app)
    response, body = api(client, "/search", q="协会", lang="en")
    assert response.status_code == 200
    found = {hit["uscc"] for hit in body["results"]}
    assert found == {uscc_of(1), uscc_of(4)}
    assert body["total"] == 2 and body["index_current"] is True and body["index_version"] == 3
    facets = {facet["name"]: facet for facet in body["facets"]}
    assert {o["value"]: o["count"] for o in facets["grade"]["options"]} == {"A": 2}
    types = {o["value"]: o["label"] for o in facets["type"]["options"]}
    assert types == {"social_group": "Social group"}
    filtered = api(client, "/search", q="北京市", grade=["A", "B"], type="foundation")[1]
    assert [hit["uscc"] for hit in filtered["results"]] == [uscc_of(2)]
    assert filtered["filters"] == {"grade": ["A", "B"], "type": ["foundation"]}
    by_code = api(client, "/search", q=uscc_of(3))[1]
    assert by_code["results"][0]["uscc"] == uscc_of(3) and by_code["results"][0]["match"] == "uscc"
    assert api(client, "/search", q="")[1]["results"] == []
    for hidden in (6, 7, 8, 5):
        assert api(client, "/search", q=uscc_of(hidden))[1]["results"] == []


@pytest.mark.parametrize(
    "query, parameter",
    [
        ({"q": "x", "grade": "C"}, "grade"),
        ({"q": "x", "sort": "best"}, "sort"),
        ({"q": "x", "per_page": "101"}, "per_page"),
        ({"q": "x", "page": "0"}, "page"),
        ({"q": "x", "page": "100000"}, "page"),
    ],
)
def test_bad_searches_are_a_400(app, client, portal, query, parameter):
    catch_up_index(app)
    response, body = api(client, "/search", **query)
    assert response.status_code == 400
    assert body["error"]["parameter"] == parameter


def test_search_without_an_index_is_a_503(client, portal):
    response, body = api(client, "/search", q="协会")
    assert response.status_code == 503
    assert body["error"]["code"] == "search_unavailable" and response.headers["Retry-After"]


def test_search_never_shows_what_left_the_list_while_the_index_lags(app, client, scoring, portal, monkeypatch):
    catch_up_index(app)
    scoring.tick(days=1)
    scoring.score(uscc_of(1), "D", "40.00")
    sync_at(app, monkeypatch, NIGHTS[3])  # the index has not caught up
    body = api(client, "/search", q="协会")[1]
    assert body["index_current"] is False
    assert [hit["uscc"] for hit in body["results"]] == [uscc_of(4)]


# -- HTTP: caching, 304s, CORS ---------------------------------------------------------------------

GET_PATHS = [
    "",
    "/organisations",
    "/organisations?grade=A&limit=2",
    f"/organisations/{make_uscc(1)}",
    "/changes?since=2026-11-01",
    "/rules",
    "/statistics",
    "/openapi.json",
]


@pytest.mark.parametrize("path", GET_PATHS)
def test_etag_last_modified_and_304(client, portal, path):
    response = client.get(f"/api/v1{path}")
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert response.headers["Last-Modified"] == "Wed, 04 Nov 2026 18:30:00 GMT"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["X-Publication-Version"] == "3"
    assert response.headers["X-Data-As-Of"] == "2026-11-04T18:30:00Z"
    assert "Accept-Language" in response.vary
    again = client.get(f"/api/v1{path}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Access-Control-Allow-Origin"] == "*"
    since = client.get(f"/api/v1{path}", headers={"If-Modified-Since": "Wed, 04 Nov 2026 18:30:00 GMT"})
    assert since.status_code == 304
    older = client.get(f"/api/v1{path}", headers={"If-Modified-Since": "Wed, 04 Nov 2026 18:29:59 GMT"})
    assert older.status_code == 200
    # Another language is another representation.
    other = client.get(f"/api/v1{path}", headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_a_sync_changes_the_etag(app, client, scoring, portal, monkeypatch):
    first = client.get("/api/v1/organisations")
    scoring.tick(days=1)
    scoring.score(uscc_of(4), "B", "90.00")
    sync_at(app, monkeypatch, NIGHTS[3])
    second = client.get("/api/v1/organisations", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.get_json()["publication_version"] == 4
    assert second.headers["Last-Modified"] == "Thu, 05 Nov 2026 18:30:00 GMT"


def test_cors(client, portal):
    response = client.get("/api/v1/organisations", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "X-RateLimit-Remaining" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers
    preflight = client.options(
        "/api/v1/organisations",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    batch = client.options("/api/v1/batch-check", headers={"Access-Control-Request-Method": "POST"})
    assert "POST" in batch.headers["Access-Control-Allow-Methods"]
    # Pages outside the API are not opened to other origins.
    assert "Access-Control-Allow-Origin" not in client.get("/orgs").headers


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, status, code, english, chinese",
    [
        ("get", "/api/v1/nothing-here", 404, "not_found", "There is no such API endpoint", None),
        ("get", "/api/v1/organisations/x/y", 404, "not_found", "There is no such API endpoint", None),
        ("get", "/api/v2/organisations", 404, "not_found", "There is no such API endpoint", None),
        ("post", "/api/v1/organisations", 405, "method_not_allowed", "does not accept the POST method", None),
        ("delete", f"/api/v1/organisations/{make_uscc(1)}", 405, "method_not_allowed", "DELETE", None),
        ("get", "/api/v1/batch-check", 405, "method_not_allowed", "GET", None),
    ],
)
def test_http_errors_are_json(client, portal, method, path, status, code, english, chinese):
    response = getattr(client, method)(path, query_string={"lang": "en"})
    assert response.status_code == status and response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == {"code": code, "message": body["error"]["message"], "status": status}
    assert english in body["error"]["message"]
    assert body["publication_version"] == 3 and body["data_as_of"] == "2026-11-04T18:30:00Z"
    if status == 405:
        assert response.headers["Allow"]
    zh = getattr(client, method)(path, query_string={"lang": "zh"}).get_json()
    assert zh["error"]["code"] == code
    # Outside the API, errors stay HTML pages.
    assert client.get("/nothing-here").mimetype == "text/html"
    assert client.post("/api").mimetype == "text/html"


def test_unexpected_errors_are_a_json_500(app, client, portal, monkeypatch):
    from portal.api import service

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "rule_sets", broken)
    response, body = api(client, "/rules", lang="en")
    assert response.status_code == 500
    assert body["error"]["code"] == "internal_error" and "boom" not in response.get_data(as_text=True)
    assert "Something went wrong" in body["error"]["message"]


# -- rate limits -------------------------------------------------------------------------------------


@pytest.fixture
def limited_app(rate_limited_app):
    """The same databases, in an app with the API's rate limits on."""
    return rate_limited_app(API_RATE_LIMIT="3 per minute", API_BATCH_RATE_LIMIT="1 per minute")


def test_rate_limit_headers_and_429(limited_app, portal):
    client = limited_app.test_client()
    for remaining in (2, 1, 0):
        response = client.get("/api/v1/rules")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
        assert int(response.headers["X-RateLimit-Reset"]) > 0
    for language, words in (("en", "Too many requests"), ("zh", None)):
        response = client.get("/api/v1/organisations", query_string={"lang": language})
        assert response.status_code == 429 and response.mimetype == "application/json"
        body = response.get_json()
        assert body["error"]["code"] == "rate_limited" and body["error"]["status"] == 429
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        if words:
            assert words in body["error"]["message"]
    # Preflights do not count.
    assert client.options("/api/v1/rules").status_code == 200


def test_batch_has_its_own_stricter_limit(limited_app, portal):
    client = limited_app.test_client()
    assert client.post("/api/v1/batch-check", json={"values": []}).status_code == 200
    response = client.post("/api/v1/batch-check", json={"values": []})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"
    assert response.headers["X-RateLimit-Limit"] == "1"


# -- disclosure ------------------------------------------------------------------------------------


def test_nothing_unpublished_appears_after_syncs_across_the_boundary(app, client, scoring, portal, monkeypatch):
    """Organisations move both ways; no response shows one outside the list (but as a change line without a grade)."""
    scoring.tick(days=1)
    scoring.score(uscc_of(1), "C", "75.00")  # leaves
    scoring.score(uscc_of(6), "B", "85.00")  # enters
    scoring.update_organisation(uscc_of(4), registration_status="revoked")  # leaves
    sync_at(app, monkeypatch, NIGHTS[3], update_index=True)
    published = published_now(app)
    assert published == {uscc_of(2), uscc_of(3), uscc_of(6)}
    with app.app_context():
        hidden = {
            (row.uscc, row.name)
            for row in db.session.execute(select(Organisation.uscc, Organisation.name)).all()
            if row.uscc not in published
        }
    assert {uscc for uscc, _ in hidden} == {uscc_of(n) for n in (1, 4, 5, 7, 8)}

    def check(body, path, change_lines=False):
        if change_lines:
            for line in body["changes"]:
                if line["uscc"] not in published:
                    assert line["api_url"] is None and line["report_url"] is None
                    if line["change_type"] == "exit":
                        assert line["old_grade"] is None and line["new_grade"] is None
            body = {**body, "changes": []}
        text = json.dumps(body, ensure_ascii=False)
        for uscc, name in hidden:
            assert uscc not in text, (path, uscc)
            assert name not in text, (path, name)

    for language in ("zh", "en"):
        queries = [{}, {"grade": "A"}, {"grade": "B"}, {"sort": "score_asc"}, {"evaluation": "none"}, {"limit": 1}]
        for query in queries:
            rows, _ = walk(client, "/organisations", query.pop("limit", 100), lang=language, **query)
            check({"organisations": rows}, f"/organisations {query}")
            assert {row["uscc"] for row in rows} <= published
        assert {row["uscc"] for row in walk(client, "/organisations", 2)[0]} == published
        for path in ("", "/rules", "/statistics", "/openapi.json"):
            check(api(client, path, lang=language)[1], path)
        for q in ["协会", "北京市", "阿尔法", "测试", "alfa", uscc_of(1), uscc_of(4)[:8], "张测试"]:
            body = api(client, "/search", q=q, lang=language)[1]
            check({**body, "query": ""}, f"/search {q}")
        for query in [{}, {"type": "exit"}, {"type": "entry"}, {"type": "grade_change"}]:
            body = api(client, "/changes", since="2026-01-01", lang=language, **query)[1]
            check(body, f"/changes {query}", change_lines=True)
        results = client.post(
            f"/api/v1/batch-check?lang={language}", json={"values": [u for u, _ in hidden] + [n for _, n in hidden]}
        ).get_json()
        assert {r["result"] for r in results["results"]} == {"not_public", "unknown_name"}
        # Only the input comes back (normalised, for a code): nothing about the organisation.
        echoed = ("input", "uscc")
        check({**results, "results": [{k: v for k, v in r.items() if k not in echoed} for r in results["results"]]}, "batch")
        assert all(r["name"] is None and r["grade"] is None and r["score"] is None for r in results["results"])
        unknown = client.get(f"/api/v1/organisations/{UNKNOWN}?lang={language}").get_data(as_text=True)
        for uscc, _ in hidden:
            response = client.get(f"/api/v1/organisations/{uscc}?lang={language}")
            assert response.status_code == 404
            # The code asked for is echoed; otherwise the answer is the one for a code nobody has.
            assert response.get_data(as_text=True).replace(uscc, UNKNOWN) == unknown
    stats = api(client, "/statistics")[1]["statistics"]
    assert stats["total"] == 3


# -- the documentation page -----------------------------------------------------------------------


@pytest.mark.parametrize("language, title", [("zh", None), ("en", "Open data API")])
def test_api_page(client, portal, language, title):
    response = client.get("/api", query_string={"lang": language})
    assert response.status_code == 200 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "curl &#39;http://localhost/api/v1/organisations?grade=A" in body or "curl 'http://localhost/api/v1/organisations?grade=A" in body
    assert "http://localhost/api/v1/openapi.json" in body
    assert not has_inline_script(body) and " style=" not in body and "<style" not in body
    assert "<caption>" in body and 'scope="col"' in body
    if title:
        assert f"<h1>{title}</h1>" in body


# -- before the first sync ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/organisations", "/changes?since=2026-01-01", "/rules", "/statistics"])
def test_before_the_first_sync(client, path):
    response = client.get(f"/api/v1{path}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["data_as_of"] is None and body["publication_version"] == 0
    assert "Last-Modified" not in response.headers and response.headers["ETag"]
    assert client.get(f"/api/v1{path}", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    if path == "/organisations":
        assert body["organisations"] == [] and body["total"] == 0
    response = client.get(f"/api/v1/organisations/{UNKNOWN}")
    assert response.status_code == 404


def test_head_requests(client, portal):
    get = client.get("/api/v1/organisations")
    head = client.head("/api/v1/organisations")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
