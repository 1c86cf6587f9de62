"""axe-core on every distinct page template, in Chinese and in English: no serious or critical violation
on the public pages, and none at all on the staff console's, signed in as the page requires.

axe-core comes from npm (tests/browser/axe/package.json, installed by
`make test` with `npm ci`). It is injected into each page as it is served by
gunicorn; the context bypasses the page's CSP only so that the audit script
can be added. The rules are those of WCAG 2.0/2.1 A and AA plus axe's best
practices; the results of the last run are written to
test-results/accessibility.json for docs/accessibility.md.
"""

import json
import time
from pathlib import Path

import pyotp
import pytest

from tests.browser import staff_setup
from tests.browser.conftest import TIMEOUT_MS
from portal.testing.live_server import IN_CI

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "accessibility.json"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")
#: On the public pages moderate findings block too (issue 18), in both views: standard and 长辈版.
PUBLIC_BLOCKING = ("moderate", "serious", "critical")

#: One URL per distinct template (and state of it), {uscc} and {hidden} filled in by the fixture, with the
#: status it must answer: a clean 500 page must not pass the audit.
PAGES = {
    "home": (200, "/"),
    "list": (200, "/orgs"),
    "list-filtered": (200, "/orgs?grade=A&sort=score_desc"),
    "report": (200, "/org/{uscc}"),
    "report-not-published": (404, "/org/{hidden}"),
    "report-invalid-code": (400, "/org/123"),
    "changes": (200, "/changes"),
    "methodology": (200, "/methodology"),
    "about": (200, "/about"),
    "status": (200, "/status"),
    "search-results": (200, "/search?q=%E5%9F%BA%E9%87%91%E4%BC%9A"),
    "search-nothing-found": (200, "/search?q=%E9%BE%98%E9%BE%98%E9%BE%98"),
    "search-empty": (200, "/search?q="),
    "error-404": (404, "/no/such/page"),
    "error-400": (400, "/orgs?grade=Z"),
    "complaint-form": (200, "/complaints/new"),
    "complaint-status": (200, "/complaints/status"),
    "complaint-privacy": (200, "/complaints/privacy"),
    "api-docs": (200, "/api"),
    "open-data": (200, "/data"),
    "batch-check": (200, "/batch"),
    "statistics": (200, "/stats"),
    "verify": (200, "/verify"),
    "report-print": (200, "/org/{uscc}/report/print"),
    "site-error-form": (200, "/site-error?page=/orgs"),
    "follow-sent": (200, "/follow/sent"),
    "follow-invalid-link": (400, "/follow/confirm/not-a-link"),
}


def require_axe():
    if not AXE.exists():
        message = "axe-core is not installed: make test runs `npm ci` in tests/browser/axe"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def hidden_uscc(live_server):
    return live_server.portal_rows("SELECT uscc FROM organisations WHERE NOT is_published LIMIT 1")[0][0]


def new_audit_context(browser, base_url, language=None):
    """A browser context for auditing (the CSP bypassed for axe only), in ``language`` if given."""
    options = {"locale": "zh-CN" if language == "zh" else "en-GB"} if language else {}
    context = browser.new_context(base_url=base_url, bypass_csp=True, viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture(scope="module")
def audit_page(browser, base_url):
    require_axe()
    context = new_audit_context(browser, base_url)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def results():
    collected = {}
    yield collected
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(collected, ensure_ascii=False, indent=1))


def audit(page, url):
    response = page.goto(url)
    return response.status, run_axe(page)


def run_axe(page):
    """Return axe-core's violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')), count: v.nodes.length})); }",
        TAGS,
    )


@pytest.mark.parametrize("mode", ["standard", "large-text"])
@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(audit_page, base_url, youth_foundation, hidden_uscc, results, name,
                                            language, mode):
    expected_status, path = PAGES[name]
    path = path.format(uscc=youth_foundation[0], hidden=hidden_uscc)
    separator = "&" if "?" in path else "?"
    large = "1" if mode == "large-text" else "0"
    status, violations = audit(audit_page, f"{base_url}{path}{separator}lang={language}&large={large}")
    results[f"{name} ({language}, {mode})"] = {"path": path, "status": status, "violations": violations}
    assert status == expected_status, path
    assert audit_page.locator("html").get_attribute("lang") == ("zh-CN" if language == "zh" else "en")
    if name != "report-print":  # the printable report is a document for paper, the same in both views
        assert ("large-text" in (audit_page.locator("html").get_attribute("class") or "")) is (mode == "large-text")
    blocking = [v for v in violations if v["impact"] in PUBLIC_BLOCKING]
    assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("address, expected_status", [("reader@example.com", 200), ("not-an-address", 400)])
def test_no_serious_accessibility_violations_on_the_follow_form(audit_page, base_url, youth_foundation, results,
                                                                language, address, expected_status):
    """The follow form's answers (the form to check and send, and its errors), reached from the report page."""
    audit_page.goto(f"{base_url}/org/{youth_foundation[0]}?lang={language}")
    audit_page.locator("#follow-email").fill(address)
    with audit_page.expect_navigation() as navigation:
        audit_page.locator("#follow form.follow-form button[type=submit]").click()
    assert navigation.value.status == expected_status
    violations = run_axe(audit_page)
    results[f"follow form {address} ({language})"] = {"path": "/org/…/follow", "status": expected_status, "violations": violations}
    blocking = [v for v in violations if v["impact"] in PUBLIC_BLOCKING]
    assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)


# -- the staff console, signed in ------------------------------------------------------


class StaffConsole:
    """Accounts, a complaint and signed-in browser contexts on the live server, for the staff audits.

    Languages come from the browser (Accept-Language), so that the pages that
    answer a form are in the language audited too. The accounts with a second
    factor are one per language: each is set up once, in the browser, and is
    then never given a right code again, so no code is ever used twice.
    """

    HANDLER = "a11y-handler"
    SUPERVISOR = "a11y-supervisor"
    DELAYED = "a11y-delayed"

    def __init__(self, live_server, browser, base_url):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.signed_in = {}
        self.secrets = {}
        staff_setup.ensure_tables(live_server)
        staff_setup.create_account(live_server, self.HANDLER, "handler", "无障碍承办人")
        staff_setup.create_account(live_server, self.SUPERVISOR, "supervisor", "无障碍主管")
        staff_setup.create_account(live_server, self.DELAYED, "handler", "登录须等待的承办人")
        for language in ("zh", "en"):
            staff_setup.create_account(live_server, self.two_factor_user(language), "handler", "两步验证承办人")
        staff_setup.delay_account(live_server, self.DELAYED)
        self.complaint = staff_setup.submit_complaint(live_server, "北京市无障碍检查公益协会")[0]

    @staticmethod
    def two_factor_user(language):
        return f"a11y-totp-{language}"

    def fresh_page(self, language):
        """A page in a new, signed-out context."""
        context = new_audit_context(self.browser, self.base_url, language)
        self.contexts.append(context)
        return context.new_page()

    def page_as(self, role, language):
        """A page signed in as the handler or the supervisor, kept for the module."""
        if (role, language) not in self.signed_in:
            page = self.fresh_page(language)
            staff_setup.sign_in_with_password(page, self.HANDLER if role == "handler" else self.SUPERVISOR)
            assert page.url.endswith("/staff/"), page.url
            self.signed_in[(role, language)] = page
        return self.signed_in[(role, language)]

    def two_factor_page(self, language):
        """A page signed in as the language's two-factor account, set up here on first use."""
        if language not in self.secrets:
            page = self.fresh_page(language)
            staff_setup.sign_in_with_password(page, self.two_factor_user(language))
            page.goto("/staff/two-factor")
            secret = staff_setup.setup_key(page)
            page.fill("#code", pyotp.TOTP(secret).now())
            staff_setup.submit(page, "main form.staff-form")
            assert page.url.endswith("/staff/two-factor") and page.locator(".setup-key").count() == 0
            self.secrets[language] = secret
            self.signed_in[("two-factor", language)] = page
        return self.signed_in[("two-factor", language)]

    def wrong_code(self, language):
        totp = pyotp.TOTP(self.secrets[language])
        now = time.time()
        # Wrong whenever the server reads it: none of the steps from two before to four after now.
        accepted = {totp.at(now + 30 * steps) for steps in range(-2, 5)}
        return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)

    def close(self):
        for context in self.contexts:
            context.close()


# Each visit returns (page, response of the page audited).


def _login(console, language):
    page = console.fresh_page(language)
    return page, page.goto("/staff/login")


def _login_refused(console, language):
    page, _response = _login(console, language)
    page.fill("#username", console.HANDLER)
    page.fill("#password", "Not-the-password-1")
    return page, staff_setup.submit(page, "form.staff-form")


def _code(console, language):
    console.two_factor_page(language)
    page = console.fresh_page(language)
    response = staff_setup.sign_in_with_password(page, console.two_factor_user(language))
    assert "/staff/login/code" in page.url, page.url
    return page, response


def _code_refused(console, language):
    page, _response = _code(console, language)
    page.fill("#code", console.wrong_code(language))
    return page, staff_setup.submit(page, "form.staff-form")


def _set_up(console, language):
    page = console.page_as("handler", language)
    return page, page.goto("/staff/two-factor")


def _set_up_refused(console, language):
    page, _response = _set_up(console, language)
    page.fill("#code", "12345")
    return page, staff_setup.submit(page, "main form.staff-form")


def _two_factor_on(console, language):
    page = console.two_factor_page(language)
    return page, page.goto("/staff/two-factor")


def _two_factor_off_refused(console, language):
    page, _response = _two_factor_on(console, language)
    page.fill("#code", console.wrong_code(language))
    return page, staff_setup.submit(page, "main form.staff-form")


def _get_as(role, path):
    def visit(console, language):
        page = console.page_as(role, language)
        return page, page.goto(path.format(complaint=console.complaint))

    return visit


def _detail_refused(console, language):
    page, _response = _get_as("handler", "/staff/complaints/{complaint}")(console, language)
    return page, staff_setup.submit(page, "#action-reject form")


def _detail_with_contact(console, language):
    page, _response = _get_as("supervisor", "/staff/complaints/{complaint}")(console, language)
    return page, staff_setup.submit(page, "form[action$='/contact']")


def _password_refused(console, language):
    page, _response = _get_as("handler", "/staff/password")(console, language)
    page.fill("#current_password", "Not-the-password-1")
    page.fill("#new_password", "short")
    return page, staff_setup.submit(page, "main form.staff-form")


def _users(console, language):
    for other in ("zh", "en"):
        console.two_factor_page(other)  # accounts with a second factor: their reset buttons
    return _get_as("supervisor", "/staff/users")(console, language)


def _form_expired(console, language):
    # A form sent after the session ended: the staff error page (400).
    page = console.fresh_page(language)
    staff_setup.sign_in_with_password(page, console.HANDLER)
    page.goto(f"/staff/complaints/{console.complaint}")
    page.context.clear_cookies()
    page.fill("#note-note", "会话结束后提交的备注")
    return page, staff_setup.submit(page, "#action-note form")


#: Each staff template (and state of it): the status it answers with, and how a browser reaches it.
STAFF_PAGES = {
    "staff-login": (200, _login),
    "staff-login-refused": (401, _login_refused),
    "staff-code": (200, _code),
    "staff-code-refused": (401, _code_refused),
    "staff-two-factor-set-up": (200, _set_up),
    "staff-two-factor-set-up-refused": (400, _set_up_refused),
    "staff-two-factor-on": (200, _two_factor_on),
    "staff-two-factor-off-refused": (400, _two_factor_off_refused),
    "staff-dashboard": (200, _get_as("handler", "/staff/")),
    "staff-queue": (200, _get_as("handler", "/staff/complaints?state=all")),
    "staff-detail": (200, _get_as("handler", "/staff/complaints/{complaint}")),
    "staff-detail-refused": (400, _detail_refused),
    "staff-detail-contact": (200, _detail_with_contact),
    "staff-password": (200, _get_as("handler", "/staff/password")),
    "staff-password-refused": (400, _password_refused),
    "staff-users": (200, _users),
    "staff-error-403": (403, _get_as("handler", "/staff/users")),
    "staff-error-400": (400, _form_expired),
}


@pytest.fixture(scope="module")
def staff_console(live_server, browser, base_url):
    require_axe()
    console = StaffConsole(live_server, browser, base_url)
    yield console
    console.close()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("name", list(STAFF_PAGES))
def test_no_accessibility_violations_on_staff_pages(staff_console, results, name, language):
    expected_status, visit = STAFF_PAGES[name]
    page, response = visit(staff_console, language)
    violations = run_axe(page)
    path = page.url.removeprefix(staff_console.base_url)
    results[f"{name} ({language})"] = {"path": path, "status": response.status, "violations": violations}
    assert response.status == expected_status, path
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if language == "zh" else "en")
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
