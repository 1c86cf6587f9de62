"""The credit badge in a real browser: the report offers its snippet, and the snippet works on another site.

A donor-facing organisation copies the snippet from its credit report, with
the copy button (JavaScript) or by selecting the read-only code (without);
pasted into a page of its own website, the badge shows and links back to the
report. The badge of a C-graded and of a cancelled organisation is the
neutral one, the same bytes as an unknown code's.
"""

import pytest

from tests.browser.conftest import new_page
from tests.browser.playwright_expect import expect
from tests.scoring_builder import make_uscc

pytestmark = pytest.mark.browser

UNKNOWN = make_uscc(987654321)


def loaded(image):
    """Whether an <img> has loaded and has a size (a broken image has none)."""
    return image.evaluate("image => image.complete && image.naturalWidth > 0")


def test_the_report_offers_the_snippet_and_it_works_on_another_site(browser, base_url, youth_foundation):
    uscc, grade = youth_foundation
    context, page = new_page(browser, base_url, permissions=["clipboard-read", "clipboard-write"])
    try:
        page.goto(f"/org/{uscc}")
        snippet = page.get_by_label("信用标识的 HTML 代码，可粘贴到网页中")
        expect(snippet).to_have_attribute("readonly", "")
        code = snippet.input_value()
        assert f'<img src="{base_url}/badge/{uscc}.svg"' in code
        assert f'<a href="{base_url}/org/{uscc}">' in code
        preview = page.locator(".badge-preview img")
        expect(preview).to_be_visible()
        assert loaded(preview)

        # The copy button, added by static/js/badge.js, copies the code and says so.
        page.get_by_role("button", name="复制代码").click()
        expect(page.get_by_role("status").filter(has_text="代码已复制。")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == code

        # Pasted into another site's page, the badge shows the grade and links to the report.
        other = context.new_page()
        other.set_content(f"<!doctype html><html lang='zh-CN'><body><p>{code}</p></body></html>")
        badge = other.locator("img")
        expect(badge).to_have_attribute("alt", "北京市青少年发展基金会：北京市社会组织信用信息公示平台的信用等级与信用报告")
        other.wait_for_function("() => document.images[0].complete")
        assert loaded(badge)
        svg = other.request.get(f"{base_url}/badge/{uscc}.svg").text()
        assert f"信用等级 {grade}" in svg
        with other.expect_navigation():
            badge.click()
        assert other.url == f"{base_url}/org/{uscc}"
        assert page.browsing_errors == []
    finally:
        context.close()


def test_without_javascript_the_snippet_is_there_to_select(page_without_javascript, youth_foundation):
    uscc, _ = youth_foundation
    page = page_without_javascript
    page.goto(f"/org/{uscc}")
    snippet = page.locator("textarea#badge-snippet[readonly]")
    expect(snippet).to_be_visible()
    assert f"/badge/{uscc}.svg" in snippet.input_value()
    expect(page.get_by_role("button", name="复制代码")).to_have_count(0)
    assert loaded(page.locator(".badge-preview img"))


def test_a_c_grade_and_a_cancelled_organisation_get_the_neutral_badge(page, live_server):
    (c_grade,) = live_server.portal_rows(
        "SELECT uscc FROM organisations WHERE grade = 'C' AND NOT is_published ORDER BY uscc LIMIT 1"
    )[0]
    (cancelled,) = live_server.portal_rows(
        # One graded A or B if the demo has one: only its cancellation keeps it off the list.
        "SELECT uscc FROM organisations WHERE registration_status = 'cancelled' AND NOT is_published "
        "ORDER BY CASE WHEN grade IN ('A', 'B') THEN 0 ELSE 1 END, uscc LIMIT 1"
    )[0]

    def badge(code):
        response = page.request.get(f"/badge/{code}.svg")
        headers = {name: value for name, value in response.headers.items() if name != "date"}
        return response.status, headers, response.body()

    unknown = badge(UNKNOWN)
    assert unknown[0] == 200 and "不在A/B级公示名单中" in unknown[2].decode()
    assert badge(c_grade) == unknown
    assert badge(cancelled) == unknown

    # Shown as an image, in the browser, it is the neutral badge too.
    page.goto(f"/badge/{c_grade}.svg")
    expect(page.locator("svg title")).to_contain_text("不在A/B级公示名单中", use_inner_text=False)
