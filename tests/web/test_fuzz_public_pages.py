"""Property-based tests: whatever a visitor puts in the URL of a public page, never a 5xx.

Hypothesis draws search text (any Unicode, control characters, Whoosh syntax,
very long input), filter and sort values, page numbers and USCCs; the report
check's number and hash, the names of statistics tables and sitemaps, the
language switch's code and return address, and raw query strings (repeated
parameters, invalid UTF-8 percent-encoding, NUL). The answer is a page or a
4xx whose message is in the language asked for.
"""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.demo.generator import generate_scoring_db
from portal.sync import service as sync_service

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
HTML_LANG = {"zh": 'lang="zh-CN"', "en": 'lang="en"'}
USCC_ALPHABET = string.digits + "ABCDEFGHJKLMNPQRTUWXY" + "abcxyzIOSVZ-_ %/.\u3000\uff21"

languages = st.sampled_from(["zh", "en"])
wild_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3000), max_size=600),
    st.sampled_from(
        [
            "",
            " ",
            "北",
            "蓝天",
            'name:"北京" OR uscc:5*',
            "*",
            "?",
            "北京 AND NOT 协会",
            "(((",
            "\x00\x01\x1f",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%00",
            "beijing qingshaonian",
            "bjqsn",
            "5311",
            "a" * 501,
        ]
    ),
)
choice_value = st.one_of(
    st.none(),
    st.sampled_from(["A", "B", "C", "a", "", "social_group", "110105", "5", "none", "score", "name", "relevance"]),
    st.text(max_size=20),
)
page_value = st.one_of(
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["", "1.5", "0x10", "１", "1e3", "NaN", "2" * 400]),
    st.text(max_size=8),
)


@pytest.fixture
def demo_portal(app):
    """A small demo portal, synced and indexed."""
    generate_scoring_db(app.config["SCORING_DATABASE_URL"], orgs=80, seed=5)
    with app.app_context():
        result = sync_service.run_sync(trigger="test")
    assert result.status == "succeeded", result.error
    return app


def query(**params):
    return {name: value for name, value in params.items() if value is not None}


def assert_answered_well(response, language):
    assert response.status_code < 500, response.status_code
    if response.status_code >= 400 and response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        assert HTML_LANG[language] in body
        assert "Traceback" not in body


@FUZZ
@given(text=wild_text, grade=choice_value, org_type=choice_value, district=choice_value,
       evaluation=choice_value, sort=choice_value, page=page_value, language=languages)
def test_search_never_fails(demo_portal, text, grade, org_type, district, evaluation, sort, page, language):
    client = demo_portal.test_client()
    params = query(q=text, grade=grade, type=org_type, district=district, evaluation=evaluation,
                   sort=sort, page=page, lang=language)
    assert_answered_well(client.get("/search", query_string=params), language)
    suggest = client.get("/search/suggest", query_string=query(q=text, lang=language))
    assert suggest.status_code < 500
    if suggest.status_code == 200:
        assert suggest.is_json


@FUZZ
@given(grade=choice_value, org_type=choice_value, district=choice_value, evaluation=choice_value,
       sort=choice_value, page=page_value, language=languages)
def test_list_never_fails(demo_portal, grade, org_type, district, evaluation, sort, page, language):
    params = query(grade=grade, type=org_type, district=district, evaluation=evaluation, sort=sort,
                   page=page, lang=language)
    assert_answered_well(demo_portal.test_client().get("/orgs", query_string=params), language)


@FUZZ
@given(since=st.one_of(st.none(), st.text(max_size=12), st.dates().map(str)),
       change_type=choice_value, page=page_value, language=languages)
def test_changes_never_fail(demo_portal, since, change_type, page, language):
    params = query(since=since, type=change_type, page=page, lang=language)
    assert_answered_well(demo_portal.test_client().get("/changes", query_string=params), language)


@FUZZ
@given(uscc=st.one_of(st.text(alphabet=USCC_ALPHABET, min_size=0, max_size=24), st.text(max_size=30)),
       language=languages)
def test_report_route_never_fails(demo_portal, uscc, language):
    client = demo_portal.test_client()
    response = client.get("/org/" + uscc.replace("/", "%2F").replace("?", "%3F").replace("#", "%23"),
                          query_string={"lang": language})
    assert_answered_well(response, language)


#: Bytes of a query or path, percent-encoded as a client may send them: invalid UTF-8, NUL and controls included.
raw_bytes = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\r\n", "北京".encode("gbk"), b"%", b"a" * 3000]),
)


def percent_encoded(data):
    return "".join(f"%{byte:02X}" for byte in data)


def text_or_bytes(text, data):
    """The URL form of a drawn value: text quoted as a browser would, or raw bytes percent-encoded."""
    from urllib.parse import quote

    return quote(text, safe="") if data is None else percent_encoded(data)


wild_value = st.one_of(
    st.tuples(wild_text, st.none()),
    st.tuples(st.just(""), raw_bytes),
)


@FUZZ
@given(number=wild_value, sha256=st.one_of(st.none(), wild_value), in_path=st.booleans(), language=languages)
def test_verify_never_fails(demo_portal, number, sha256, in_path, language):
    """The report check: a number and a hash in the query or the path, anything a visitor types or pastes."""
    number_text = text_or_bytes(*number)
    query = f"lang={language}" + (f"&sha256={text_or_bytes(*sha256)}" if sha256 else "")
    path = f"/verify/{number_text}?{query}" if in_path and number_text else f"/verify?number={number_text}&{query}"
    response = demo_portal.test_client().get(path)
    assert_answered_well(response, language)
    if response.status_code == 400:
        assert response.mimetype == "text/html"


@FUZZ
@given(name=st.one_of(st.sampled_from(["grades", "scores", "changes-by-month", "GRADES", "grades.csv", "", "..",
                                        "orgs-1", "pages", "orgs-0", "orgs-999999", "orgs-01"]), wild_value),
       language=languages)
def test_named_files_never_fail(demo_portal, name, language):
    """/stats/<name>.csv and /sitemaps/<name>.xml with any name: the file, or a 4xx in the visitor's language."""
    client = demo_portal.test_client()
    text = name if isinstance(name, str) else text_or_bytes(*name)
    for path in (f"/stats/{text}.csv", f"/sitemaps/{text}.xml"):
        response = client.get(f"{path}?lang={language}")
        assert_answered_well(response, language)
        assert response.status_code in (200, 404), (path, response.status_code)


@FUZZ
@given(code=st.one_of(st.sampled_from(["zh", "en", "EN", "zh-CN", "fr", "", "en?", "zh%00"]), wild_value),
       next_url=st.one_of(st.none(), wild_value, st.sampled_from(["/orgs?lang=en", "//evil.example", "/\\evil",
                                                                 "https://evil.example/", "/search?q=北京"])),
       language=languages)
def test_language_switch_never_fails(demo_portal, code, next_url, language):
    """/lang/<code>?next=: a switch back to a page of this site, or a 404 in the visitor's language."""
    from urllib.parse import quote

    code_text = code if isinstance(code, str) else text_or_bytes(*code)
    if next_url is None:
        query = ""
    elif isinstance(next_url, str):
        query = "?next=" + quote(next_url, safe="")
    else:
        query = "?next=" + text_or_bytes(*next_url)
    client = demo_portal.test_client()
    client.set_cookie("lang", language)
    response = client.get(f"/lang/{code_text}{query}")
    assert_answered_well(response, language)
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location


@FUZZ
@given(pairs=st.lists(st.tuples(st.sampled_from(["q", "grade", "type", "district", "evaluation", "sort", "page",
                                                 "per_page", "grade[]", "q[]", "facet", "lang"]),
                                wild_value), max_size=8),
       path=st.sampled_from(["/search", "/search.csv", "/orgs", "/changes", "/search/suggest"]),
       language=languages)
def test_raw_query_strings_never_fail(demo_portal, path, pairs, language):
    """Any query string: repeated parameters (arrays), invalid UTF-8, NUL, very long values."""
    query = "&".join(f"{name}={text_or_bytes(*value)}" for name, value in pairs if name != "lang")
    client = demo_portal.test_client()
    client.set_cookie("lang", language)
    response = client.get(f"{path}?{query}")
    assert_answered_well(response, language)
