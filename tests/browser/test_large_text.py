"""长辈版 (large text) in Chromium: each rule of 《互联网网站适老化通用设计规范》 that the issue names,
measured on the computed styles of the pages an older reader visits, in both languages, without JavaScript."""

import pytest

from tests.browser import layout_checks
from tests.browser.conftest import new_page

#: The pages an older reader goes to; {uscc} is filled in with a published organisation.
PAGES = {
    "home": "/",
    "search": "/search?q=%E5%9F%BA%E9%87%91%E4%BC%9A",
    "list": "/orgs",
    "report": "/org/{uscc}",
    "changes": "/changes",
    "about": "/about",
    "complaint-form": "/complaints/new",
}
#: 18 pt, in CSS pixels (1 pt = 4/3 px).
EIGHTEEN_POINTS = 24


@pytest.fixture(scope="module")
def large_text_page(browser, base_url):
    """A page without JavaScript, with 长辈版 turned on from the header link of the home page."""
    context, page = new_page(browser, base_url, java_script_enabled=False)
    page.goto("/")
    page.get_by_role("link", name="长辈版").click()
    page.wait_for_function("document.documentElement.classList.contains('large-text')")
    yield page
    context.close()


def visit(page, path, youth_foundation, language):
    separator = "&" if "?" in path else "?"
    response = page.goto(path.format(uscc=youth_foundation[0]) + f"{separator}lang={language}")
    assert response.status == 200
    assert page.evaluate("document.documentElement.classList.contains('large-text')")


def test_turned_on_and_off_from_every_page_header_and_remembered(browser, base_url):
    context, page = new_page(browser, base_url, java_script_enabled=False)
    for path in ("/", "/orgs", "/about", "/methodology", "/complaints/new", "/no/such/page"):
        page.goto(path)
        assert page.get_by_role("link", name="长辈版").count() == 1, path
    page.goto("/orgs?grade=A")
    page.get_by_role("link", name="长辈版").click()
    page.wait_for_url("**/orgs?grade=A")
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    page.goto("/about")  # remembered in a cookie
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    page.get_by_role("link", name="标准版").click()
    page.wait_for_url("**/about")
    assert not page.evaluate("document.documentElement.classList.contains('large-text')")
    context.close()


def test_reachable_by_url(browser, base_url):
    context, page = new_page(browser, base_url, java_script_enabled=False)
    page.goto("/about?large=1")
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    page.goto("/methodology")
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    page.goto("/methodology?large=0")
    assert not page.evaluate("document.documentElement.classList.contains('large-text')")
    context.close()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_large_text_rules(large_text_page, youth_foundation, name, language):
    page = large_text_page
    visit(page, PAGES[name], youth_foundation, language)
    assert layout_checks.text_smaller_than(page, EIGHTEEN_POINTS) == []
    assert layout_checks.line_spacing_below(page, 1.3) == []
    assert layout_checks.contrast_below(page, 7) == []
    assert layout_checks.targets_smaller_than(page, 60) == []
    assert layout_checks.moving_or_timed_content(page) == []
    assert layout_checks.reading_order_problems(page) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_simplified_navigation(large_text_page, youth_foundation, language):
    page = large_text_page
    visit(page, "/orgs", youth_foundation, language)
    links = page.locator(".site-nav__bar a")
    assert links.count() <= 5
    standard = page.context.browser.new_context(base_url=page.url.split("/orgs")[0])
    other = standard.new_page()
    other.goto(f"/orgs?lang={language}")
    assert other.locator(".site-nav__bar a").count() > links.count()
    standard.close()


def test_large_text_on_a_phone(browser, base_url, youth_foundation):
    context, page = new_page(browser, base_url, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    for path in ("/?large=1", f"/org/{youth_foundation[0]}", "/orgs", "/complaints/new"):
        page.goto(path)
        assert layout_checks.horizontal_overflow(page) == 0, path
        assert layout_checks.text_smaller_than(page, EIGHTEEN_POINTS) == [], path
        assert layout_checks.targets_smaller_than(page, 60) == [], path
    context.close()
