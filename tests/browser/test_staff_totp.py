"""Two-step verification in a real browser: set it up from the QR page's key, sign out, sign in with
the password and then a code computed here with pyotp, as an authenticator app would.

Runs with JavaScript on and off: every step is a plain form, and the QR code is an image made on the server.
"""

import time

import pyotp
import pytest

from tests.browser.playwright_expect import expect
from tests.browser.staff_setup import (
    create_account,
    ensure_tables,
    setup_key,
    sign_in_with_password,
    submit,
)

pytestmark = pytest.mark.browser


def codes_around(totp):
    """The codes of the steps from two before to four after the current one."""
    now = time.time()
    return {totp.at(now + 30 * steps) for steps in range(-2, 5)}


@pytest.fixture(scope="module")
def tables(live_server):
    ensure_tables(live_server)


def test_set_up_two_step_verification_and_sign_in_with_a_code(any_page, live_server, tables, request):
    page = any_page
    username = create_account(live_server, f"browser-totp-{request.node.callspec.id}", display_name="两步验证测试")

    # Without a second factor, the password signs in.
    sign_in_with_password(page, username)
    assert page.url.endswith("/staff/")

    # Set it up: the QR code is an image made on the server; the key is also shown as text.
    with page.expect_navigation():
        page.locator(".staff-bar__nav a[href^='/staff/two-factor']").click()
    qr_code = page.locator("img.qr-code")
    expect(qr_code).to_be_visible()
    assert qr_code.bounding_box()["width"] >= 100
    secret = setup_key(page)
    assert len(secret) == 32
    totp = pyotp.TOTP(secret)

    # A wrong code is refused, with a summary that links to the field. The server takes the codes of the
    # step before and after its own; a code of none of the steps from two before to four after now stays
    # wrong even if the 30-second boundary passes (more than once) before the server reads it.
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in codes_around(totp))
    page.fill("#code", wrong)
    submit(page, "main form.staff-form")
    expect(page.locator(".error-summary a[href='#code']")).to_have_count(1)
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    assert setup_key(page) == secret  # the same key: nothing to scan again
    assert [error.split()[0] for error in page.browsing_errors] == ["400"]
    page.browsing_errors.clear()

    page.fill("#code", totp.now())
    submit(page, "main form.staff-form")
    expect(page.locator("main")).to_contain_text("两步验证已开启")
    expect(page.locator(".setup-key")).to_have_count(0)
    assert secret not in page.content()

    # Sign out, and in again: the password, then a code.
    submit(page, ".staff-bar__logout")
    sign_in_with_password(page, username)
    assert page.url.endswith("/staff/login/code")
    code_field = page.locator("#code")
    expect(code_field).to_have_attribute("autocomplete", "one-time-code")
    expect(code_field).to_have_attribute("inputmode", "numeric")
    # Not signed in yet: the console sends back to the sign-in, which starts again.
    page.goto("/staff/complaints")
    assert "/staff/login?next=" in page.url
    sign_in_with_password(page, username, path=page.url)
    assert "/staff/login/code" in page.url
    # The code of the next 30-second step: the current one was used to set up, and cannot be used twice.
    # It is later than the step used to set up whenever it is computed, and the server, whose clock is
    # this one, reads it in the step it belongs to or the one before: accepted wherever a boundary falls.
    page.fill("#code", totp.at(time.time() + 30))
    submit(page, "form.staff-form")
    assert page.url.endswith("/staff/complaints")
    expect(page.locator(".staff-bar")).to_contain_text("两步验证测试")

    assert page.browsing_errors == []
