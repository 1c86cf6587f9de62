"""The reconciliation service: manifest, queries, extension, preview, suggest; JSONP, CORS, limits, bad input, disclosure.

Requests are shaped as OpenRefine sends them: the manifest by GET (older
versions by JSONP, with ``callback``), batches of queries as JSON in the
form field ``queries`` (POST, form-encoded), the data extension as JSON in
``extend``. Organisations go in through the real sync, from the test builder.
"""

import html
import json
import re
from datetime import datetime

import pytest

from tests.conftest import has_inline_script
from tests.scoring_builder import make_uscc
from tests.synced_portal import ScoringOrganisation, sync_at

ORGS = [
    ScoringOrganisation(1, "北京市朝阳区青少年发展基金会", "foundation", "110105", "A", "96.50", 4),
    ScoringOrganisation(2, "北京市海淀区青少年发展基金会", "foundation", "110108", "B", "86.00", None),
    ScoringOrganisation(3, "北京市东城区书法艺术协会", "social_group", "110101", "B", "88.00", None),
    ScoringOrganisation(4, "北京市西城区阳光养老服务中心", "social_service", "110102", "A", "95.00", 3),
]
# Never public: rated C, and cancelled (rated A).
C_GRADE = ScoringOrganisation(6, "北京市丰台区丙级测试协会", "social_group", "110106", "C", "70.00", None)
CANCELLED = ScoringOrganisation(8, "北京市石景山区注销测试协会", "social_group", "110107", "A", "99.00", 5, "cancelled")
UNKNOWN = make_uscc(987654321)
NIGHT = datetime(2026, 11, 2, 18, 30)
SERVICE = "/api/reconcile"
#: The form OpenRefine posts (StandardReconConfig): a JSON object of queries in the field "queries".
FORM = "application/x-www-form-urlencoded; charset=UTF-8"


@pytest.fixture
def portal(app, scoring, monkeypatch):
    for organisation in [*ORGS, C_GRADE, CANCELLED]:
        organisation.write(scoring)
    sync_at(app, monkeypatch, NIGHT, update_index=True)
    return app


def reconcile(client, queries, **query_string):
    response = client.post(SERVICE, data={"queries": json.dumps(queries, ensure_ascii=False)}, content_type=FORM,
                           query_string=query_string)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def openrefine_query(text, **extra):
    return {"query": text, "type_strict": "should", **extra}


def test_the_manifest_describes_the_service(client, portal):
    response = client.get(SERVICE)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.get_json()
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == "http://localhost/org/"
    assert manifest["view"]["url"] == "http://localhost/org/{{id}}"
    assert manifest["preview"]["url"].startswith("http://localhost/api/reconcile/preview?id={{id}}")
    assert {entry["id"] for entry in manifest["defaultTypes"]} == {"social_group", "social_service", "foundation"}
    assert {entry["name"] for entry in manifest["defaultTypes"]} == {"社会团体", "社会服务机构", "基金会"}
    for kind in ("entity", "type", "property"):
        assert manifest["suggest"][kind] == {"service_url": "http://localhost/api/reconcile", "service_path": f"/suggest/{kind}"}
    assert manifest["extend"]["propose_properties"]["service_path"] == "/propose_properties"
    english = client.get(SERVICE, query_string={"lang": "en"}).get_json()
    assert {entry["name"] for entry in english["defaultTypes"]} == {
        "Social group", "Social service organisation", "Foundation"
    }
    assert client.get(SERVICE + "/").status_code == 200


def test_jsonp_wraps_the_manifest_for_a_safe_callback_only(client, portal):
    response = client.get(SERVICE, query_string={"callback": "jQuery3410_1733"})
    assert response.status_code == 200 and response.mimetype == "application/javascript"
    body = response.get_data(as_text=True)
    match = re.fullmatch(r"/\*\*/ jQuery3410_1733\((.*)\);", body, re.DOTALL)
    assert match and json.loads(match.group(1))["versions"] == ["0.2"]
    assert body.isascii()  # U+2028 and U+2029 cannot end a line of the script
    for callback in ("alert(1)//", "a b", "<script>", "1abc", "a.b.c.d.e.f", "x" * 300, ""):
        response = client.get(SERVICE, query_string={"callback": callback})
        assert response.status_code == 400 and response.mimetype == "application/json", callback
        assert response.get_json()["error"]["code"] == "invalid_callback"
        assert callback not in response.get_data(as_text=True) or callback in ("", "a b")


def test_a_batch_of_queries_as_openrefine_posts_it(client, portal):
    answers = reconcile(
        client,
        {
            "q0": openrefine_query("北京市朝阳区青少年发展基金会"),
            "q1": openrefine_query("朝阳区青少年发展基金会", type="foundation", limit=3),
            "q2": openrefine_query("北京 东城区 书法艺术协会"),
            "q3": openrefine_query("北京市西城区阳光养老服物中心"),
            "q4": openrefine_query(
                "青少年发展基金会", properties=[{"pid": "district", "v": "海淀区"}, {"pid": "org_type", "v": "基金会"}]
            ),
            "q5": openrefine_query(ORGS[2].uscc),
        },
    )
    assert set(answers) == {"q0", "q1", "q2", "q3", "q4", "q5"}
    best = {key: answer["result"][0] for key, answer in answers.items()}
    assert best["q0"] == {
        "id": ORGS[0].uscc, "name": ORGS[0].name, "type": [{"id": "foundation", "name": "基金会"}],
        "score": 100.0, "match": True,
    }
    assert best["q1"]["id"] == ORGS[0].uscc and best["q1"]["match"]
    assert best["q2"]["id"] == ORGS[2].uscc and best["q2"]["match"]
    # One character mistyped: the right one first, scored below 100, and not matched automatically.
    assert best["q3"]["id"] == ORGS[3].uscc and 85 <= best["q3"]["score"] < 100 and not best["q3"]["match"]
    assert best["q4"]["id"] == ORGS[1].uscc
    assert best["q5"]["id"] == ORGS[2].uscc and best["q5"]["score"] == 100.0
    for answer in answers.values():
        scores = [candidate["score"] for candidate in answer["result"]]
        assert scores == sorted(scores, reverse=True)


def test_a_type_restricts_and_a_contradicting_property_lowers(client, portal):
    answers = reconcile(
        client,
        {
            "q0": openrefine_query("北京市朝阳区青少年发展基金会", type="social_group"),
            "q1": openrefine_query("北京市朝阳区青少年发展基金会", properties=[{"pid": "district", "v": "110108"}]),
            "q2": openrefine_query("北京市朝阳区青少年发展基金会", properties=[{"pid": "district", "v": "Chaoyang"}]),
        },
    )
    assert answers["q0"]["result"] == []
    assert all(candidate["id"] != ORGS[0].uscc or not candidate["match"] for candidate in answers["q1"]["result"])
    assert answers["q2"]["result"][0]["id"] == ORGS[0].uscc and answers["q2"]["result"][0]["match"]


def test_queries_by_get_and_as_jsonp(client, portal):
    queries = json.dumps({"q0": {"query": "东城区书法艺术协会"}}, ensure_ascii=False)
    response = client.get(SERVICE, query_string={"queries": queries})
    assert response.status_code == 200
    assert response.get_json()["q0"]["result"][0]["id"] == ORGS[2].uscc
    response = client.get(SERVICE, query_string={"queries": queries, "callback": "cb"})
    assert response.mimetype == "application/javascript"
    assert json.loads(response.get_data(as_text=True)[len("/**/ cb(") : -2])["q0"]["result"][0]["id"] == ORGS[2].uscc


@pytest.mark.parametrize("hidden", [C_GRADE, CANCELLED], ids=["c_grade", "cancelled"])
def test_an_unpublished_organisation_is_answered_as_an_unknown_one(client, portal, hidden):
    unknown_name = "北京市从未登记过的测试协会"
    answers = reconcile(
        client,
        {
            "name": openrefine_query(hidden.name),
            "code": openrefine_query(hidden.uscc),
            "unknown_name": openrefine_query(unknown_name),
            "unknown_code": openrefine_query(UNKNOWN),
        },
    )
    assert answers == {key: {"result": []} for key in answers}
    extension = client.post(
        SERVICE, data={"extend": json.dumps({"ids": [hidden.uscc, UNKNOWN], "properties": [{"id": "grade"}]})},
        content_type=FORM,
    ).get_json()
    assert extension["rows"] == {hidden.uscc: {"grade": []}, UNKNOWN: {"grade": []}}
    previews = [client.get(SERVICE + "/preview", query_string={"id": code}) for code in (hidden.uscc, UNKNOWN)]
    assert [response.status_code for response in previews] == [404, 404]
    first, second = (response.get_data(as_text=True) for response in previews)
    assert first.replace(hidden.uscc, "CODE") == second.replace(UNKNOWN, "CODE")
    suggested = client.get(SERVICE + "/suggest/entity", query_string={"prefix": hidden.name[3:9]}).get_json()
    assert hidden.uscc not in json.dumps(suggested)


def test_the_data_extension_adds_grade_score_code_and_report(client, portal):
    proposed = client.get(SERVICE + "/propose_properties", query_string={"type": "foundation"}).get_json()
    assert proposed["type"] == "foundation"
    assert [item["id"] for item in proposed["properties"]] == ["grade", "score", "uscc", "report_url"]
    assert proposed["properties"][0]["name"] == "信用等级"
    limited = client.get(SERVICE + "/propose_properties", query_string={"type": "foundation", "limit": "2"}).get_json()
    assert len(limited["properties"]) == 2
    extend = {"ids": [ORGS[0].uscc, ORGS[3].uscc], "properties": [{"id": "grade"}, {"id": "score"}, {"id": "uscc"},
                                                                   {"id": "report_url"}]}
    response = client.post(SERVICE, data={"extend": json.dumps(extend)}, content_type=FORM, query_string={"lang": "en"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"][0] == {"id": "grade", "name": "Credit grade"}
    assert body["rows"][ORGS[0].uscc] == {
        "grade": [{"str": "A"}], "score": [{"float": 96.5}], "uscc": [{"str": ORGS[0].uscc}],
        "report_url": [{"str": f"http://localhost/org/{ORGS[0].uscc}"}],
    }
    assert body["rows"][ORGS[3].uscc]["score"] == [{"float": 95.0}]


def test_the_preview_is_a_small_card_any_page_may_frame(client, portal):
    response = client.get(SERVICE + "/preview", query_string={"id": ORGS[0].uscc})
    assert response.status_code == 200 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert ORGS[0].name in body and ORGS[0].uscc in body and "96.50" in body and "朝阳区" in body
    assert f'href="http://localhost/org/{ORGS[0].uscc}"' in body
    assert "<script" not in body and " style=" not in body and "<style" not in body
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert "X-Frame-Options" not in response.headers
    english = client.get(SERVICE + "/preview", query_string={"id": ORGS[0].uscc.lower(), "lang": "en"})
    assert english.status_code == 200 and "Chaoyang" in english.get_data(as_text=True)
    assert 'lang="en"' in english.get_data(as_text=True)
    # Every other page still refuses to be framed.
    assert client.get("/").headers["X-Frame-Options"] == "DENY"


def test_suggest_entity_type_and_property(client, portal):
    entities = client.get(SERVICE + "/suggest/entity", query_string={"prefix": "青少年发展"}).get_json()["result"]
    assert {entity["id"] for entity in entities} == {ORGS[0].uscc, ORGS[1].uscc}
    assert all(entity["notable"] == [{"id": "foundation", "name": "基金会"}] for entity in entities)
    assert client.get(SERVICE + "/suggest/entity", query_string={"prefix": "青少年发展", "cursor": "1"}).get_json()[
        "result"
    ] == entities[1:]
    types = client.get(SERVICE + "/suggest/type", query_string={"prefix": "基金"}).get_json()["result"]
    assert types == [{"id": "foundation", "name": "基金会"}]
    found = client.get(SERVICE + "/suggest/property", query_string={"prefix": "dis", "lang": "en"}).get_json()["result"]
    assert found == [{"id": "district", "name": "District"}]
    everything = client.get(SERVICE + "/suggest/property").get_json()["result"]
    assert [item["id"] for item in everything] == ["district", "org_type"]


BAD_INPUT = [
    ({"queries": "not json"}, "invalid_json"),
    ({"queries": "[1, 2]"}, "invalid_queries"),
    ({"queries": "{}"}, "invalid_queries"),
    ({"queries": json.dumps({f"q{i}": {"query": "x"} for i in range(101)})}, "too_many_queries"),
    ({"queries": '{"q0": 5}'}, "invalid_query"),
    ({"queries": '{"q0": {"query": ""}}'}, "invalid_query"),
    ({"queries": '{"q0": {"query": "' + "名" * 501 + '"}}'}, "invalid_query"),
    ({"queries": '{"q0": {"query": "x", "type": "company"}}'}, "invalid_type"),
    ({"queries": '{"q0": {"query": "x", "limit": 0}}'}, "invalid_limit"),
    ({"queries": '{"q0": {"query": "x", "limit": "many"}}'}, "invalid_limit"),
    ({"queries": '{"q0": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}'}, "unknown_property"),
    ({"queries": '{"q0": {"query": "x", "properties": [{"v": "110105"}]}}'}, "invalid_properties"),
    ({"queries": '{"q0": {"query": "x", "properties": [{"pid": "district", "v": [[1]]}]}}'}, "invalid_properties"),
    ({"queries": "[" * 5000 + "]" * 5000}, "invalid_json"),
    ({"extend": '{"ids": "x", "properties": []}'}, "invalid_extend"),
    ({"extend": '{"ids": [], "properties": [{"id": "address"}]}'}, "unknown_property"),
    ({"extend": "{"}, "invalid_json"),
    # A lone surrogate (valid as a JSON escape) cannot be sent back as a key or an id (it was a 500; the fuzz test found it).
    ({"queries": '{"q\\ud800": {"query": "x"}}'}, "invalid_queries"),
    ({"extend": '{"ids": ["\\ud800"], "properties": [{"id": "grade"}]}'}, "invalid_extend"),
    ({"queries": '{"q0": {"query": "x"}}', "extend": '{"ids": [], "properties": []}'}, "invalid_parameter"),
    ({}, "missing_parameter"),
]


@pytest.mark.parametrize(("form", "code"), BAD_INPUT, ids=[code for _, code in BAD_INPUT])
def test_bad_input_is_a_clear_400_in_both_languages(client, portal, form, code):
    messages = {}
    for language in ("zh", "en"):
        response = client.post(SERVICE, data=form, content_type=FORM, query_string={"lang": language})
        assert response.status_code == 400 and response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert error["code"] == code and error["status"] == 400
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        messages[language] = error["message"]
    # Chinese by default, English on request (an example in a message may be Chinese in both).
    assert re.match(r"^[“\u4e00-\u9fff]", messages["zh"]) and re.search(r"[\u4e00-\u9fff]{2}", messages["zh"].split("{")[0])
    assert re.search(r"\b(is|are|must|Send|Choose|has)\b", messages["en"]), messages["en"]


@pytest.mark.parametrize(
    ("path", "query", "code"),
    [
        ("/suggest/entity", {"cursor": "-1"}, "invalid_parameter"),
        ("/suggest/type", {"prefix": "x" * 501}, "invalid_parameter"),
        ("/propose_properties", {"type": "company"}, "invalid_type"),
        ("/propose_properties", {"limit": "99"}, "invalid_limit"),
        ("/preview", {"id": "x" * 200}, "invalid_parameter"),
        ("", {"queries": ["{}", "{}"]}, "invalid_parameter"),
    ],
)
def test_bad_arguments_of_the_other_endpoints(client, portal, path, query, code):
    response = client.get(SERVICE + path, query_string=query)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_unknown_paths_and_methods_are_api_errors(client, portal):
    response = client.get(SERVICE + "/nothing")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.delete(SERVICE)
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_a_request_body_over_the_limit_is_refused(client, portal):
    response = client.post(SERVICE, data={"queries": "x" * (300 * 1024)}, content_type=FORM)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"


def test_without_an_index_the_service_says_so(app, client, scoring, monkeypatch):
    ORGS[0].write(scoring)
    sync_at(app, monkeypatch, NIGHT, update_index=False)
    response = client.post(SERVICE, data={"queries": '{"q0": {"query": "基金会"}}'}, content_type=FORM)
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "search_unavailable"
    assert response.headers["Retry-After"]


@pytest.fixture
def limited_app(rate_limited_app):
    return rate_limited_app(API_RATE_LIMIT="2 per minute")


def test_the_service_shares_the_api_rate_limit(limited_app, portal):
    client = limited_app.test_client()
    assert client.get(SERVICE).status_code == 200
    assert client.get("/api/v1/rules").status_code == 200
    response = client.post(SERVICE, data={"queries": '{"q0": {"query": "基金会"}}'}, content_type=FORM)
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(("language", "heading"), [("zh", "名称匹配服务（OpenRefine）"), ("en", "Reconciliation (OpenRefine)")])
def test_the_api_page_has_a_worked_example_that_works(client, portal, language, heading):
    body = client.get("/api", query_string={"lang": language}).get_data(as_text=True)
    assert heading in body and "<code>http://localhost/api/reconcile</code>" in body
    assert not has_inline_script(body) and " style=" not in body
    example = html.unescape(body)
    queries = re.search(r"--data-urlencode 'queries=([^']*)'", example, re.DOTALL).group(1)
    answer = reconcile(client, json.loads(queries))["q0"]["result"][0]
    assert answer["name"] == "北京市朝阳区青少年发展基金会" and answer["score"] == 100.0 and answer["match"]
    extend = json.loads(re.search(r"--data-urlencode 'extend=([^']*)'", example, re.DOTALL).group(1))
    assert {item["id"] for item in extend["properties"]} == {"grade", "score"}
    shown = re.search(r'\{"meta": .*?\}\}\}', example, re.DOTALL).group(0)
    assert set(json.loads(shown)) == {"meta", "rows"}
