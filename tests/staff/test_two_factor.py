"""The staff second factor (TOTP): setting it up, signing in with a code, replay and lockout, enforcement
by role, turning it off, resets by a supervisor and by the CLI, and the secret kept out of pages and logs."""

import logging
import re
import time
from datetime import timedelta

import pyotp
import pytest
from flask import url_for
from flask_babel import force_locale

from portal import create_app
from portal.complaints import crypto
from portal.config import defaults
from portal.extensions import db
from portal.staff import accounts, throttle, two_factor
from portal.staff.models import SignInThrottle, StaffUser
from tests.staff.support import PASSWORD, create_staff, reload, sign_in, staff_app, totp_clock  # noqa: F401

#: Every test here runs with the clock stopped mid-step (tests/staff/support.py, totp_clock).
pytestmark = pytest.mark.usefixtures("totp_clock")

EN = {"Accept-Language": "en"}
#: The test client's address (werkzeug's default REMOTE_ADDR).
LOCAL = "127.0.0.1"


def wrong_code(secret):
    """A well-formed code that matches none of the steps accepted now."""
    totp = pyotp.TOTP(secret)
    accepted = {totp.at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if code not in accepted)


def enrol(username):
    """Set up a second factor for ``username`` (in an app context); return its secret.

    Confirmed with the previous step's code, so that the current code is still unused.
    """
    secret = two_factor.new_secret()
    two_factor.enrol(accounts.get_user(username), secret, pyotp.TOTP(secret).at(time.time() - 30))
    return secret


def secret_on_page(html):
    match = re.search(r'<p class="setup-key"><span class="code">([A-Z2-7 ]+)</span></p>', html)
    assert match, "the set-up key is not on the page"
    return match.group(1).replace(" ", "")


def password_step(client, username, next_url=None):
    query = {"next": next_url} if next_url else None
    return client.post("/staff/login", query_string=query, data={"username": username, "password": PASSWORD})


def signed_in(client):
    with client.session_transaction() as state:
        return "_user_id" in state


# -- the service ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, normalised, well_formed",
    [
        ("123456", "123456", True),
        (" 123 456 ", "123456", True),
        ("123-456", "123456", True),
        ("１２３４５６", "123456", True),  # full-width digits, as a Chinese input method types them
        ("12345", "12345", False),
        ("1234567", "1234567", False),
        ("12345a", "12345a", False),
        ("", "", False),
    ],
)
def test_codes_are_normalised(typed, normalised, well_formed):
    assert two_factor.normalise_code(typed) == normalised
    assert two_factor.is_well_formed(normalised) is well_formed


def test_required_roles_setting():
    assert two_factor.required_roles("") == frozenset()
    assert two_factor.required_roles(" supervisor , handler") == {"supervisor", "handler"}
    assert two_factor.required_roles(("supervisor",)) == {"supervisor"}
    with pytest.raises(ValueError):
        two_factor.required_roles("supervisors")


def test_required_roles_default_by_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("STAFF_TOTP_REQUIRED_ROLES", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "production")
    assert defaults(str(tmp_path))["STAFF_TOTP_REQUIRED_ROLES"] == "handler,supervisor"
    monkeypatch.setenv("PORTAL_ENV", "development")
    assert defaults(str(tmp_path))["STAFF_TOTP_REQUIRED_ROLES"] == ""
    monkeypatch.setenv("STAFF_TOTP_REQUIRED_ROLES", "handler,supervisor")
    assert defaults(str(tmp_path))["STAFF_TOTP_REQUIRED_ROLES"] == "handler,supervisor"


@pytest.mark.parametrize("setting, problem", [({"STAFF_TOTP_REQUIRED_ROLES": "boss"}, "unknown role"),
                                              ({"STAFF_TOTP_KEY": "not-a-key"}, "STAFF_TOTP_KEY")])
def test_bad_settings_stop_the_start(tmp_path, setting, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "INDEX_DIR": str(tmp_path), **setting})


def test_secret_is_stored_encrypted_and_codes_are_used_once(staff_app):
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
        user = accounts.get_user("zhangmin")
        assert user.totp_secret != secret and secret not in user.totp_secret
        assert two_factor.unseal(user.totp_secret) == secret
        code = pyotp.TOTP(secret).now()
        assert two_factor.verify_sign_in(user, code, LOCAL).last_login_at is not None
        with pytest.raises(two_factor.CodeRefused) as refused:
            two_factor.verify_sign_in(user, code, LOCAL)
        assert refused.value.reason == "replayed"
        # The next step's code is still good (one step of drift is allowed).
        two_factor.verify_sign_in(user, pyotp.TOTP(secret).at(time.time() + 30), LOCAL)
        # An earlier step than the last accepted one is refused too.
        with pytest.raises(two_factor.CodeRefused):
            two_factor.verify_sign_in(user, pyotp.TOTP(secret).at(time.time() - 30), LOCAL)


def test_separate_key_for_the_secrets(staff_app):
    staff_app.config["STAFF_TOTP_KEY"] = crypto.generate_key()
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
        token = accounts.get_user("zhangmin").totp_secret
        assert two_factor.unseal(token) == secret
        assert crypto.build_fernet(staff_app.config["STAFF_TOTP_KEY"]).decrypt(token.encode()).decode() == secret
        staff_app.config["STAFF_TOTP_KEY"] = None  # back to the contact key: this token is unreadable
        assert two_factor.unseal(token) is None


# -- setting it up -------------------------------------------------------------


def test_enrolment_refuses_a_wrong_code_then_stores_the_secret(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    other = staff_app.test_client()
    assert sign_in(client, "zhangmin").status_code == 303
    assert sign_in(other, "zhangmin").status_code == 303

    response = client.get("/staff/two-factor", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    secret = secret_on_page(page)
    assert len(secret) == 32
    assert 'src="data:image/svg+xml' in page and "<script" not in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    # A reload shows the same secret: a QR code already scanned stays good.
    assert secret_on_page(client.get("/staff/two-factor").get_data(as_text=True)) == secret

    response = client.post("/staff/two-factor", data={"code": wrong_code(secret)}, headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and 'href="#code"' in page and 'aria-invalid="true"' in page
    assert "The code is not correct" in page
    response = client.post("/staff/two-factor", data={"code": ""}, headers=EN)
    assert response.status_code == 400 and "Enter the 6-digit code" in response.get_data(as_text=True)
    with staff_app.app_context():
        assert accounts.get_user("zhangmin").totp_secret is None

    response = client.post("/staff/two-factor", data={"code": pyotp.TOTP(secret).now()}, headers=EN)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/two-factor"
    with staff_app.app_context():
        user = accounts.get_user("zhangmin")
        assert two_factor.unseal(user.totp_secret) == secret and user.totp_last_step is not None
    page = client.get("/staff/two-factor", headers=EN).get_data(as_text=True)
    assert "Two-step verification is on" in page and "Turn off two-step verification" in page
    # This session goes on, in a new session; the other one has ended.
    assert client.get("/staff/").status_code == 200
    assert other.get("/staff/").status_code == 302


def test_enrolment_that_took_too_long_starts_again(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    sign_in(client, "zhangmin")
    secret = secret_on_page(client.get("/staff/two-factor").get_data(as_text=True))
    with client.session_transaction() as state:
        del state["staff_totp_candidate"]
    response = client.post("/staff/two-factor", data={"code": pyotp.TOTP(secret).now()}, headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The set-up took too long" in page and secret_on_page(page) != secret
    with staff_app.app_context():
        assert accounts.get_user("zhangmin").totp_secret is None


# -- signing in with a code ------------------------------------------------------


def test_sign_in_with_a_code(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin", display_name="张敏")
        secret = enrol("zhangmin")
    response = password_step(client, "zhangmin", next_url="/staff/complaints")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login/code"
    assert not signed_in(client)
    with staff_app.app_context():
        # The password alone is not a sign-in.
        assert accounts.get_user("zhangmin").last_login_at is None
    page = client.get("/staff/login/code", headers=EN).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page and '<label for="code">' in page

    response = client.post("/staff/login/code", data={"code": ""}, headers=EN)
    assert response.status_code == 400 and "Enter the 6-digit code" in response.get_data(as_text=True)
    response = client.post("/staff/login/code", data={"code": "12345"}, headers=EN)
    assert response.status_code == 400 and "The code has 6 digits" in response.get_data(as_text=True)
    response = client.post("/staff/login/code", data={"code": wrong_code(secret)}, headers=EN)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "The code is not correct" in page and 'href="#code"' in page and 'aria-describedby="code-hint code-error"' in page
    # A refused code is not shown again (as a number of its own: the footer's example 网站标识码 has zeros too).
    assert not re.search(rf"(?<![0-9]){wrong_code(secret)}(?![0-9])", page)
    assert not signed_in(client)

    with client.session_transaction() as state:
        state["planted"] = "by an attacker"
    code = pyotp.TOTP(secret).now()
    response = client.post("/staff/login/code", data={"code": code})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/complaints"
    with client.session_transaction() as state:
        assert "planted" not in state and "staff_pending" not in state and "_user_id" in state
    assert "张敏" in client.get("/staff/").get_data(as_text=True)
    with staff_app.app_context():
        user = accounts.get_user("zhangmin")
        assert user.last_login_at is not None and throttle.failures("zhangmin", LOCAL) == 0

    # The same code again, in a new sign-in: refused as used.
    client.post("/staff/logout")
    password_step(client, "zhangmin")
    response = client.post("/staff/login/code", data={"code": code}, headers=EN)
    assert response.status_code == 401 and "already been used" in response.get_data(as_text=True)
    assert not signed_in(client)
    # The next code is good.
    response = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert response.status_code == 303 and signed_in(client)


def test_code_step_without_a_password_goes_back_to_sign_in(staff_app, client):
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"
    response = client.post("/staff/login/code", data={"code": "123456"})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"


def test_half_signed_in_state_expires(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
    password_step(client, "zhangmin")
    with client.session_transaction() as state:
        state["staff_pending"] = {**state["staff_pending"], "since": state["staff_pending"]["since"] - 301}
    response = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()}, headers=EN)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert not signed_in(client)
    assert "The sign-in took too long" in client.get("/staff/login", headers=EN).get_data(as_text=True)


def test_half_signed_in_state_ends_with_a_new_password(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
    password_step(client, "zhangmin")
    with staff_app.app_context():
        accounts.set_password("zhangmin", "A-new-password-2")
    response = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert not signed_in(client)


@pytest.mark.parametrize("step", ["code", "enrol"])
def test_half_signed_in_state_reaches_no_staff_page(staff_app, client, step):
    staff_app.config["STAFF_TOTP_REQUIRED_ROLES"] = "supervisor"
    with staff_app.app_context():
        create_staff("super1", "supervisor")
        target = create_staff("handler1").id
        if step == "code":
            enrol("super1")
    response = password_step(client, "super1")
    assert response.headers["Location"] == ("/staff/login/code" if step == "code" else "/staff/two-factor")
    values = {"tracking_number": "TS-20260101-0001", "evidence_id": 1, "user_id": target, "step_name": "accept", "report_id": 1}
    checked = 0
    for rule in staff_app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint in ("staff.login", "staff.login_code"):
            continue
        if step == "enrol" and rule.endpoint == "staff.two_factor":
            continue  # the one page for setting up
        with staff_app.test_request_context():
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={})
            where = f"{method} {url} at the {step} step"
            if method == "GET":
                assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login?next="), where
            else:
                assert response.status_code == 401, where
            checked += 1
    assert checked >= 15
    with staff_app.app_context():
        assert reload(StaffUser, target).totp_secret is None
    assert not signed_in(client)


def test_wrong_codes_count_towards_the_sign_in_delays(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
    bad = wrong_code(secret)
    password_step(client, "zhangmin")
    for _attempt in range(2):
        assert client.post("/staff/login/code", data={"code": bad}).status_code == 401
    # Typing the password again does not clear the count.
    password_step(client, "zhangmin")
    for _attempt in range(3):
        assert client.post("/staff/login/code", data={"code": bad}).status_code == 401
    with staff_app.app_context():
        # Counted for this address, and for the account from every address.
        assert throttle.failures("zhangmin", LOCAL) == 5
        assert throttle.failures("zhangmin", throttle.EVERY_ADDRESS) == 5
    # Delayed: even the right code is refused, unchecked, and the sign-in starts again.
    response = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()}, headers=EN)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Too many wrong codes: wait a few minutes" in page and 'id="username"' in page
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"
    assert password_step(client, "zhangmin").status_code == 401
    # From another address the password step goes on, but the code step of this account waits too.
    elsewhere = staff_app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert password_step(elsewhere, "zhangmin").headers["Location"] == "/staff/login/code"
    response = elsewhere.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 401 and not signed_in(elsewhere)
    assert not signed_in(client)
    # Once the delay is over, the right code signs in and the counts start again.
    with staff_app.app_context():
        for row in db.session.scalars(db.select(SignInThrottle)):
            row.blocked_until = accounts.utcnow() - timedelta(seconds=1)
        db.session.commit()
    password_step(client, "zhangmin")
    assert client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 303
    with staff_app.app_context():
        assert throttle.failures("zhangmin", LOCAL) == 0
        assert throttle.failures("zhangmin", throttle.EVERY_ADDRESS) == 0


def test_an_unreadable_secret_is_refused_without_counting(staff_app, client, caplog):
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
    staff_app.config["STAFF_TOTP_KEY"] = crypto.generate_key()  # not the key the secret was sealed with
    password_step(client, "zhangmin")
    response = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()}, headers=EN)
    assert response.status_code == 401 and "Ask a supervisor to reset it" in response.get_data(as_text=True)
    assert "cannot be decrypted" in caplog.text
    with staff_app.app_context():
        assert throttle.failures("zhangmin", LOCAL) == 0


# -- enforcement by role -----------------------------------------------------------


def test_supervisors_must_set_it_up_when_required(staff_app, client):
    staff_app.config["STAFF_TOTP_REQUIRED_ROLES"] = "supervisor"
    with staff_app.app_context():
        create_staff("super1", "supervisor")
        create_staff("handler1")
    # A handler is not concerned.
    handler = staff_app.test_client()
    assert sign_in(handler, "handler1").headers["Location"] == "/staff/"
    assert handler.get("/staff/").status_code == 200

    response = password_step(client, "super1", next_url="/staff/users")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/two-factor"
    assert not signed_in(client)
    assert client.get("/staff/users").status_code == 302
    page = client.get("/staff/two-factor", headers=EN).get_data(as_text=True)
    assert "Your role requires two-step verification." in page
    assert "Cancel and start the sign-in again" in page and "Sign out" not in page
    secret = secret_on_page(page)
    assert client.post("/staff/two-factor", data={"code": wrong_code(secret)}).status_code == 400
    assert not signed_in(client)
    response = client.post("/staff/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/users"
    assert signed_in(client) and client.get("/staff/users").status_code == 200
    with staff_app.app_context():
        user = accounts.get_user("super1")
        assert user.has_two_factor and user.last_login_at is not None
    # Required: it cannot be turned off, and the page says so.
    page = client.get("/staff/two-factor", headers=EN).get_data(as_text=True)
    assert "cannot be turned off" in page and "/staff/two-factor/disable" not in page
    response = client.post("/staff/two-factor/disable", data={"code": pyotp.TOTP(secret).at(time.time() + 30)}, headers=EN)
    assert response.status_code == 400 and "cannot be turned off" in response.get_data(as_text=True)
    with staff_app.app_context():
        assert accounts.get_user("super1").has_two_factor


def test_a_signed_in_supervisor_is_sent_to_set_it_up(staff_app, client):
    with staff_app.app_context():
        create_staff("super1", "supervisor")
    sign_in(client, "super1")
    assert client.get("/staff/users").status_code == 200
    # The requirement arrives (a new configuration) while the session is open.
    staff_app.config["STAFF_TOTP_REQUIRED_ROLES"] = "supervisor"
    for method, path in [("GET", "/staff/"), ("GET", "/staff/users"), ("POST", "/staff/users/1/clear-sign-in-delays")]:
        response = client.open(path, method=method)
        assert response.status_code in (302, 303) and response.headers["Location"] == "/staff/two-factor", path
    assert client.get("/staff/two-factor").status_code == 200
    assert client.post("/staff/logout").status_code == 303


# -- turning it off, resetting it ----------------------------------------------------


def test_turn_it_off_with_a_code(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
    password_step(client, "zhangmin")
    client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert signed_in(client)
    response = client.post("/staff/two-factor/disable", data={"code": wrong_code(secret)}, headers=EN)
    assert response.status_code == 400
    assert "The code is not correct" in response.get_data(as_text=True)
    with staff_app.app_context():
        user = accounts.get_user("zhangmin")
        assert user.has_two_factor and throttle.failures("zhangmin", LOCAL) == 1
    response = client.post("/staff/two-factor/disable", data={"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert response.status_code == 303
    with staff_app.app_context():
        assert not accounts.get_user("zhangmin").has_two_factor
    assert client.get("/staff/").status_code == 200
    client.post("/staff/logout")
    # The password is enough again.
    assert sign_in(client, "zhangmin").headers["Location"] == "/staff/"


def test_supervisor_resets_anothers_second_factor(staff_app, client, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    with staff_app.app_context():
        create_staff("super1", "supervisor")
        handler_id = create_staff("handler1").id
        supervisor_id = accounts.get_user("super1").id
        handler_secret = enrol("handler1")
        supervisor_secret = enrol("super1")
    handler = staff_app.test_client()
    password_step(handler, "handler1")
    handler.post("/staff/login/code", data={"code": pyotp.TOTP(handler_secret).now()})
    assert handler.get("/staff/").status_code == 200

    password_step(client, "super1")
    client.post("/staff/login/code", data={"code": pyotp.TOTP(supervisor_secret).now()})
    page = client.get("/staff/users", headers=EN).get_data(as_text=True)
    assert "Reset two-step verification of handler1" in page and "of super1" not in page
    assert client.post(f"/staff/users/{supervisor_id}/reset-two-factor").status_code == 400
    assert client.post("/staff/users/99999/reset-two-factor").status_code == 404
    response = client.post(f"/staff/users/{handler_id}/reset-two-factor", headers=EN)
    assert response.status_code == 303
    assert "two-step verification of handler1 is reset" in client.get("/staff/users", headers=EN).get_data(as_text=True)
    with staff_app.app_context():
        assert not reload(StaffUser, handler_id).has_two_factor
        assert reload(StaffUser, supervisor_id).has_two_factor
    # The handler's session has ended; the password alone signs in again.
    assert handler.get("/staff/").status_code == 302
    assert sign_in(handler, "handler1").headers["Location"] == "/staff/"
    assert "Two-step verification of staff account handler1 reset by super1" in caplog.text


def test_cli_resets_a_second_factor(staff_app):
    with staff_app.app_context():
        create_staff("zhangmin")
        enrol("zhangmin")
    runner = staff_app.test_cli_runner()
    result = runner.invoke(args=["staff", "list"])
    assert "two-step on" in result.output
    result = runner.invoke(args=["staff", "reset-totp", "zhangmin"])
    assert result.exit_code == 0, result.output
    assert "Two-step verification of zhangmin reset" in result.output
    with staff_app.app_context():
        assert not accounts.get_user("zhangmin").has_two_factor
    result = runner.invoke(args=["staff", "reset-totp", "nobody"])
    assert result.exit_code == 1 and "没有名为“nobody”的工作人员账户" in result.output


# -- the secret stays secret -----------------------------------------------------------


def test_secret_is_never_shown_again_nor_logged(staff_app, client, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "sqlalchemy", "sqlalchemy.engine", "portal"):
        caplog.set_level(logging.DEBUG, logger=name)
    staff_app.config["STAFF_TOTP_REQUIRED_ROLES"] = "supervisor"
    with staff_app.app_context():
        create_staff("super1", "supervisor")
        create_staff("handler1")
    password_step(client, "super1")
    secret = secret_on_page(client.get("/staff/two-factor").get_data(as_text=True))
    grouped = two_factor.grouped(secret)
    uri_secret = f"secret={secret}"
    response = client.post("/staff/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 303

    responses = [response]
    for path in ("/staff/", "/staff/two-factor", "/staff/users", "/staff/password", "/staff/complaints"):
        responses.append(client.get(path))
        responses.append(client.get(path, headers=EN))
    client.post("/staff/logout")
    password_step(client, "super1")
    responses.append(client.get("/staff/login/code"))
    responses.append(client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).at(time.time() + 30)}))
    responses.append(client.get("/staff/two-factor"))
    assert signed_in(client)
    for shown in responses:
        text = shown.get_data(as_text=True) + str(shown.headers)
        for form in (secret, grouped, uri_secret, secret.lower()):
            assert form not in text, shown.request.path
    with staff_app.app_context():
        stored = accounts.get_user("super1").totp_secret
    logged = caplog.text
    assert "SELECT" in logged  # the engine did log statements
    for form in (secret, grouped, secret.lower(), stored):
        assert form not in logged


def test_pages_speak_chinese_first(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
        secret = enrol("zhangmin")
    password_step(client, "zhangmin")
    page = client.get("/staff/login/code").get_data(as_text=True)
    assert "输入验证码" in page and "6 位验证码" in page
    client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()})
    response = client.post("/staff/two-factor/disable", data={"code": wrong_code(secret)})
    assert "验证码不正确" in response.get_data(as_text=True)
    with staff_app.test_request_context("/"), force_locale("zh"):
        assert str(two_factor.refusal_message("replayed")) == "此验证码已使用过。请等待下一个验证码出现后再输入。"
