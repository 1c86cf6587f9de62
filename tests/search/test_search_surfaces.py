"""Search: what visitors type, relevance, filters and counts, sorts, pages, highlighting, safety, disclosure.

Organisations go in through the real sync (scoring database -> portal DB ->
index catch-up). The relevance table runs on one index built per module
(SQLite): relevance is a property of the index, not of the database. The
page tests run on SQLite and PostgreSQL, as every test with ``app`` does.
"""

import csv
import io
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from portal.scoring import dispose_engines
from portal.scoring.schema import scoring_metadata
from portal.search import index as search_index
from portal.search import service
from portal.search.query import QUERY_MAXIMUM_LENGTH, clean_query, pinyin_splits, plan_query
from portal.sync import service as sync_service
from tests.scoring_builder import ScoringBuilder, make_uscc

#: Production serves these pages from the page cache: every test runs with it off and on.
pytestmark = pytest.mark.cached_and_uncached

TYPE_PREFIX = {"social_group": "51", "social_service": "52", "foundation": "53"}

# number: (name, type, district, grade, score, evaluation level, registered on, legal representative, former names, business scope)
ORGS = {
    1: ("北京市青少年发展基金会", "foundation", "110000", "A", "97.50", 5, date(1995, 3, 1), "李青山", ["北京青少年基金会"], "资助青少年科技教育项目。"),
    2: ("北京市朝阳区蓝天养老服务中心", "social_service", "110105", "B", "88.00", None, date(2012, 5, 1), "王小明", [], "为老年人提供日间照料、助餐和康复服务。"),
    3: ("北京市海淀区蓝天助残协会", "social_group", "110108", "A", "96.00", 3, date(2008, 9, 9), "赵一鸣", [], "组织志愿者开展助残活动，与北京市西城区围棋协会合办比赛。"),
    4: ("北京市东城区养老助残促进会", "social_group", "110101", "B", "85.00", 4, date(2016, 1, 15), "孙测试", [], "推动养老和助残事业发展。"),
    5: ("蓝天公益基金会", "foundation", "110000", "A", "99.00", None, date(2019, 7, 1), "周测试", [], "开展环境保护公益项目。"),
    6: ("北京市西城区围棋协会", "social_group", "110102", "B", "82.00", None, date(2020, 10, 10), "吴测试", [], "推广围棋运动，为社区老人提供养老服务志愿活动。"),
    7: ("北京市丰台区青少年足球俱乐部", "social_service", "110106", "A", "95.50", 2, date(2001, 6, 1), "郑测试", [], "开展青少年足球培训。"),
    8: ("北京市<i>安全</i>&测试协会", "social_group", "110000", "B", "81.00", None, date(2010, 1, 1), "钱测试", [], "<script>alert(1)</script>开展安全知识普及。"),
}
# Never public: graded C, and cancelled.
HIDDEN = {
    9: ("北京市朝阳区蓝天测试协会", "social_group", "110105", "C", "70.00", None, date(2011, 1, 1), "冯测试", [], "独门绝技表演。"),
    10: ("北京市蓝天注销协会", "social_group", "110000", "A", "99.00", None, date(2013, 1, 1), "陈测试", [], "测试。"),
}
PUBLISHED = set(ORGS)
#: Addresses other than the scoring builder's default (北京市东城区测试路1号).
ADDRESSES = {3: "北京市海淀区中关村大街27号", 5: "北京市海淀区万泉河路68号", 9: "北京市朝阳区秘密胡同9号"}


def uscc(number):
    row = {**ORGS, **HIDDEN}[number]
    return make_uscc(number, TYPE_PREFIX[row[1]], row[2])


NUMBER_OF = {}


def number_of(code):
    if not NUMBER_OF:
        NUMBER_OF.update({uscc(number): number for number in {**ORGS, **HIDDEN}})
    return NUMBER_OF[code]


def write_organisations(builder):
    builder.rule_set()
    for number, row in {**ORGS, **HIDDEN}.items():
        name, org_type, district, grade, score, level, registered, person, former, scope = row
        builder.organisation(
            number,
            name=name,
            grade=grade,
            score=score,
            status="cancelled" if number == 10 else "normal",
            uscc=uscc(number),
            org_type=org_type,
            district_code=district,
            evaluation_level=level,
            registered_on=registered,
            legal_representative=person,
            former_names=former,
            business_scope=scope,
            **({"address": ADDRESSES[number]} if number in ADDRESSES else {}),
        )


def run_sync(app):
    with app.app_context():
        result = sync_service.run_sync(trigger="test")
    assert result.status == "succeeded", result.error
    assert "error" not in (result.index or {}), result.index
    return result


@pytest.fixture(scope="session")
def jieba_cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("jieba"))


# -- one index for the relevance table ---------------------------------------------


@pytest.fixture(scope="module")
def indexed_app(tmp_path_factory, jieba_cache_dir):
    """An app whose index holds ORGS, synced once for the module (SQLite)."""
    folder = tmp_path_factory.mktemp("search")
    scoring_url = f"sqlite:///{folder / 'scoring.db'}"
    engine = sa.create_engine(scoring_url)
    scoring_metadata.create_all(engine)
    engine.dispose()
    builder = ScoringBuilder(scoring_url)
    write_organisations(builder)
    builder.dispose()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'portal.db'}",
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(folder / "index"),
            "JIEBA_CACHE_DIR": jieba_cache_dir,
            "SYNC_RETRIES": 1,
            "SYNC_RETRY_BACKOFF_SECONDS": 0,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    run_sync(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    dispose_engines()


def found(app, text, **kwargs):
    with app.test_request_context():
        return service.search(text, **kwargs)


def numbers(results):
    return [number_of(hit.uscc) for hit in results.hits]


@pytest.mark.parametrize(
    ("text", "first", "present"),
    [
        # Short Chinese words, anywhere in a name; the shortest name first.
        ("蓝天", 5, {2, 3, 5}),
        ("养老", None, {2, 4}),
        ("助残", None, {3, 4}),
        ("围棋", 6, {6}),
        ("青少年", None, {1, 7}),
        ("少年发", 1, {1}),  # across jieba's word boundaries
        # A whole name ranks that organisation first, also a former name.
        ("北京市朝阳区蓝天养老服务中心", 2, {2}),
        ("北京市青少年发展基金会", 1, {1}),
        ("北京青少年基金会", 1, {1}),
        ("朝阳 养老", 2, {2}),  # two terms
        # Unified social credit codes: exact (any case, spaces), and prefixes.
        (uscc(2), 2, {2}),
        (uscc(2).lower(), 2, {2}),
        (" ".join(uscc(2)[i : i + 4] for i in range(0, 18, 4)), 2, {2}),
        (uscc(2)[:8], 2, {2}),
        (uscc(1)[:4], None, {1, 5}),
        (uscc(1)[:17], 1, {1}),  # longer than the indexed prefixes
        # Pinyin: full, with or without spaces, and initials.
        ("qingshaonian fazhan", 1, {1}),
        ("qingshaonianfazhan", 1, {1}),
        ("beijing qingshaonian", 1, {1}),  # its former name, 北京青少年基金会
        ("lantian", None, {2, 3, 5}),
        ("LanTian", None, {2, 3, 5}),
        ("bjsqsn", 1, {1}),
        ("qsn", None, {1, 7}),
        # Homophone typos: the characters miss, their pinyin matches.
        ("北京市青绍年", 1, {1}),
        ("兰天", None, {2, 3, 5}),
        # People: the legal representative.
        ("王小明", 2, {2}),
        ("赵一鸣", 3, {3}),
        # Full-width input is the same as half-width.
        ("ｌａｎｔｉａｎ", None, {2, 3, 5}),
    ],
)
def test_relevance(indexed_app, text, first, present):
    results = found(indexed_app, text)
    got = numbers(results)
    assert present <= set(got), (text, got)
    assert not set(got) & set(HIDDEN), (text, got)
    if first is not None:
        assert got[0] == first, (text, got)


@pytest.mark.parametrize(
    ("text", "expected", "tier", "marked"),
    [
        # Words of a business scope, and of an address (a street, part of a street name).
        ("日间照料", [2], "business_scope", "<mark>日间照料</mark>"),
        ("照料 康复", [2], "business_scope", "<mark>康复</mark>"),  # two words, both in the same text
        ("万泉河路", [5], "address", "<mark>万泉河</mark>"),
        ("中关村大街", [3], "address", "<mark>中关村大街</mark>"),
        ("中关村", [3], "address", "<mark>中关村</mark>"),
    ],
)
def test_address_and_business_scope(indexed_app, text, expected, tier, marked):
    results = found(indexed_app, text)
    assert numbers(results) == expected
    hit = results.hits[0]
    assert (hit.match, hit.snippet_field) == (tier, tier)
    assert marked in str(hit.snippet_html)
    assert "<mark>" not in str(hit.name_html)


def test_names_rank_above_business_scopes_and_addresses(indexed_app):
    # 养老服务 is in the name of 2 and the business scope of 6.
    results = found(indexed_app, "养老服务")
    assert numbers(results) == [2, 6]
    assert [hit.match for hit in results.hits] == ["name_words", "business_scope"]
    # A whole name comes first, also when another organisation's scope mentions it.
    results = found(indexed_app, "北京市西城区围棋协会")
    assert numbers(results)[0] == 6 and results.hits[0].match == "exact"
    assert 3 in numbers(results) and results.hits[-1].match == "business_scope"
    # Filters and counts apply to what was found in the text too.
    results = found(indexed_app, "中关村", filters={"district": ["110108"]})
    assert numbers(results) == [3] and results.total == 1


def test_autocomplete_suggests_names_not_text_matches(indexed_app):
    with indexed_app.test_request_context():
        assert service.suggest("日间照料") == []
        assert [number_of(item.uscc) for item in service.suggest("养老服务")] == [2]


@pytest.mark.parametrize("text", ["蓝天测试", "注销", uscc(9), uscc(10), "北京市蓝天注销协会", "独门绝技", "秘密胡同"])
def test_unpublished_organisations_are_never_found(indexed_app, text):
    results = found(indexed_app, text)
    assert not set(numbers(results)) & set(HIDDEN)


def test_homophones_only_when_the_characters_miss(indexed_app):
    # 蓝天 is in names, so 兰天-like readings of other names must not be added.
    results = found(indexed_app, "蓝天")
    assert set(results.tiers) <= {"exact", "name_words", "name", "former_name", "person"}
    assert "homophone" in found(indexed_app, "兰天").tiers


def test_match_on_a_current_name_ranks_above_a_former_name(indexed_app):
    with indexed_app.test_request_context():
        results = service.search("beijing qingshaonian")
        assert results.hits[0].match == "former_pinyin"
        assert results.hits[0].snippet_field == "former_names"
        assert "<mark>北京青少年</mark>" in str(results.hits[0].snippet_html)


def test_filters_and_their_counts(indexed_app):
    results = found(indexed_app, "蓝天", filters={"grade": ["A"]})
    assert set(numbers(results)) == {3, 5}
    assert results.total == 2 and results.unfiltered_total == 3
    facets = {facet.name: {option.value: (option.count, option.selected) for option in facet.options} for facet in results.facets}
    # A facet's counts apply the other facets' filters, not its own.
    assert facets["grade"] == {"A": (2, True), "B": (1, False)}
    assert facets["type"] == {"social_group": (1, False), "foundation": (1, False)}
    assert facets["district"] == {"110000": (1, False), "110108": (1, False)}
    assert facets["evaluation"] == {"3A": (1, False), "none": (1, False)}

    both = found(indexed_app, "蓝天", filters={"grade": ["A"], "district": ["110000", "110105"]})
    assert numbers(both) == [5]
    districts = {option.value: option.count for option in both.facets[2].options}
    assert districts == {"110000": 1, "110105": 0, "110108": 1}  # chosen options stay listed
    assert found(indexed_app, "蓝天", filters={"evaluation": ["none"]}).total == 2


def test_facet_counts_add_up_to_the_total(indexed_app):
    results = found(indexed_app, "北京")
    for facet in results.facets:
        assert sum(option.count for option in facet.options) == results.total, facet.name


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Not 5 (蓝天公益基金会): 北京市 is in its address only, and the city
        # every address starts with is no search term of addresses.
        ("score_desc", [1, 3, 7, 2, 4, 6, 8]),
        ("score_asc", [8, 6, 4, 2, 7, 3, 1]),
        ("registered_desc", [6, 4, 2, 8, 3, 7, 1]),
        ("registered_asc", [1, 7, 3, 8, 2, 4, 6]),
    ],
)
def test_sorts(indexed_app, sort, expected):
    assert numbers(found(indexed_app, "北京市", sort=sort)) == expected


def test_sort_by_name_is_pinyin_order(indexed_app):
    from portal.chinese import name_sort_key

    results = found(indexed_app, "北京市", sort="name")
    names = [hit.name for hit in results.hits]
    assert names == sorted(names, key=name_sort_key)
    assert names[:2] == ["北京市朝阳区蓝天养老服务中心", "北京市东城区养老助残促进会"]  # bei jing shi chao < dong


def test_pages(indexed_app):
    everything = numbers(found(indexed_app, "北京市", per_page=100))
    pages = [found(indexed_app, "北京市", per_page=3, page=page) for page in (1, 2, 3)]
    assert [numbers(page) for page in pages] == [everything[0:3], everything[3:6], everything[6:9]]
    assert pages[0].pages == 3 and pages[0].total == len(everything)
    by_score = [numbers(found(indexed_app, "北京市", sort="score_desc", per_page=2, page=page)) for page in (1, 2, 3, 4)]
    assert sum(by_score, []) == [1, 3, 7, 2, 4, 6, 8]


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"filters": {"grade": ["C"]}}, "grade"),
        ({"filters": {"type": ["company"]}}, "type"),
        ({"filters": {"district": ["999999"]}}, "district"),
        ({"filters": {"evaluation": ["6A"]}}, "evaluation"),
        ({"filters": {"colour": ["red"]}}, "colour"),
        ({"sort": "random"}, "sort"),
        ({"page": 0}, "page"),
        ({"per_page": 1000}, "per_page"),
        ({"page": 100000}, "page"),
    ],
)
def test_invalid_parameters(indexed_app, arguments, parameter):
    with pytest.raises(service.InvalidSearch) as raised:
        found(indexed_app, "蓝天", **arguments)
    assert raised.value.parameter == parameter


def test_highlighting_escapes_everything_else(indexed_app):
    results = found(indexed_app, "安全")
    hit = next(hit for hit in results.hits if number_of(hit.uscc) == 8)
    assert str(hit.name_html) == "北京市&lt;i&gt;<mark>安全</mark>&lt;/i&gt;&amp;测试协会"
    snippet = str(hit.snippet_html)
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<mark>安全</mark>" in snippet


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("蓝天", "北京市朝阳区<mark>蓝天</mark>养老服务中心"),
        ("lantian", "北京市朝阳区<mark>蓝天</mark>养老服务中心"),
        ("兰天", "北京市朝阳区<mark>蓝天</mark>养老服务中心"),
        ("cyqlt", "北京市<mark>朝阳区蓝天</mark>养老服务中心"),
        ("朝阳 养老", "北京市<mark>朝阳</mark>区蓝天<mark>养老</mark>服务中心"),
    ],
)
def test_highlighted_names(indexed_app, text, marked):
    results = found(indexed_app, text)
    hit = next(hit for hit in results.hits if number_of(hit.uscc) == 2)
    assert str(hit.name_html) == marked


def test_code_prefix_is_highlighted(indexed_app):
    hit = found(indexed_app, uscc(2)[:8]).hits[0]
    assert str(hit.uscc_html) == f"<mark>{uscc(2)[:8]}</mark>{uscc(2)[8:]}"


@pytest.mark.parametrize(
    "text",
    ["a AND (b OR", "*", "name:x", "名称:*", '"蓝天', "蓝天 OR", "NOT", "()", "\\", "%", "_", "' OR 1=1 --", "x" * 500, "蓝" * 500],
)
def test_input_is_plain_text(indexed_app, text):
    results = found(indexed_app, text)
    assert results.query == clean_query(text)[0]
    assert len(results.query) <= QUERY_MAXIMUM_LENGTH
    assert not set(numbers(results)) & set(HIDDEN)


def test_input_is_cleaned():
    assert clean_query("  \x00蓝\u200b天\x1f\n养老\x7f ") == ("蓝 天 养老", False)
    assert clean_query("ＢＪＱＳＮ") == ("BJQSN", False)
    text, truncated = clean_query("蓝" * 500)
    assert truncated and len(text) == QUERY_MAXIMUM_LENGTH


@pytest.mark.parametrize("text", ["", "   ", "蓝", "a", "1", "。", "\x00"])
def test_too_little_to_search(indexed_app, text):
    results = found(indexed_app, text)
    assert results.hits == () and results.total == 0
    assert results.empty_query or results.too_short


def test_control_characters_are_spaces(indexed_app):
    assert 2 in numbers(found(indexed_app, "\x00蓝天\x1f"))


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("北京市朝阳区蓝天养老服务中心分部", "北京市朝阳区蓝天养老服务中心"),
        ("qingshaonain fazhan", "qingshaonian fazhan"),
        ("lantain", "lantian"),
        (uscc(2)[:14] + "XXXX", uscc(2)[:14]),
    ],
)
def test_did_you_mean(indexed_app, text, suggestion):
    results = found(indexed_app, text)
    # Nothing, or only part of the query, or only a respelling of it matched.
    assert results.total == 0 or results.partial or results.respelled
    assert results.suggestion == suggestion
    assert results.suggestion_total >= 1
    assert found(indexed_app, results.suggestion).total == results.suggestion_total


def test_no_suggestion_when_something_matches(indexed_app):
    assert found(indexed_app, "蓝天").suggestion is None


def test_suggest(indexed_app):
    with indexed_app.test_request_context():
        suggestions = service.suggest("蓝天")
        assert [number_of(item.uscc) for item in suggestions][0] == 5
        assert {number_of(item.uscc) for item in suggestions} == {2, 3, 5}
        assert len(service.suggest("北京")) <= service.SUGGESTIONS_MAXIMUM
        assert service.suggest("蓝") == [] and service.suggest("") == []


def test_pinyin_splits():
    assert pinyin_splits("xian") == (("xian",), ("xi", "an"))
    assert pinyin_splits("xi'an") == (("xi", "an"),)
    assert pinyin_splits("bjqsn") == ()
    assert pinyin_splits("beijingqingshaonian")[0] == ("bei", "jing", "qing", "shao", "nian")


def test_query_plan_never_reads_query_syntax():
    plan = plan_query("name:蓝天 AND (x OR")
    assert plan.bigrams and all(":" not in term and "(" not in term for term in plan.bigrams)


# -- the pages, on SQLite and PostgreSQL ------------------------------------------------


@pytest.fixture
def search_app(app, jieba_cache_dir):
    app.config["JIEBA_CACHE_DIR"] = jieba_cache_dir
    return app


@pytest.fixture
def scoring(scoring_url):
    builder = ScoringBuilder(scoring_url)
    write_organisations(builder)
    yield builder
    builder.dispose()


@pytest.fixture
def synced(search_app, scoring):
    run_sync(search_app)
    return search_app


def text_of(response):
    return response.get_data(as_text=True)


def test_results_page(synced):
    client = synced.test_client()
    response = client.get("/search", query_string={"q": "蓝天", "lang": "en"})
    body = text_of(response)
    assert response.status_code == 200
    assert "3 published organisations found for “蓝天”." in body
    assert f'href="/org/{uscc(5)}?lang=en"' in body
    assert "<mark>蓝天</mark>" in body
    assert 'class="grade grade--a"' in body
    assert "Social service organisation" in body and "Chaoyang" in body
    # Facet filters work without JavaScript: a GET form of checkboxes with counts.
    assert 'name="grade" value="A"' in body and "A (2)" in body and "B (1)" in body
    assert '<select id="search-sort" name="sort">' in body
    # Progressive enhancement: the script is the site's own file, the input is marked for it.
    assert '<script src="/static/js/autocomplete.js" defer></script>' in body
    assert 'data-autocomplete="/search/suggest?lang=en"' in body
    assert "<script>" not in body
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_results_page_filters_sort_and_pages(synced):
    synced.config["SEARCH_PAGE_SIZE"] = 2
    client = synced.test_client()
    response = client.get("/search?q=%E5%8C%97%E4%BA%AC%E5%B8%82&sort=score_desc&page=2&lang=en")
    body = text_of(response)
    assert response.status_code == 200
    assert "Results, page 2 of 4" in body
    positions = [body.index(uscc(number)) for number in (7, 2)]
    assert positions == sorted(positions) and uscc(1) not in body
    assert 'rel="next"' in body and 'rel="prev"' in body
    assert 'value="score_desc" selected' in body

    filtered = text_of(client.get("/search?q=%E8%93%9D%E5%A4%A9&grade=A&type=foundation&lang=en"))
    assert "1 published organisation found" in filtered
    assert 'value="A" checked' in filtered and 'value="foundation" checked' in filtered
    assert uscc(5) in filtered and uscc(3) not in filtered

    none = text_of(client.get("/search?q=%E8%93%9D%E5%A4%A9&grade=B&type=foundation&lang=en"))
    assert "No result matches the filters you chose." in none
    assert "Show the 3 results without filters" in none

    assert client.get("/search?q=%E8%93%9D%E5%A4%A9&page=9&lang=en").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("grade=C", "the grade can only be A or B (not “C”)"),
        ("type=company", "“company” is not an organisation type."),
        ("district=999999", "“999999” is not a district code of Beijing."),
        ("evaluation=6A", "“6A” is not an evaluation level."),
        ("sort=random", "“random” is not a way to sort search results."),
        ("page=0", "The page number must be a whole number from 1 upwards."),
        ("page=abc", "The page number must be a whole number from 1 upwards."),
        ("page=-1", "The page number must be a whole number from 1 upwards."),
        ("page=99999", "Only the first 10000 results can be shown."),
    ],
)
def test_bad_parameters_are_a_clear_400(synced, query, message):
    response = synced.test_client().get(f"/search?q=%E8%93%9D%E5%A4%A9&{query}&lang=en")
    assert response.status_code == 400
    assert message in text_of(response)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "What you can search for"),
        ("蓝", "Type at least two characters to search"),
        ("a AND (b OR", "No published organisation was found"),
        ("*", "Type at least two characters to search"),
        ("name:x", "No published organisation was found"),
        ("\x00\x01蓝天\x7f", "3 published organisations found"),
        ("蓝天" * 250, "Only the first 100 characters of what you typed were searched."),
    ],
)
def test_any_input_gives_a_helpful_page(synced, text, expected):
    response = synced.test_client().get("/search", query_string={"q": text, "lang": "en"})
    assert response.status_code == 200
    assert expected in text_of(response)


def test_did_you_mean_link(synced):
    body = text_of(synced.test_client().get("/search", query_string={"q": "lantain", "lang": "en"}))
    assert "Did you mean" in body
    assert '<a href="/search?q=lantian&amp;lang=en" rel="nofollow">lantian</a>' in body


def test_html_in_names_is_escaped_on_the_page(synced):
    body = text_of(synced.test_client().get("/search", query_string={"q": "安全", "lang": "en"}))
    assert "&lt;i&gt;<mark>安全</mark>&lt;/i&gt;&amp;测试协会" in body
    assert "<script>alert" not in body and "<i>" not in body


def test_suggest_endpoint(synced):
    client = synced.test_client()
    response = client.get("/search/suggest", query_string={"q": "蓝天"})
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]
    data = response.get_json()
    assert data["query"] == "蓝天"
    assert [item["uscc"] for item in data["results"]][0] == uscc(5)
    assert {item["uscc"] for item in data["results"]} == {uscc(2), uscc(3), uscc(5)}
    assert data["results"][0] == {"uscc": uscc(5), "name": "蓝天公益基金会", "grade": "A", "url": f"/org/{uscc(5)}"}
    assert len(client.get("/search/suggest?q=%E5%8C%97%E4%BA%AC").get_json()["results"]) <= 8
    for text in ("", "蓝", "*", "a AND (b OR"):
        response = client.get("/search/suggest", query_string={"q": text})
        assert response.status_code == 200 and response.get_json()["results"] == []
    english = client.get("/search/suggest", query_string={"q": "蓝天公益", "lang": "en"}).get_json()
    assert english["results"][0]["url"] == f"/org/{uscc(5)}?lang=en"


def test_without_an_index_search_is_unavailable(search_app):
    client = search_app.test_client()
    response = client.get("/search", query_string={"q": "蓝天", "lang": "en"})
    assert response.status_code == 503
    assert "Search is temporarily unavailable" in text_of(response)
    assert response.headers["Retry-After"]
    suggest = client.get("/search/suggest", query_string={"q": "蓝天"})
    assert suggest.status_code == 503
    assert suggest.get_json()["results"] == []


def test_disclosure_follows_the_sync(synced, scoring):
    """After a sync that moves an organisation from B to C and cancels another, neither is found anywhere."""
    client = synced.test_client()
    assert {uscc(2), uscc(3)} <= {item["uscc"] for item in client.get("/search/suggest?q=%E8%93%9D%E5%A4%A9").get_json()["results"]}

    scoring.tick(days=1)
    scoring.score(uscc(2), "C")
    scoring.update_organisation(uscc(3), registration_status="cancelled")
    result = run_sync(synced)
    assert result.index["action"] == "catch_up"

    with synced.test_request_context():
        results = service.search("蓝天")
        assert numbers(results) == [5]
        counts = {facet.name: {option.value: option.count for option in facet.options} for facet in results.facets}
        assert counts["grade"] == {"A": 1}
        assert counts["district"] == {"110000": 1}
        assert counts["type"] == {"foundation": 1}
        for text in (uscc(2), uscc(3), "王小明", "赵一鸣", "北京市朝阳区蓝天养老服务中心", "lantian", "兰天", uscc(2)[:8]):
            assert not {uscc(2), uscc(3)} & {hit.uscc for hit in service.search(text).hits}, text
            assert not {uscc(2), uscc(3)} & {item.uscc for item in service.suggest(text)}, text
    suggested = client.get("/search/suggest?q=%E8%93%9D%E5%A4%A9").get_json()["results"]
    assert [item["uscc"] for item in suggested] == [uscc(5)]
    body = text_of(client.get("/search?q=%E8%93%9D%E5%A4%A9&lang=en"))
    assert uscc(2) not in body and uscc(3) not in body and "B (" not in body


def test_search_json_is_plain_data(synced):
    """Suggestions carry codes and names only: no lazy strings, no markup."""
    data = synced.test_client().get("/search/suggest?q=%E5%AE%89%E5%85%A8").get_json()
    assert json.loads(json.dumps(data)) == data
    assert data["results"][0]["name"] == "北京市<i>安全</i>&测试协会"  # JSON, escaped by the page that shows it


# -- issue 16: the same answers everywhere, partial matches, no dead ends, CSV ----------------


@pytest.mark.parametrize("text", ["蓝天", "朝阳 养老", "lantian", "养老 助残", "蓝天 独门绝技", "5211", "协会"])
def test_the_api_and_the_page_give_the_same_results_in_the_same_order(synced, text):
    client = synced.test_client()
    page = text_of(client.get("/search", query_string={"q": text}))
    api = client.get("/api/v1/search", query_string={"q": text, "per_page": synced.config["SEARCH_PAGE_SIZE"]})
    data = api.get_json()
    on_page = re.findall(r'href="/org/([0-9A-Z]{18})"', page)
    assert [item["uscc"] for item in data["results"]] == list(dict.fromkeys(on_page))
    assert f"{data['total']}" in page or data["total"] == 0


def test_partial_matches_say_so(synced):
    client = synced.test_client()
    results = client.get("/api/v1/search", query_string={"q": "蓝天 独门绝技"}).get_json()
    assert results["partial"] is True and results["total"] >= 1
    body = text_of(client.get("/search", query_string={"q": "蓝天 独门绝技"}))
    assert "没有完全匹配的结果，以下为部分匹配" in body
    body = text_of(client.get("/search", query_string={"q": "蓝天 独门绝技", "lang": "en"}))
    assert "No organisation matches every word you typed" in body
    # Every word matched: no such note.
    assert "以下为部分匹配" not in text_of(client.get("/search", query_string={"q": "朝阳 养老"}))


def test_a_search_without_results_is_no_dead_end(synced):
    body = text_of(synced.test_client().get("/search", query_string={"q": "朝阳区独门绝技"}))
    assert "朝阳区独门绝技" in body
    assert 'href="/orgs?district=110105"' in body  # the district the query names
    assert 'href="/orgs?type=foundation"' in body
    assert 'href="/search?q=%E7%8B%AC%E9%97%A8%E7%BB%9D%E6%8A%80"' in body  # relaxed: without the district


def test_an_unpublished_code_answers_like_an_unknown_one(synced):
    client = synced.test_client()
    never_issued = make_uscc(999, "51", "110105")
    hidden = text_of(client.get("/search", query_string={"q": uscc(9)}))
    unknown = text_of(client.get("/search", query_string={"q": never_issued}))
    assert hidden.replace(uscc(9), "CODE") == unknown.replace(never_issued, "CODE")


def test_the_results_download_as_csv(synced):
    client = synced.test_client()
    page = text_of(client.get("/search", query_string={"q": "蓝天", "grade": "A"}))
    link = re.search(r'href="(/search\.csv\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "grade=A" in link and "q=" in link
    response = client.get(link)
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][1] == "统一社会信用代码"
    on_page = list(dict.fromkeys(re.findall(r'href="/org/([0-9A-Z]{18})"', page)))
    assert [row[1] for row in rows[1:]] == on_page
    assert response.headers["X-Total-Count"] == str(len(on_page))
    # Cited by the Beijing date of the data; every row names the data-as-of time and the publication version.
    assert re.fullmatch(
        r'attachment; filename="beijing-social-org-credit-search-\d{4}-\d{2}-\d{2}\.csv"',
        response.headers["Content-Disposition"],
    )
    stamp = [response.headers["X-Data-As-Of"], response.headers["X-Publication-Version"]]
    assert stamp[0].endswith("Z") and int(stamp[1]) >= 1
    assert rows[0][-2:] == ["数据截至（协调世界时）", "公示版本"] and all(row[-2:] == stamp for row in rows[1:])
    # A bad argument is the page's 400.
    assert client.get("/search.csv", query_string={"sort": "nonsense"}).status_code == 400


def test_methodology_explains_the_order_of_results(synced):
    body = text_of(synced.test_client().get("/methodology"))
    assert "搜索结果的顺序" in body and "从不按信用等级或分数排序" in body
