"""Bad input to the JSON API: a 4xx in the one error shape, its message in the language asked, never a 500.

Parameters of every kind (numbers, cursors, sorts, filters, dates, codes,
unknown and repeated ones, NUL and invalid UTF-8 percent-encoding) and the
bodies of POST /api/v1/batch-check (wrong types, malformed and invalid UTF-8
JSON, nested thousands deep, too many or too long values, too large, not
JSON). Asked without a language (Chinese) and with ?lang=en. The fuzz tests
(tests/api/test_fuzz.py) and schemathesis (tests/api/test_schemathesis.py)
draw far more; this table pins each answer.
"""

import json
from dataclasses import dataclass

import pytest

from tests.api.test_fuzz import CJK


@dataclass
class Case:
    id: str
    path: str
    status: int
    code: str
    en: str
    zh: str
    body: object = None
    content_type: str = "application/json"
    method: str = None


def limit_case(case_id, value):
    return Case(case_id, f"/organisations?limit={value}", 400, "invalid_parameter",
                "“limit” must be a whole number from 1 to 1000.", "“limit”必须是 1 到 1000 之间的整数。")


def grade_case(case_id, path, value):
    return Case(case_id, path, 400, "invalid_parameter", f"so the grade can only be A or B (not “{value}”).",
                f"因此信用等级只能选择A或B（不能是“{value}”）。")


def batch_case(case_id, body, status=400, code="invalid_body",
               en='Send a JSON object {"values": [...]} whose values are codes or names, as strings.',
               zh='请发送 JSON 对象 {"values": [...]}，其中每个值为字符串形式的统一社会信用代码或组织名称。',
               content_type="application/json"):
    return Case(case_id, "/batch-check", status, code, en, zh, body=body, content_type=content_type)


CASES = [
    limit_case("limit-text", "abc"),
    limit_case("limit-zero", "0"),
    limit_case("limit-too-large", "1001"),
    limit_case("limit-nul", "%00"),
    limit_case("limit-invalid-utf8", "%FF"),
    limit_case("limit-huge", "9" * 400),
    Case("cursor", "/organisations?cursor=garbage", 400, "invalid_cursor",
         "This cursor is not valid. Use the “next” link of a previous page, unchanged.",
         "此游标无效。请原样使用上一页返回的“next”链接。"),
    Case("sort", "/organisations?sort=bogus", 400, "invalid_parameter",
         "“bogus” is not a way to sort the list. Choose one from the list.", "“bogus”不是有效的排序方式，请从列表中选择。"),
    grade_case("grade", "/organisations?grade=C", "C"),
    Case("array-syntax", "/organisations?grade[]=A", 400, "unknown_parameter",
         "“grade[]” is not a parameter of this endpoint. See /api/v1/openapi.json.",
         "“grade[]”不是此接口的参数，请参阅 /api/v1/openapi.json。"),
    Case("unknown-parameter", "/search?facets=all", 400, "unknown_parameter",
         "“facets” is not a parameter of this endpoint.", "“facets”不是此接口的参数"),
    Case("date", "/changes?since=2026-02-30", 400, "invalid_date", "“2026-02-30” is not a valid date for “since”.",
         "“2026-02-30”不是有效的“since”日期。"),
    Case("dates-reversed", "/changes?since=2026-11-30&until=2026-11-01", 400, "invalid_date_range",
         "The start date (“since”) must not be later than the end date (“until”).",
         "开始日期（“since”）不能晚于结束日期（“until”）。"),
    Case("code", "/organisations/abc", 400, "invalid_uscc",
         "“ABC” has 3 characters, but a unified social credit code has 18.", "“ABC”有 3 个字符，而统一社会信用代码应为 18 位。"),
    Case("code-nul", "/organisations/%00", 400, "invalid_uscc", "a unified social credit code has 18.",
         "而统一社会信用代码应为 18 位。"),
    Case("search-per-page", "/search?per_page=1000", 400, "invalid_parameter",
         "“per_page” must be a whole number from 1 to 100.", "“per_page”必须是 1 到 100 之间的整数。"),
    Case("search-page", "/search?page=0", 400, "invalid_parameter", "“page” must be a whole number from 1 to",
         "“page”必须是 1 到"),
    grade_case("search-grades-repeated", "/search?grade=A&grade=Z", "Z"),
    Case("unknown-endpoint", "/nope", 404, "not_found",
         "There is no such API endpoint. See /api/v1/openapi.json for the endpoints.",
         "没有这个 API 接口。可用的接口见 /api/v1/openapi.json。"),
    Case("wrong-method", "/organisations", 405, "method_not_allowed", "This endpoint does not accept the DELETE method.",
         "此接口不支持 DELETE 方法。", method="DELETE"),
    batch_case("batch-number", '{"values": 5}'),
    batch_case("batch-numbers", '{"values": [1, 2]}'),
    batch_case("batch-object", '{"values": {"a": 1}}'),
    batch_case("batch-string", '"北京"'),
    batch_case("batch-null", "null"),
    batch_case("batch-no-values", '{"x": 1}'),
    batch_case("batch-values-given-twice", '{"values": ["a"], "values": 3}'),
    batch_case("batch-malformed", "{"),
    batch_case("batch-empty-body", ""),
    batch_case("batch-invalid-utf8", b'{"values": ["\xff\xfe"]}'),
    batch_case("batch-nested-deep", "[" * 100_000 + "]" * 100_000),
    batch_case("batch-value-too-long", json.dumps({"values": ["x" * 501]}),
               en="A value is longer than 500 characters: no code or name is this long.",
               zh="有一个值超过 500 个字符：没有这么长的代码或名称。"),
    batch_case("batch-too-many-values", json.dumps({"values": ["a"] * 5001}), code="too_many_values",
               en="Send at most 5,000 values at a time (this request has 5,001).",
               zh="每次最多发送 5,000 个值（本次请求有 5,001 个）。"),
    batch_case("batch-too-large", "x" * (3 * 1024 * 1024), status=413, code="payload_too_large",
               en="The request is too large.", zh="请求内容过大。"),
    batch_case("batch-form", "values=a", status=415, code="unsupported_media_type",
               en="Send the request body as JSON (Content-Type: application/json).",
               zh="请以 JSON 格式发送请求内容（Content-Type: application/json）。",
               content_type="application/x-www-form-urlencoded"),
]

#: Odd but harmless: answered (200), the oddity cleaned or ignored.
ACCEPTED = {
    "search-nul": ("/search?q=%00", None),
    "search-invalid-utf8": ("/search?q=%FF%FE", None),
    "search-very-long": ("/search?q=" + "北" * 5000, None),
    "batch-nul-in-a-value": ("/batch-check", json.dumps({"values": ["北京市测试协会\x00"]})),
    "batch-lone-surrogate": ("/batch-check", '{"values": ["\\ud800"]}'),
    "batch-empty-list": ("/batch-check", '{"values": []}'),
    "batch-bare-list": ("/batch-check", '["北京"]'),
}


def request(app, case_path, language, method="GET", body=None, content_type="application/json"):
    query = "lang=en" if language == "en" else ""
    separator = "&" if "?" in case_path else "?"
    path = f"/api/v1{case_path}{separator + query if query else ''}"
    data = body.encode("utf-8") if isinstance(body, str) else body
    return app.test_client().open(path, method=method, data=data,
                                  content_type=content_type if body is not None else None)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_a_clear_error(shared_demo_portal, case, language):
    method = case.method or ("POST" if case.body is not None else "GET")
    response = request(shared_demo_portal, case.path, language, method, case.body, case.content_type)
    assert response.status_code == case.status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "data_as_of", "publication_version"}
    error = body["error"]
    assert error["status"] == case.status and error["code"] == case.code
    assert getattr(case, language) in error["message"]
    if language == "en":
        assert not CJK.search(error["message"]), error
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path, body", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_odd_but_harmless_input_is_answered(shared_demo_portal, path, body, language):
    response = request(shared_demo_portal, path, language, "POST" if body is not None else "GET", body)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/json" and "error" not in response.get_json()
