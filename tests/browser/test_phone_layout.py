"""Phones first, measured in Chromium at 375 × 812 (a small phone) and 768 × 1024 (a tablet): no sideways
scrolling, no text under 16 px, every tap target 44 px or more; the navigation in one <details> menu,
the search facets behind one 筛选 control, wide tables as stacked cards."""

import pytest

from tests.browser import layout_checks
from tests.browser.conftest import new_page

VIEWPORTS = {"phone": {"width": 375, "height": 812}, "tablet": {"width": 768, "height": 1024}}
PAGES = {
    "home": "/",
    "list": "/orgs",
    "report": "/org/{uscc}",
    "changes": "/changes",
    "search": "/search?q=%E5%9F%BA%E9%87%91%E4%BC%9A",
    "search-nothing": "/search?q=%E9%BE%98%E9%BE%98%E9%BE%98",
    "methodology": "/methodology",
    "about": "/about",
    "statistics": "/stats",
    "status": "/status",
    "open-data": "/data",
    "batch": "/batch",
    "complaint-form": "/complaints/new",
    "site-error-form": "/site-error?page=/orgs",
    "not-found": "/no/such/page",
    "follow-sent": "/follow/sent",
}


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def device_page(request, browser, base_url):
    context, page = new_page(
        browser, base_url, viewport=VIEWPORTS[request.param], is_mobile=True, has_touch=True, java_script_enabled=False
    )
    page.device = request.param
    yield page
    context.close()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_fits_the_screen_with_readable_text_and_large_targets(device_page, youth_foundation, name, language):
    page = device_page
    path = PAGES[name].format(uscc=youth_foundation[0])
    separator = "&" if "?" in path else "?"
    page.goto(f"{path}{separator}lang={language}")
    assert layout_checks.horizontal_overflow(page) == 0
    assert layout_checks.text_smaller_than(page, 16) == []
    assert layout_checks.targets_smaller_than(page, 44) == []
    if language == "zh":
        # Chinese text, data included, uses full-width punctuation (，：；（）？！).
        assert layout_checks.half_width_punctuation_beside_chinese(page) == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_follow_form_and_its_answer_fit_a_phone(device_page, youth_foundation, language):
    page = device_page
    page.goto(f"/org/{youth_foundation[0]}?lang={language}#follow")
    page.locator("#follow-email").fill("phone.reader@example.com")
    with page.expect_navigation():
        page.locator("#follow form.follow-form button[type=submit]").click()
    # The form to check and send, with its radio buttons and button: on the screen, readable, easy to tap.
    assert layout_checks.horizontal_overflow(page) == 0
    assert layout_checks.text_smaller_than(page, 16) == []
    assert layout_checks.targets_smaller_than(page, 44) == []
    if language == "zh":
        assert layout_checks.half_width_punctuation_beside_chinese(page) == []


def test_navigation_is_one_menu_that_opens_without_javascript(device_page):
    page = device_page
    page.goto("/orgs")
    assert not page.locator(".site-nav__bar").is_visible()
    # The header (site name, 长辈版, language, search box, menu) stays short.
    assert page.locator(".site-header").bounding_box()["height"] < 300
    menu = page.locator("details.site-nav__menu")
    assert menu.locator("summary").is_visible()
    assert not menu.get_by_role("link", name="开放数据").is_visible()
    menu.locator("summary").click()
    assert menu.get_by_role("link", name="开放数据").is_visible()


def test_search_facets_fold_into_one_filter_control_above_the_results(device_page):
    page = device_page
    page.goto("/search?q=%E5%9F%BA%E9%87%91%E4%BC%9A")
    control = page.locator("details.filters-toggle > summary")
    assert control.is_visible() and control.inner_text().startswith("筛选")
    assert not page.locator(".search-filters").is_visible()
    # The first result is on the first screen, not 1,000 px down.
    assert page.locator(".search-hit").first.bounding_box()["y"] < VIEWPORTS[page.device]["height"]
    control.click()
    assert page.locator(".search-filters").is_visible()


def test_facets_are_open_on_a_wide_screen(page):
    page.goto("/search?q=%E5%9F%BA%E9%87%91%E4%BC%9A")
    assert page.locator(".search-filters").is_visible()
    assert not page.locator("details.filters-toggle > summary").is_visible()


def test_wide_tables_become_stacked_cards_on_a_phone(browser, base_url):
    context, page = new_page(browser, base_url, viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)
    for path in ("/orgs", "/changes"):
        page.goto(path)
        if path == "/changes" and page.locator("table.data-table--cards").count() == 0:
            continue  # one night of demo data: its first publication is one line, not a table
        row = page.locator("table.data-table--cards tbody tr").first
        assert page.evaluate("(row) => getComputedStyle(row).display", row.element_handle()) == "block"
        label = page.evaluate(
            "(row) => getComputedStyle(row.querySelector('td[data-label]'), '::before').content", row.element_handle()
        )
        assert label.strip('"').rstrip("：") in ("信用等级", "统一社会信用代码"), path
    context.close()
