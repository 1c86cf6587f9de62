"""A complaint handled end to end in a real browser: staff sign-in, accept, investigate, answer with a
reply (部分属实, confirmed), sign out, and the complainant reads the reply on /complaints/status.

Runs with JavaScript on and off: every step is a plain form.
"""

import pytest

from tests.browser.playwright_expect import expect
from tests.browser.staff_setup import (
    create_account,
    ensure_tables,
    sign_in_with_password,
    submit,
    submit_complaint,
)

pytestmark = pytest.mark.browser

HANDLER = "browser-handler"
REPLY = "经调查，该会确未按规定公开年度财务报告，已责令其于30日内整改并公开。"


@pytest.fixture(scope="module")
def handler_account(live_server):
    ensure_tables(live_server)
    return create_account(live_server, HANDLER, display_name="浏览器处理人")


@pytest.fixture
def complaint(live_server, handler_account):
    """(tracking number, access code) of a new complaint."""
    return submit_complaint(live_server)


def test_staff_handle_a_complaint_and_the_complainant_reads_the_reply(any_page, browser, base_url, complaint):
    page = any_page
    number, code = complaint

    # A signed-out visit to the console goes to the sign-in page.
    page.goto("/staff/complaints")
    assert "/staff/login" in page.url
    sign_in_with_password(page, HANDLER, path=page.url)
    assert page.url.endswith("/staff/complaints")

    # The queue lists the new complaint; open it.
    with page.expect_navigation():
        page.locator(f"main table a:has-text('{number}')").click()
    assert page.url.endswith(f"/staff/complaints/{number}")
    # Nobody's complaint yet: its contact details are for its handler only.
    expect(page.locator("main")).not_to_contain_text("13800138000")

    # Accept (which makes it this handler's), start the investigation, conclude with a reply.
    page.fill("#accept-note", "材料齐全，予以受理。")
    submit(page, "#action-accept form")
    expect(page.locator("#action-investigate")).to_be_visible()
    # Now the decrypted contact details are shown on request, and the view is in the history.
    submit(page, "form[action$='/contact']")
    expect(page.locator("main")).to_contain_text("13800138000")
    expect(page.locator("table.staff-history")).to_contain_text("已查看联系方式")
    submit(page, "#action-investigate form")
    expect(page.locator("#action-answer")).to_be_visible()

    # Answering without a reply is refused, with a summary that links to the field.
    page.check("input[name=answer-outcome][value=partly_substantiated]")
    page.check("#answer-confirm")
    submit(page, "#action-answer form")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#answer-reply']")).to_have_count(1)
    # That refusal is the one 4xx response this journey expects.
    assert [error.split()[0] for error in page.browsing_errors] == ["400"]
    page.browsing_errors.clear()

    page.check("input[name=answer-outcome][value=partly_substantiated]")
    page.fill("#answer-reply", REPLY)
    page.check("#answer-confirm")
    submit(page, "#action-answer form")
    expect(page.locator("#action-answer")).to_have_count(0)
    history = page.locator("table.staff-history")
    expect(history).to_contain_text("材料齐全，予以受理。")
    expect(history).to_contain_text(REPLY)

    # Sign out (a POST form with its CSRF token); the console is closed again.
    submit(page, ".staff-bar__logout")
    assert "/staff/login" in page.url
    page.goto("/staff/")
    assert "/staff/login" in page.url

    # The complainant, in a browser of their own, reads the reply.
    context = browser.new_context(base_url=base_url, locale="zh-CN")
    try:
        citizen = context.new_page()
        citizen.goto("/complaints/status")
        citizen.fill("#tracking_number", number)
        citizen.fill("#access_code", code)
        with citizen.expect_navigation():
            citizen.locator("main form button[type=submit]").click()
        main = citizen.locator("main")
        expect(main).to_contain_text(REPLY)
        expect(main).to_contain_text("部分属实")
        expect(main.locator("#ask-review-title")).to_be_visible()
        expect(main).not_to_contain_text("材料齐全")  # internal notes stay internal
        expect(main).not_to_contain_text("13800138000")
    finally:
        context.close()

    assert page.browsing_errors == []
