"""Fixtures for the browser tests: the portal served by gunicorn, and Chromium driven by Playwright.

One live server per session and portal database (SQLite, then PostgreSQL;
see ``portal/testing/live_server.py``): 600 demo organisations, synced by
``flask sync run``, served by ``gunicorn -c gunicorn.conf.py wsgi:app`` with
two workers on a free loopback port. The tests skip when
Chromium or Playwright is missing, except in CI (CI=true), where they fail.
"""

import time

import pytest
from itsdangerous import URLSafeSerializer

from portal.config import defaults
from portal.testing.live_server import (
    BLUE_SKY_ELDERLY_CARE,
    IN_CI,
    YOUTH_FOUNDATION,
    LiveServer,
    chromium_path,
    launch_chromium,
)
from tests.conftest import live_portal_database

#: Playwright's default waits are 30 s; a page of this portal takes milliseconds.
TIMEOUT_MS = 10_000


def require_browser():
    """Skip (or fail in CI) unless Playwright and Debian's chromium are installed."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (pip install -r requirements-dev.txt)")
    if chromium_path() is None:
        missing.append("chromium (apt-get install chromium fonts-noto-cjk)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if IN_CI:
            pytest.fail(f"{message}: they are required in CI", pytrace=False)
        pytest.skip(message)


class BrowserServer(LiveServer):
    """The live server, with a staff sign-in limit the browser tests stay under.

    They sign in from one address (127.0.0.1) dozens of times a session; the
    limit itself (STAFF_LOGIN_RATE_LIMIT) is tested in tests/staff/test_accounts.py.
    A 429 here is a failure, not something to wait out.
    """

    def environment(self):
        env = super().environment()
        env["STAFF_LOGIN_RATE_LIMIT"] = "1000 per minute"
        return env


@pytest.fixture(scope="session")
def live_server(live_backend):
    """The portal with demo data, served by gunicorn as deployed, on ``live_backend``; stopped after the session."""
    require_browser()
    with live_portal_database(live_backend) as portal_database_url:
        server = BrowserServer(
            orgs=600, seed=1, workers=2, log=lambda message: None, portal_database_url=portal_database_url
        )
        server.start()
        yield server
        server.stop()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.base_url


@pytest.fixture(scope="session")
def youth_foundation(live_server):
    """(USCC, grade) of 北京市青少年发展基金会, always published in the demo data."""
    return live_server.published_organisation(YOUTH_FOUNDATION)


@pytest.fixture(scope="session")
def blue_sky(live_server):
    """(USCC, grade) of 北京市朝阳区蓝天养老服务中心, always published in the demo data."""
    return live_server.published_organisation(BLUE_SKY_ELDERLY_CARE)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, launched once per session through Playwright."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def wait_until_the_form_may_be_sent(page, server):
    """Wait until the complaint form on ``page`` is as old as ``server``'s minimum fill time.

    A form sent within COMPLAINT_MIN_FILL_SECONDS of being shown is refused as
    a robot's. The form's signed token says the second it was issued (the
    server rounds it down); wait until that second plus the minimum has passed
    on the clock the server shares with this process, not a guessed pause.
    """
    token = page.locator("form.complaint-form input[name=form_token]").input_value()
    _signed, payload = URLSafeSerializer("any key: only the payload is read").loads_unsafe(token)
    minimum = defaults(str(server.folder), server.environment())["COMPLAINT_MIN_FILL_SECONDS"]
    deadline = payload["t"] + minimum
    while time.time() < deadline:
        time.sleep(0.05)


def new_page(browser, base_url, **context_options):
    """Return (context, page) for ``base_url`` in Chinese at 1280 x 900, with ``page.browsing_errors`` collected."""
    context = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        viewport=context_options.pop("viewport", {"width": 1280, "height": 900}),
        **context_options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # What went wrong while the test browsed: script errors, and resources that failed.
    # The browser's own request for /favicon.ico is not a resource any page asks for.
    errors = []
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} {response.url}")
        if response.status >= 400 and not response.url.endswith("/favicon.ico")
        else None,
    )
    page.browsing_errors = errors
    return context, page


@pytest.fixture
def page(browser, base_url):
    """A page with JavaScript on, in a fresh context (no cookies), at 1280×900, Chinese first."""
    context, page = new_page(browser, base_url)
    yield page
    context.close()


@pytest.fixture
def page_without_javascript(browser, base_url):
    """A page with JavaScript off: every form and link must still work."""
    context, page = new_page(browser, base_url, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture(params=["javascript", "no-javascript"])
def any_page(request, browser, base_url):
    """A page with JavaScript on, then off."""
    context, page = new_page(browser, base_url, java_script_enabled=request.param == "javascript")
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, base_url):
    """A page 375 px wide, as on a small phone."""
    context, page = new_page(
        browser, base_url, viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page
    context.close()
