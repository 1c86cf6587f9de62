"""The public pages other than the credit report: home, list, changes, methodology, about.

Data goes in through the real sync, from a scoring database written by the
test builder (precise cases) or the demo generator (disclosure over nights).
"""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.demo.generator import advance_night, generate_scoring_db
from portal.extensions import db
from portal.publication.models import ListChange, Organisation
from portal.sync import service as sync_service
from tests.scoring_builder import make_uscc
from tests.synced_portal import ScoringOrganisation, sync_three_nights, uscc_lookup
from tests.conftest import has_inline_script

#: Production serves these pages from the page cache: every test runs with it off and on.
pytestmark = pytest.mark.cached_and_uncached

PORTAL_NAME = {"zh": "北京市社会组织信用信息公示平台", "en": "Beijing Social Organisation Credit Information Portal"}
DEMO_LABEL = {"zh": "这是演示用的评价规则，不是官方规则。", "en": "This is a demonstration rule set, not the official one."}
HTML_LANG = {"zh": '<html lang="zh-CN">', "en": '<html lang="en">'}

# (number, name, type, district, grade, score, evaluation level, status, registered on)
ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", "social_group", "110000", "A", "97.50", 5, "normal", date(2010, 1, 1)),
    ScoringOrganisation(2, "北京市贝塔基金会", "foundation", "110105", "B", "88.00", None, "normal", date(2015, 6, 1)),
    ScoringOrganisation(3, "北京市朝阳区测试服务中心", "social_service", "110105", "B", "81.00", 3, "normal", date(2005, 3, 1)),
    ScoringOrganisation(4, "北京市海淀区科技协会", "social_group", "110108", "A", "120.00", 4, "normal", date(2020, 10, 10)),
    ScoringOrganisation(5, "北京市东城区文化促进会", "social_group", "110101", "B", "94.99", None, "normal", None),
]
HIDDEN = [
    ScoringOrganisation(6, "北京市丙级测试协会", "social_group", "110000", "C", "70.00", None, "normal", date(2011, 1, 1)),
    ScoringOrganisation(7, "北京市丁级测试协会", "social_group", "110000", "D", "40.00", 2, "normal", date(2012, 1, 1)),
    ScoringOrganisation(8, "北京市注销测试协会", "social_group", "110000", "A", "99.00", 5, "cancelled", date(2013, 1, 1)),
]
NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(3)]  # 02:30 in Beijing
uscc_of = uscc_lookup(ORGS + HIDDEN)


def text_of(response):
    return response.get_data(as_text=True)


def names_in_order(body, numbers):
    positions = {number: body.index(uscc_of(number)) for number in numbers if uscc_of(number) in body}
    return sorted(positions, key=positions.get)


@pytest.fixture
def portal(app, scoring, monkeypatch):
    """Three nights: five organisations enter; one leaves and one is regraded; it returns and another is cancelled."""
    for organisation in ORGS:
        number, level = organisation.number, organisation.evaluation_level
        organisation.write(
            scoring,
            evaluation_valid_from=date(2022, 1, 1) if level else None,
            evaluation_valid_until=date(2025, 1, 1) if number == 3 else (date(2027, 1, 1) if level else None),
        )
    for organisation in HIDDEN:
        organisation.write(scoring)
    return sync_three_nights(app, scoring, monkeypatch, NIGHTS, ORGS + HIDDEN)


# -- every page, both languages ---------------------------------------------------

ROUTES = {
    "/": {"zh": "公示名单最近变动", "en": "Recent changes to the public list"},
    "/orgs": {"zh": "筛选和排序", "en": "Filter and sort"},
    "/changes": {"zh": "公示名单变动", "en": "Changes to the public list"},
    "/methodology": {"zh": "信用积分和等级的评定方法", "en": "How scores and grades are worked out"},
    "/about": {"zh": "关于本平台及其数据", "en": "About the portal and its data"},
}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path", [*ROUTES, "/org/{uscc}"])
def test_every_page_in_both_languages(client, portal, path, language):
    path = path.format(uscc=uscc_of(1))
    response = client.get(path, query_string={"lang": language})
    assert response.status_code == 200
    body = text_of(response)
    assert HTML_LANG[language] in body
    assert PORTAL_NAME[language] in body
    assert PORTAL_NAME["en" if language == "zh" else "zh"] not in body
    if path in ROUTES:
        assert ROUTES[path][language] in body
    assert f'<link rel="canonical" href="http://localhost{path}?lang={language}">' in body
    assert re.search(r"<title>[^<]+</title>", body)
    assert '<meta name="description" content="' in body
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert not has_inline_script(body) and "<style" not in body and " style=" not in body
    # The header's search form: a GET to /search with q, labelled, without JavaScript.
    if path != "/":
        assert re.search(r'<form class="search-form search-form--compact" role="search" aria-label="[^"]+" action="/search" method="get">', body)
        assert '<label for="site-search-q" class="visually-hidden">' in body
        assert '<input type="search" id="site-search-q" name="q"' in body
        assert f'<input type="hidden" name="lang" value="{language}">' in body
    for endpoint_path in ("/changes", "/methodology", "/about"):
        assert f'href="{endpoint_path}?lang={language}"' in body


# -- home --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_home_puts_a_search_box_first(client, portal, language):
    body = text_of(client.get("/", query_string={"lang": language}))
    main = body[body.index('<main id="main"'):]
    assert main.index('action="/search"') < main.index('class="summary"')
    assert '<label for="home-search-q">' in main
    assert 'name="q"' in main and 'aria-describedby="home-search-hint"' in main
    assert 'id="site-search-q"' not in body  # no second search box in the header


@pytest.mark.parametrize("language", ["zh", "en"])
def test_home_shows_recent_changes_without_exit_grades(client, portal, language):
    body = text_of(client.get("/", query_string={"lang": language}))
    assert "<dt>{}</dt>\n      <dd>4</dd>".format("合计" if language == "zh" else "In total") in body
    exits = re.findall(r'<li data-change="exit">(.*?)</li>', body, re.S)
    entries = re.findall(r'<li data-change="entry">(.*?)</li>', body, re.S)
    assert len(exits) == 2 and len(entries) == 6  # five first entries and one return
    for line in exits:
        assert "grade--" not in line
        assert ("移出公示名单" if language == "zh" else "left the public list") in line
    cancelled = next(line for line in exits if uscc_of(5) in line or "北京市东城区文化促进会" in line)
    assert "href=" not in cancelled  # no longer published: no link
    returned = next(line for line in exits if "北京市贝塔基金会" in line)
    assert f'href="/org/{uscc_of(2)}?lang={language}"' in returned  # published again
    assert ("2026年11月5日" if language == "zh" else "Nov 5, 2026") in exits[0]
    if language == "en":
        assert "Beijing Shi Beita Jijinhui" in body


# -- the published list ----------------------------------------------------------------


LIST_CASES = [
        ({}, [1, 2, 3, 4]),
        ({"grade": "A"}, [1, 3, 4]),
        ({"grade": "B"}, [2]),
        ({"type": "foundation"}, [2]),
        ({"type": "social_group"}, [1, 4]),
        ({"district": "110105"}, [2, 3]),
        ({"district": "110105", "grade": "A"}, [3]),
        ({"evaluation": "none"}, [2]),
        ({"evaluation": "5A"}, [1]),
        ({"evaluation": "3A", "type": "social_service"}, [3]),
        ({"grade": "", "type": ""}, [1, 2, 3, 4]),  # an empty choice is no filter, as a form sends it
        ({"sort": "score_desc"}, [4, 1, 3, 2]),
        ({"sort": "score_asc"}, [2, 3, 1, 4]),
        ({"sort": "registered_desc"}, [4, 2, 1, 3]),
        ({"sort": "registered_asc"}, [3, 1, 2, 4]),
        ({"sort": "name"}, [1, 2, 3, 4]),
]


def test_list_filters_and_sorts(client, portal):
    # One portal for the whole table: each case only reads it.
    for query, expected in LIST_CASES:
        body = text_of(client.get("/orgs", query_string={**query, "lang": "en"}))
        assert names_in_order(body, [1, 2, 3, 4, 5, 6, 7, 8]) == expected, query
        filtered = any(query.get(key) for key in ("grade", "type", "district", "evaluation"))
        count = len(expected)
        if filtered:
            verb = "organisation matches" if count == 1 else "organisations match"
            assert f"{count} published {verb} the filters." in body, query
        else:
            assert "4 organisations are published." in body, query
        canonical = re.search(r'<link rel="canonical" href="([^"]+)">', body).group(1)
        for key, value in query.items():
            if value:
                assert f"{key}={value}" in canonical, query  # the URL carries the whole state


def test_list_counts_each_option_with_the_other_filters(client, portal):
    body = text_of(client.get("/orgs", query_string={"district": "110105", "lang": "en"}))

    def option(name, value):
        select_html = body[body.index(f'<select id="filter-{name}"'):]
        select_html = select_html[: select_html.index("</select>")]
        return re.search(rf'<option value="{value}"[^>]*>([^<]*)</option>', select_html).group(1)

    assert option("grade", "A") == "A (1)" and option("grade", "B") == "B (1)"
    assert option("type", "foundation") == "Foundation (1)"
    assert option("type", "social_group") == "Social group (0)"
    # The district's own counts ignore the district filter.
    assert option("district", "110105") == "Chaoyang (2)" and option("district", "110000") == "Beijing (municipal) (1)"
    assert option("evaluation", "none") == "Not evaluated (1)"
    assert '<option value="110105" selected>' in body
    chinese = text_of(client.get("/orgs", query_string={"district": "110105", "lang": "zh"}))
    assert "朝阳区（2）" in chinese


def test_list_shows_expired_evaluations_and_pinyin(client, portal):
    body = text_of(client.get("/orgs?lang=en"))
    row = re.search(rf"<tr>(?:(?!</tr>).)*{uscc_of(3)}(?:(?!</tr>).)*</tr>", body, re.S).group(0)
    assert "3A" in row and "(expired)" in row
    assert "Beijing Shi Chaoyang Qu Ceshi Fuwu Zhongxin" in row
    assert f'href="/org/{uscc_of(3)}?lang=en"' in row
    assert "96.00" in row and "Mar 1, 2005" in row
    assert "Social service organisation" in row and "Chaoyang" in row


def test_list_pagination_keeps_filters(app, client, portal):
    app.config["LIST_PAGE_SIZE"] = 2
    first = text_of(client.get("/orgs", query_string={"grade": "A", "sort": "score_desc", "lang": "en"}))
    assert names_in_order(first, [1, 3, 4]) == [4, 1]
    assert "This is page 1 of 2." in first
    next_link = re.search(r'<a href="([^"]+)" rel="next"', first).group(1)
    assert "grade=A" in next_link and "sort=score_desc" in next_link and "page=2" in next_link
    second = text_of(client.get(next_link.replace("&amp;", "&")))
    assert names_in_order(second, [1, 3, 4]) == [3]
    assert client.get("/orgs", query_string={"grade": "A", "page": "3"}).status_code == 404


BAD_LIST_QUERIES = [
    ({"grade": "C"}, "Only organisations rated A or B are published", "本平台只公示信用等级为A级或B级的社会组织"),
    ({"grade": "a"}, "the grade can only be A or B", "信用等级只能选择A或B"),
    ({"grade": ["A", "B"]}, "Choose at most one value for “grade”.", "“grade”只能选择一个值。"),
    ({"type": "company"}, "“company” is not an organisation type.", "“company”不是有效的组织类型"),
    ({"district": "310000"}, "“310000” is not a district code of Beijing.", "“310000”不是北京市的区划代码"),
    ({"evaluation": "6A"}, "“6A” is not an evaluation level.", "“6A”不是有效的评估等级"),
    ({"sort": "grade"}, "“grade” is not a way to sort the list.", "“grade”不是有效的排序方式"),
    ({"sort": "<b>x</b>"}, "“&lt;b&gt;x&lt;/b&gt;” is not a way to sort the list.", "“&lt;b&gt;x&lt;/b&gt;”不是有效的排序方式"),
    ({"page": "0"}, "The page number must be a whole number from 1 upwards.", "页码必须是从 1 开始的整数。"),
]


def test_bad_list_queries_are_a_clear_400(client, portal):
    for query, english, chinese in BAD_LIST_QUERIES:
        for language, message, title in [("en", english, "Bad request"), ("zh", chinese, "请求有误")]:
            response = client.get("/orgs", query_string={**query, "lang": language})
            assert response.status_code == 400, query
            body = text_of(response)
            assert f"<h1>{title}</h1>" in body, query
            assert message in body, (query, language)
            assert HTML_LANG[language] in body


# -- changes -------------------------------------------------------------------------


def change_rows(body):
    return re.findall(r'<tr data-change="([a-z_]+)">(.*?)</tr>', body, re.S)


CHANGE_CASES = [
        # The first night's five entries are one line, "First publication: 5 organisations".
        ({}, {("exit", 5), ("entry", 2), ("grade_change", 3), ("exit", 2)}),
        ({"type": "exit"}, {("exit", 5), ("exit", 2)}),
        ({"type": "grade_change"}, {("grade_change", 3)}),
        ({"from": "2026-11-04", "to": "2026-11-04"}, {("exit", 2), ("grade_change", 3)}),
        ({"from": "2026-11-05"}, {("exit", 5), ("entry", 2)}),
        ({"to": "2026-11-03"}, set()),
        ({"type": "entry", "from": "2026-11-04"}, {("entry", 2)}),
        ({"from": "2026-11-06"}, set()),
        ({"from": "", "to": "", "type": ""}, None),
]


def test_changes_filters(client, portal):
    for query, expected in CHANGE_CASES:
        body = text_of(client.get("/changes", query_string={**query, "lang": "en"}))
        found = set()
        for change_type, row in change_rows(body):
            number = next(n for n in range(1, 9) if uscc_of(n) in row)
            found.add((change_type, number))
        if expected is None:
            assert len(change_rows(body)) == 4, query
            continue
        assert found == expected, query
        first = query.get("type") in (None, "entry") and query.get("from") in (None, "", "2026-11-03")
        assert ("First publication: 5 organisations" in body) == first, query
        if not expected and not first:
            assert "No change matches these filters." in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_changes_show_grades_but_never_an_exit_grade(client, portal, language):
    body = text_of(client.get("/changes", query_string={"lang": language}))
    rows = change_rows(body)
    assert len(rows) == 4
    for change_type, row in rows:
        if change_type == "exit":
            assert "grade--" not in row
            assert ("移出公示名单" if language == "zh" else "Left the public list") in row
        elif change_type == "grade_change":
            assert 'grade--b">B</span>' in row and 'grade--a">A</span>' in row
        else:
            assert "grade--" in row
        # A name links to the report only while the organisation is published.
        assert (f'href="/org/{uscc_of(5)}' in row) is False
    assert any(f'href="/org/{uscc_of(2)}?lang={language}"' in row for _, row in rows)
    for secret in ("grade--c", "grade--d", "70.00", HIDDEN[0][1], HIDDEN[1][1], HIDDEN[2][1]):
        assert secret not in body
    # Grouped by Beijing date, newest first.
    days = re.findall(r'<h2 id="day-(\d{4}-\d{2}-\d{2})">', body)
    assert days == ["2026-11-05", "2026-11-04"]
    assert ("首次发布：5 家" if language == "zh" else "First publication: 5 organisations") in body


BAD_CHANGE_QUERIES = [
    ({"from": "2026-13-01"}, "“2026-13-01” is not a valid date for “from”.", "“2026-13-01”不是有效的“from”日期"),
    ({"to": "2026-2-3"}, "“2026-2-3” is not a valid date for “to”.", "“2026-2-3”不是有效的“to”日期"),
    ({"from": "yesterday"}, "Write dates as year-month-day, for example 2026-11-29.", "请按“年-月-日”格式填写"),
    ({"from": "２０２６-１１-０１"}, "is not a valid date", "不是有效的"),
    (
        {"from": "2026-11-05", "to": "2026-11-01"},
        "The start date (“from”) must not be later than the end date (“to”).",
        "开始日期（“from”）不能晚于结束日期（“to”）。",
    ),
    ({"type": "removed"}, "“removed” is not a kind of change.", "“removed”不是有效的变动类型"),
    ({"page": "x"}, "The page number must be a whole number from 1 upwards.", "页码必须是从 1 开始的整数。"),
]


def test_bad_change_queries_are_a_clear_400(client, portal):
    for query, english, chinese in BAD_CHANGE_QUERIES:
        for language, message in [("en", english), ("zh", chinese)]:
            response = client.get("/changes", query_string={**query, "lang": language})
            assert response.status_code == 400, query
            assert message in text_of(response), (query, language)
            assert HTML_LANG[language] in text_of(response)


def test_changes_pagination(app, client, portal):
    app.config["LIST_PAGE_SIZE"] = 3
    first = text_of(client.get("/changes?lang=en"))
    assert len(change_rows(first)) == 3 and "This is page 1 of 2." in first
    assert "First publication" not in first
    second = text_of(client.get("/changes?page=2&lang=en"))
    # The oldest line, the first publication, closes the last page.
    assert len(change_rows(second)) == 1 and "First publication: 5 organisations" in second
    assert client.get("/changes?page=3").status_code == 404


# -- methodology and about -------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_methodology_shows_the_rule_set_from_the_database(client, portal, language):
    body = text_of(client.get("/methodology", query_string={"lang": language}))
    assert "测试规则（演示）" in body and "test-1" in body
    assert DEMO_LABEL[language] in body
    bands = body[body.index('id="bands-1-caption"'):]
    bands = bands[: bands.index("</table>")]
    for value in ("95.00", "200.00", "80.00", "94.99", "60.00", "79.99", "0.00", "59.99"):
        assert value in bands
    assert ("含两端" if language == "zh" else "Both ends of a range are included.") in bands
    # The builder's dimensions are named by their codes; each has a maximum of 20.
    for code in ("party_building", "integrity", "governance", "operations", "evaluation", "social"):
        assert code in body
    assert "<td class=\"number\">120</td>" in body  # six dimensions of 20 points
    items = body[body.index('id="items-1-2"'):]
    assert ("守信加分" if language == "zh" else "Kept promises") in items
    assert '<span class="points points--plus">+2</span>' in items
    label = "按此规则评分的公示社会组织" if language == "zh" else "Published organisations scored with it"
    assert f"<dt>{label}</dt><dd>4</dd>" in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_methodology_before_the_first_sync(client, language):
    body = text_of(client.get("/methodology", query_string={"lang": language}))
    assert ("尚未发布评价规则。" if language == "zh" else "No rule set has been published yet.") in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_about_page(client, portal, language):
    body = text_of(client.get("/about", query_string={"lang": language}))
    expected = {
        "zh": ["公示范围", "数据来源", "如何投诉", "隐私说明", "联系方式", "数据截至 "],
        "en": ["Who is published", "Where the data comes from", "How to complain", "Privacy", "Contact", "Data as of "],
    }[language]
    for text in expected:
        assert text in body
    assert f'href="/complaints/new?lang={language}"' in body
    assert f'href="/status?lang={language}"' in body


@pytest.mark.parametrize("path", ["/", "/orgs", "/changes", "/about"])
def test_pages_before_the_first_sync(client, path):
    for language in ("zh", "en"):
        response = client.get(path, query_string={"lang": language})
        assert response.status_code == 200
        assert ("尚未公示任何数据。" if language == "zh" else "No data has been published yet.") in text_of(response)


# -- disclosure exactness over nights of the demo scoring database ----------------------


def _hidden_and_published(app):
    with app.app_context():
        rows = db.session.execute(select(Organisation.uscc, Organisation.name, Organisation.is_published)).all()
        changed = {c.uscc for c in db.session.scalars(select(ListChange))}
    hidden = [(uscc, name) for uscc, name, published in rows if not published]
    return hidden, {uscc for uscc, _, published in rows if published}, changed


def assert_not_disclosed(body, hidden, path, allow_change_lines=False):
    """No hidden organisation may appear, except (on change pages) in a change line without link or current grade."""
    scrubbed = body
    if allow_change_lines:
        for change_type, row in re.findall(r'<(?:tr|li) data-change="([a-z_]+)">(.*?)</(?:tr|li)>', body, re.S):
            if change_type == "exit":
                assert "grade--" not in row, (path, row)
            scrubbed = scrubbed.replace(row, "")
    for uscc, name in hidden:
        assert uscc not in scrubbed, (path, uscc)
        assert f">{name}<" not in scrubbed, (path, name)
        if allow_change_lines:
            assert f"/org/{uscc}" not in body, (path, uscc)
    assert "grade--c" not in body and "grade--d" not in body, path


@pytest.mark.slow
def test_nothing_below_b_is_disclosed_after_nights_that_cross_the_boundary(app, client, scoring_url):
    generate_scoring_db(scoring_url, orgs=240, seed=11)
    with app.app_context():
        assert sync_service.run_sync(trigger="test", update_index=False).status == "succeeded"
    for night in range(3):
        advance_night(scoring_url, seed=11, changes_percent=15)
        with app.app_context():
            assert sync_service.run_sync(trigger="test", update_index=False).status == "succeeded"
    hidden, published, changed = _hidden_and_published(app)
    with app.app_context():
        exits = db.session.scalar(
            select(db.func.count()).select_from(ListChange).where(ListChange.change_type == "exit")
        )
    assert exits > 0, "the nights should move organisations out of the public list"
    assert any(uscc in changed for uscc, _ in hidden), "some hidden organisations should have change lines"

    app.config["LIST_PAGE_SIZE"] = 1000
    list_queries = [{}, {"sort": "score_asc"}, {"sort": "registered_desc"}, {"grade": "B"}, {"grade": "A"},
                    {"evaluation": "none"}, {"type": "foundation"}, {"district": "110105"}]
    for language in ("zh", "en"):
        for query in list_queries:
            body = text_of(client.get("/orgs", query_string={**query, "lang": language}))
            assert_not_disclosed(body, hidden, f"/orgs {query}")
        assert_not_disclosed(text_of(client.get(f"/?lang={language}")), hidden, "/", allow_change_lines=True)
        for query in [{}, {"type": "exit"}, {"type": "entry"}, {"type": "grade_change"}]:
            body = text_of(client.get("/changes", query_string={**query, "lang": language}))
            assert_not_disclosed(body, hidden, f"/changes {query}", allow_change_lines=True)
        for path in ("/methodology", "/about", "/status"):
            assert_not_disclosed(text_of(client.get(path, query_string={"lang": language})), hidden, path)

    first_page = text_of(client.get("/orgs?lang=zh"))
    assert sum(uscc in first_page for uscc in published) == len(published)
    not_found = {text_of(client.get(f"/org/{uscc}")).replace(uscc, "") for uscc, _ in hidden}
    not_found.add(text_of(client.get(f"/org/{make_uscc(987654321)}")).replace(make_uscc(987654321), ""))
    assert len(not_found) == 1
    for uscc, _ in hidden:
        assert client.get(f"/org/{uscc}").status_code == 404
