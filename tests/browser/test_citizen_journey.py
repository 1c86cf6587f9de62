"""A citizen's journey in a real browser: search, filter, open a report, switch language, print.

Each journey runs with JavaScript on and with JavaScript off: every step is
a plain link or a GET form, so both must reach the same pages.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.playwright_expect import expect

pytestmark = pytest.mark.browser

USCC_PATH = re.compile(r"/org/([0-9A-Z]{18})")
PHONE_WIDTH = 375


def search_from_home(page, text):
    """Type ``text`` into the home page's search box and submit it as a visitor would."""
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    box = page.locator("main form[role=search] input[name=q]")
    expect(box).to_be_visible()
    # Type key by key (not fill): the autocomplete, when JavaScript is on, sees real input events.
    box.press_sequentially(text, delay=20)
    with page.expect_navigation():
        box.press("Enter")
    assert urlsplit(page.url).path == "/search"
    assert parse_qs(urlsplit(page.url).query)["q"] == [text]


def result_link(page, uscc):
    """Return the link to ``uscc``'s report among the results on the page."""
    return page.locator(f"main a[href*='/org/{uscc}']").first


def filter_by_grade(page, grade):
    """Apply the search page's grade facet: a link, or a form control and its submit button."""
    facet_link = page.locator(f"main a[href*='grade={grade}']").first
    if facet_link.count():
        with page.expect_navigation():
            facet_link.click()
        return
    select = page.locator("main select[name=grade]")
    if select.count():
        form = select.first.locator("xpath=ancestor::form[1]")
        select.first.select_option(grade)
    else:
        control = page.locator(f"main input[name=grade][value='{grade}']").first
        expect(control).to_be_attached()
        form = control.locator("xpath=ancestor::form[1]")
        control.check()
    # Without JavaScript a form changes nothing until submitted; with it, it may submit itself.
    page.wait_for_load_state()
    if parse_qs(urlsplit(page.url).query).get("grade") != [grade]:
        with page.expect_navigation():
            form.locator("button[type=submit], input[type=submit], button:not([type])").first.click()


def check_report(page, uscc, grade):
    """Check that the page is ``uscc``'s credit report: grade badge, charts and tables."""
    assert urlsplit(page.url).path == f"/org/{uscc}"
    badge = page.locator(".report-grade__badge .grade")
    expect(badge).to_have_text(grade)
    expect(badge).to_have_class(re.compile(rf"\bgrade--{grade.lower()}\b"))
    charts = page.locator("main figure.chart-figure svg.chart")
    expect(charts).to_have_count(2)
    for index in range(2):
        expect(charts.nth(index)).to_be_visible()
        box = charts.nth(index).bounding_box()
        assert box["width"] > 100 and box["height"] > 50
    assert page.locator("main table.data-table").count() >= 3
    expect(page.locator("#dimensions table.data-table tbody tr").first).to_be_visible()
    expect(page.locator("#history table.data-table tbody tr").first).to_be_visible()


def switch_to_english(page):
    """Follow the header's language link to English."""
    link = page.locator(".site-tools a[hreflang=en]")
    expect(link).to_have_text("English")
    with page.expect_navigation():
        link.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def check_print_view(page):
    """Emulate print media: navigation and controls hidden, the report itself shown."""
    page.emulate_media(media="print")
    for hidden in (".site-nav", ".site-tools", ".report-toc", ".breadcrumbs", "header .search-form"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("main .print-only")).to_be_visible()
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator(".report-grade__badge .grade")).to_be_visible()
    expect(page.locator("main svg.chart").first).to_be_visible()
    expect(page.locator("#dimensions table.data-table")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator(".site-nav")).to_be_visible()


@pytest.mark.parametrize(
    ("query", "organisation"),
    [("蓝天", "blue_sky"), ("青少年", "youth_foundation")],
)
def test_search_filter_report_language_print(any_page, request, query, organisation):
    page = any_page
    uscc, grade = request.getfixturevalue(organisation)

    search_from_home(page, query)
    expect(page.locator("main h1")).to_be_visible()
    expect(result_link(page, uscc)).to_be_visible()
    reports = page.locator("main a[href*='/org/']")
    unfiltered = reports.count()

    filter_by_grade(page, grade)
    query_now = parse_qs(urlsplit(page.url).query)
    assert query_now.get("grade") == [grade]
    assert query_now.get("q") == [query], "the filter must keep the search text"
    expect(result_link(page, uscc)).to_be_visible()
    # A filter narrows the results; it never adds any.
    assert 1 <= reports.count() <= unfiltered

    with page.expect_navigation():
        result_link(page, uscc).click()
    check_report(page, uscc, grade)
    zh_title = page.locator("main h1").inner_text()

    switch_to_english(page)
    check_report(page, uscc, grade)
    expect(page.locator(".report-header__kicker")).to_have_text("Credit report")
    expect(page.locator(".site-nav")).to_contain_text("Published organisations")
    pinyin = page.locator("main h1 .pinyin")
    expect(pinyin).to_be_visible()
    assert re.fullmatch(r"[A-Za-z][A-Za-z' \-]+", pinyin.inner_text().strip()), pinyin.inner_text()
    assert page.locator("main h1 [lang=zh-CN]").inner_text() in zh_title

    check_print_view(page)
    assert page.browsing_errors == []


def test_list_filter_report_language_print(any_page, blue_sky):
    page = any_page
    uscc, grade = blue_sky
    page.goto("/")
    with page.expect_navigation():
        page.locator(".site-nav a[href='/orgs']:visible").click()
    page.locator("main form.filters select[name=grade]").select_option(grade)
    page.locator("main form.filters select[name=sort]").select_option("name")
    with page.expect_navigation():
        page.locator("main form.filters button[type=submit]").click()
    assert parse_qs(urlsplit(page.url).query).get("grade") == [grade]
    grades = page.locator("main table.data-table tbody .grade").all_inner_texts()
    assert grades and set(grades) == {grade}

    page.goto(f"/org/{uscc}")
    check_report(page, uscc, grade)
    switch_to_english(page)
    check_report(page, uscc, grade)
    expect(page.locator("main h1 .pinyin")).to_be_visible()
    check_print_view(page)
    assert page.browsing_errors == []


def test_report_fits_a_phone(phone_page, youth_foundation):
    uscc, grade = youth_foundation
    phone_page.goto(f"/org/{uscc}")
    check_report(phone_page, uscc, grade)
    scroll_width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the report scrolls sideways on a phone: {scroll_width} px wide"
    # Wide tables scroll inside their own region rather than widening the page.
    for region in phone_page.locator("main .table-wrap").all():
        box = region.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH + 0.5


def test_header_search_works_without_javascript(page_without_javascript, youth_foundation):
    page = page_without_javascript
    uscc, _grade = youth_foundation
    page.goto(f"/org/{uscc}")
    box = page.locator("header form[role=search] input[name=q]")
    box.fill("青少年发展")
    with page.expect_navigation():
        box.press("Enter")
    assert urlsplit(page.url).path == "/search"
    expect(result_link(page, uscc)).to_be_visible()


def test_english_link_keeps_english_through_search(page, youth_foundation):
    uscc, _grade = youth_foundation
    page.goto("/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    box = page.locator("main form[role=search] input[name=q]")
    box.fill("青少年")
    with page.expect_navigation():
        box.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert parse_qs(urlsplit(page.url).query).get("lang") == ["en"]
    expect(result_link(page, uscc)).to_be_visible()


def test_suggestions_answer_as_json(page, youth_foundation):
    uscc, grade = youth_foundation
    response = page.request.get("/search/suggest", params={"q": "青少年"})
    assert response.status == 200
    payload = response.json()
    found = [item for item in payload["results"] if item["uscc"] == uscc]
    assert found and found[0]["url"] == f"/org/{uscc}" and found[0]["grade"] == grade


def test_autocomplete_leads_to_the_report(page, youth_foundation):
    uscc, grade = youth_foundation
    page.goto("/search")
    box = page.locator("main input[data-autocomplete]")
    box.press_sequentially("青少年", delay=60)
    # The suggestions follow the WAI-ARIA combobox pattern: a listbox of options.
    option = page.get_by_role("option", name=re.compile("北京市青少年发展基金会"))
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    # Move down the list to the foundation (other organisations may match first).
    for _ in range(page.get_by_role("option").count()):
        box.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", re.compile(".+"))
        active = page.locator("#" + box.get_attribute("aria-activedescendant"))
        expect(active).to_have_attribute("aria-selected", "true")
        if "北京市青少年发展基金会" in active.inner_text():
            break
    else:
        pytest.fail("the foundation's suggestion cannot be reached with the arrow keys")
    with page.expect_navigation():
        box.press("Enter")
    if urlsplit(page.url).path == "/search":
        # Choosing a suggestion may fill the box and search rather than open the report.
        with page.expect_navigation():
            result_link(page, uscc).click()
    check_report(page, uscc, grade)
    assert page.browsing_errors == []


#: Latin words a Chinese page may show: pinyin examples, the demo rule set's version, loanwords, format names (Atom).
LATIN_ALLOWED_ON_CHINESE_PAGES = {"beijing", "qingshaonian", "bjqsn", "demo", "Cookie", "Atom", "JSON", "HTML", "Ctrl"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")


@pytest.mark.parametrize(
    "path",
    ["/", "/orgs", "/search?q=青少年", "/search", "/org/{uscc}", "/changes", "/methodology", "/about", "/status"],
)
def test_chinese_pages_have_no_untranslated_english(page, youth_foundation, path):
    uscc, _grade = youth_foundation
    response = page.goto(path.format(uscc=uscc))
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    # Visible text only, with the language switch and the follow form's choice of language (which
    # name English in English, marked lang="en") and e-mail addresses (the contact line's) left out.
    text = page.evaluate(
        """() => {
            document.querySelectorAll('a[hreflang], a[href^="mailto:"], body [lang="en"]').forEach(element => element.remove());
            return document.body.innerText;
        }"""
    )
    english = sorted({word for word in ENGLISH_WORD.findall(text) if word not in LATIN_ALLOWED_ON_CHINESE_PAGES})
    assert not english, f"untranslated English on the Chinese page {path}: {english}"
