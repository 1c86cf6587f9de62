"""Helpers of the staff browser tests: accounts and complaints on the live server, and signing in.

No tests here. Accounts are made with ``flask staff``, complaints through the
complaints service, both with the live server's environment.
"""

import subprocess
import sys

from portal.testing.live_server import BIN, ROOT

PASSWORD = "Queue-Keeper-2026"

# The portal tables the migrations may not have yet (the lead regenerates them).
_TABLES = """
from portal import create_app
from portal.extensions import db

with create_app().app_context():
    db.metadata.create_all(db.engine)
"""
_SUBMIT = """
import sys
from portal import create_app
from portal.complaints import organisations, service

app = create_app()
with app.app_context():
    complaint, code = service.submit_complaint(
        organisations.OrganisationChoice(None, sys.argv[1], False), "financial_opacity",
        "该协会连续两年未公开年度财务报告，捐赠款去向不明，请予调查。", None, [],
        {"name": "王小明", "phone": "13800138000", "email": sys.argv[2] or None}, False, None,
    )
    print(complaint.tracking_number, code)
"""
_DELAY = """
import sys
from portal import create_app
from portal.staff import accounts, throttle

app = create_app()
with app.app_context():
    while throttle.delayed_until(sys.argv[1], "203.0.113.66", accounts.utcnow()) is None:
        try:
            accounts.check_password(sys.argv[1], "Not-the-password-1", "203.0.113.66")
        except accounts.LoginFailed:
            pass
"""


def run(live_server, arguments, stdin=None, environment=None):
    """Run a command with the live server's environment (and ``environment`` over it); return its output.

    The command must succeed.
    """
    env = {**live_server.environment(), **(environment or {})}
    completed = subprocess.run(arguments, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def ensure_tables(live_server):
    run(live_server, [sys.executable, "-c", _TABLES])


def create_account(live_server, username, role="handler", display_name=None):
    """Create a staff account with PASSWORD through ``flask staff create-user``."""
    run(
        live_server,
        [str(BIN / "flask"), "--app", "app", "staff", "create-user", username, "--role", role,
         "--display-name", display_name or username, "--password-stdin"],
        stdin=PASSWORD + "\n",
    )
    return username


def submit_complaint(live_server, organisation="北京市浏览器测试公益协会", email=""):
    """Return (tracking number, access code) of a new complaint (with an e-mail address if ``email``)."""
    number, code = run(live_server, [sys.executable, "-c", _SUBMIT, organisation, email]).split()
    return number, code


def delay_account(live_server, username):
    """Type wrong passwords for an account from an attacker's address until its sign-in there is delayed."""
    run(live_server, [sys.executable, "-c", _DELAY, username])


def submit(page, form_selector):
    """Send a form with its submit button, wait for the page that answers and return its response."""
    with page.expect_navigation() as navigation:
        page.locator(f"{form_selector} button[type=submit]").click()
    return navigation.value


def sign_in_with_password(page, username, password=PASSWORD, path="/staff/login"):
    """Fill in the sign-in form at ``path`` and send it; return the response of the page it leads to.

    The browser tests' live server allows more sign-ins from one address than
    STAFF_LOGIN_RATE_LIMIT's default (tests/browser/conftest.py): a 429 is a failure.
    """
    page.goto(path)
    page.fill("#username", username)
    page.fill("#password", password)
    response = submit(page, "form.staff-form")
    assert response.status != 429, f"sign-in of {username} was rate limited: the live server's limit is too low"
    return response


def setup_key(page):
    """Return the TOTP secret shown on the set-up page (without its spaces)."""
    return page.locator(".setup-key .code").inner_text().replace(" ", "")
