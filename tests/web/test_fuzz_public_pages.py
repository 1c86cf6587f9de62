"""Property-based tests: whatever a visitor puts in the URL of a public page, never a 5xx.

Hypothesis draws search text (any Unicode, control characters, Whoosh syntax,
very long input), filter and sort values, page numbers and USCCs. The answer
is a page or a 4xx whose message is in the language asked for.
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
