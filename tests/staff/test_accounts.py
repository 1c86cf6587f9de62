"""Staff accounts: the password policy, the CLI, sign-in, lockout, session rotation, timeouts and sign-out."""

import re
import statistics
import time
from datetime import timedelta

import pyotp
import pytest
from flask_babel import force_locale
from werkzeug.security import check_password_hash

from portal import create_app
from portal.extensions import db
from portal.staff import accounts, throttle, two_factor
from portal.staff.models import StaffUser
from tests.staff.support import PASSWORD, create_staff, sign_in, staff_app, totp_clock  # noqa: F401

#: Client addresses (documentation ranges): an attacker's, and the real user's.
ATTACKER = "203.0.113.66"
USER_ADDRESS = "198.51.100.7"


# -- password policy -----------------------------------------------------------


@pytest.mark.parametrize(
    "password, problem",
    [
        ("Short-1", "at least 12 characters"),
        ("alllowercaseletters", "two kinds of characters"),
        ("ALLUPPERCASELETTERS", "two kinds of characters"),
        ("123456789012345", "two kinds of characters"),
        ("中文密码中文密码中文密码中文密码", "two kinds of characters"),
        ("zhangmin-Password-1", "must not contain the username"),
        ("ZHANGMIN2026!!", "must not contain the username"),
        ("x" * 250 + "Y" * 10, "at most 256 characters"),
    ],
)
def test_password_policy_refuses(staff_app, password, problem):
    with staff_app.app_context(), force_locale("en"):
        problems = [str(message) for message in accounts.password_problems(password, "zhangmin")]
    assert any(problem in message for message in problems), problems


@pytest.mark.parametrize("password", ["Correct-Horse-42", "correct horse battery", "长城长城长城长城abc1", "abcdefghijk1"])
def test_password_policy_accepts(staff_app, password):
    with staff_app.app_context():
        assert accounts.password_problems(password, "zhangmin") == []


def test_password_policy_minimum_is_configurable(staff_app):
    staff_app.config["STAFF_PASSWORD_MIN_LENGTH"] = 16
    with staff_app.app_context():
        assert accounts.password_problems("Correct-Horse-42", "zhangmin") == []
        assert accounts.password_problems("Correct-Horse-4", "zhangmin")


def test_passwords_are_scrypt_hashes(staff_app):
    with staff_app.app_context():
        user = create_staff("zhangmin")
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash


# -- CLI -----------------------------------------------------------------------


def test_create_user_prompts_twice(staff_app):
    runner = staff_app.test_cli_runner()
    result = runner.invoke(
        args=["staff", "create-user", "zhangmin", "--role", "supervisor", "--display-name", "张敏"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created supervisor zhangmin" in result.output
    with staff_app.app_context():
        user = accounts.get_user("zhangmin")
        assert (user.role, user.display_name, user.is_active) == ("supervisor", "张敏", True)


def test_create_user_prompt_must_match(staff_app):
    runner = staff_app.test_cli_runner()
    result = runner.invoke(
        args=["staff", "create-user", "zhangmin", "--role", "handler", "--display-name", "张敏"],
        input=f"{PASSWORD}\nSomething-else-1\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Password: \nRepeat the password: \nError: The two entered values do not match.\n"
        "Password: \nRepeat the password: \nCreated handler zhangmin (张敏).\n"
    )
    with staff_app.app_context():
        assert check_password_hash(accounts.get_user("zhangmin").password_hash, PASSWORD)


def test_create_user_from_stdin_and_refusals(staff_app):
    runner = staff_app.test_cli_runner()
    arguments = ["staff", "create-user", "lihua", "--role", "handler", "--display-name", "李华", "--password-stdin"]
    # The commands speak the portal's default language, Chinese.
    result = runner.invoke(args=arguments, input="short\n")
    assert result.exit_code == 1
    assert "密码至少须有 12 个字符" in result.output
    result = runner.invoke(args=arguments, input="LiHua-password-1\n")
    assert result.exit_code == 1 and "密码不得包含用户名" in result.output
    result = runner.invoke(args=arguments, input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    # The same username again, in another case.
    result = runner.invoke(args=["staff", "create-user", "LIHUA", *arguments[3:]], input=f"{PASSWORD}\n")
    assert result.exit_code == 1 and "工作人员账户已存在" in result.output
    result = runner.invoke(args=["staff", "create-user", "x y", *arguments[3:]], input=f"{PASSWORD}\n")
    assert result.exit_code == 1 and "用户名" in result.output
    result = runner.invoke(
        args=["staff", "create-user", "wang", "--role", "boss", "--display-name", "王", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 2  # click refuses the role


def test_set_password_unlock_deactivate_activate(staff_app):
    runner = staff_app.test_cli_runner()
    with staff_app.app_context():
        user_id = create_staff("lihua").id
        for _failure in range(5):
            throttle.record_failure("LiHua", ATTACKER, accounts.utcnow())
    result = runner.invoke(args=["staff", "list"])
    assert "sign-in delayed until" in result.output

    # "unlock" clears the sign-in delays, from every address.
    result = runner.invoke(args=["staff", "unlock", "lihua"])
    assert result.exit_code == 0, result.output
    assert "Sign-in delays of lihua cleared." in result.output
    with staff_app.app_context():
        assert throttle.delayed_until("lihua", ATTACKER, accounts.utcnow()) is None
    assert "sign-in delayed" not in runner.invoke(args=["staff", "list"]).output

    result = runner.invoke(args=["staff", "set-password", "lihua", "--password-stdin"], input="weak\n")
    assert result.exit_code == 1
    result = runner.invoke(args=["staff", "set-password", "lihua", "--password-stdin"], input="Another-Secret-99\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["staff", "set-password", "lihua"], input="Third-Secret-777\nThird-Secret-777\n")
    assert result.exit_code == 0, result.output
    with staff_app.app_context():
        assert accounts.check_password("lihua", "Third-Secret-777", USER_ADDRESS).id == user_id

    result = runner.invoke(args=["staff", "deactivate", "lihua"])
    assert result.exit_code == 0
    with staff_app.app_context():
        assert db.session.get(StaffUser, user_id).is_active is False
        with pytest.raises(accounts.LoginFailed):
            accounts.check_password("lihua", "Third-Secret-777", USER_ADDRESS)
    result = runner.invoke(args=["staff", "list"])
    assert "lihua\thandler" in result.output and "deactivated" in result.output
    result = runner.invoke(args=["staff", "activate", "lihua"])
    assert result.exit_code == 0
    result = runner.invoke(args=["staff", "unlock", "nobody"])
    assert result.exit_code == 1 and "没有名为“nobody”的工作人员账户" in result.output


# -- sign-in -------------------------------------------------------------------


def test_sign_in_and_out(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin", "handler", "张敏")
    response = client.get("/staff/login")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    response = sign_in(client, "ZhangMin")  # usernames are not case-sensitive
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    page = client.get("/staff/").get_data(as_text=True)
    assert "张敏" in page
    with staff_app.app_context():
        assert accounts.get_user("zhangmin").last_login_at is not None
    # Sign-out is a POST: a GET is not a route.
    assert client.get("/staff/logout").status_code == 405
    response = client.post("/staff/logout")
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_unknown_user_look_alike(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    wrong = sign_in(client, "zhangmin", "Wrong-password-1")
    unknown = sign_in(client, "nobody", "Wrong-password-1")
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        page = response.get_data(as_text=True)
        assert 'class="error-summary"' in page and 'href="#username"' in page


def test_empty_form_explains_itself(staff_app, client):
    response = client.post("/staff/login", data={"username": "", "password": ""}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter your username." in page and "Enter your password." in page
    assert 'aria-describedby="username-error"' in page and 'aria-invalid="true"' in page


# -- sign-in delays instead of a lockout (issue 14, finding 9) --------------------


def client_at(app, address):
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_delays_grow_after_the_free_attempts_and_end(staff_app):
    start = accounts.utcnow()
    with staff_app.app_context():
        for failure in range(1, 5):
            throttle.record_failure("ZhangMin ", ATTACKER, start)
            assert throttle.delayed_until("zhangmin", ATTACKER, start) is None, failure
        delays = []
        now = start
        for _failure in range(5, 13):
            throttle.record_failure("zhangmin", ATTACKER, now)
            until = throttle.delayed_until("zhangmin", ATTACKER, now)
            delays.append((until - now).total_seconds())
            # Attempts during the delay are refused without being counted, and do not extend it.
            throttle.record_refused("zhangmin", ATTACKER, now + timedelta(seconds=1))
            assert throttle.delayed_until("zhangmin", ATTACKER, now + timedelta(seconds=1)) == until
            now = until + timedelta(seconds=1)
            assert throttle.delayed_until("zhangmin", ATTACKER, now) is None
        # 30 s after the fifth failure, doubling each time, at most an hour.
        assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600]
        assert throttle.failures("zhangmin", ATTACKER) == 12
        # Another address, and another name from the attacker's address, are not delayed.
        assert throttle.delayed_until("zhangmin", USER_ADDRESS, now - timedelta(seconds=2)) is None
        assert throttle.delayed_until("lihua", ATTACKER, now - timedelta(seconds=2)) is None
        # A quiet pair is forgotten after STAFF_SIGN_IN_FORGET_HOURS.
        throttle.forget_stale(now + timedelta(hours=25))
        assert throttle.failures("zhangmin", ATTACKER) == 0


def test_an_attacker_does_not_lock_out_the_real_user(staff_app):
    """Issue 14, finding 9: wrong passwords from one address delay only that address, never the account."""
    with staff_app.app_context():
        create_staff("zhangmin")
    attacker = client_at(staff_app, ATTACKER)
    for attempt in range(7):
        assert sign_in(attacker, "zhangmin", f"Wrong-password-{attempt}").status_code == 401
    # The attacker is delayed, even with the right password.
    assert sign_in(attacker, "zhangmin").status_code == 401
    assert attacker.get("/staff/").status_code == 302
    # The real user, at another address, signs in as usual.
    user = client_at(staff_app, USER_ADDRESS)
    assert sign_in(user, "zhangmin").status_code == 303
    assert user.get("/staff/").status_code == 200
    # Their sign-in does not lift the attacker's delay.
    assert sign_in(attacker, "zhangmin").status_code == 401
    with staff_app.app_context():
        assert throttle.delayed_until("zhangmin", ATTACKER, accounts.utcnow()) is not None
        assert throttle.failures("zhangmin", USER_ADDRESS) == 0


def delay_from_the_attacker(app, username="zhangmin"):
    """Type wrong passwords for ``username`` from ATTACKER until its attempts from there are delayed."""
    attacker = client_at(app, ATTACKER)
    for attempt in range(5):
        assert sign_in(attacker, username, f"Wrong-password-{attempt}").status_code == 401
    return attacker


def test_delays_follow_an_ipv6_client_across_its_network(staff_app):
    """An IPv6 subscriber holds a whole /64: fresh addresses in it do not escape the delay (as for rate limits)."""
    with staff_app.app_context():
        create_staff("zhangmin")
    for host in range(1, 6):
        assert sign_in(client_at(staff_app, f"2001:db8:1:2::{host}"), "zhangmin", "Wrong-password-1").status_code == 401
    assert sign_in(client_at(staff_app, "2001:db8:1:2::99"), "zhangmin").status_code == 401
    assert sign_in(client_at(staff_app, "2001:db8:1:3::1"), "zhangmin").status_code == 303


def test_a_forged_forwarded_address_does_not_escape_the_delay(staff_app):
    """With no trusted proxy (TRUSTED_PROXY_HOPS 0), X-Forwarded-For is ignored by the sign-in delays."""
    with staff_app.app_context():
        create_staff("zhangmin")
    attacker = client_at(staff_app, ATTACKER)
    for attempt in range(5):
        response = attacker.post(
            "/staff/login", data={"username": "zhangmin", "password": f"Wrong-password-{attempt}"},
            headers={"X-Forwarded-For": f"192.0.2.{attempt + 1}"},
        )
        assert response.status_code == 401
    response = attacker.post(
        "/staff/login", data={"username": "zhangmin", "password": PASSWORD}, headers={"X-Forwarded-For": USER_ADDRESS}
    )
    assert response.status_code == 401


def _refusal_page(response, username):
    """The page of a refused sign-in, without what the visitor typed or any per-request token."""
    page = response.get_data(as_text=True).replace(username, "USERNAME")
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', 'name="csrf_token"', page)


@pytest.mark.parametrize(
    "language, message",
    [
        ("zh", "登录失败：用户名或密码不正确，或者您所在的地址登录失败次数过多。请检查后，过几分钟再试。"),
        ("en", "Sign-in failed: the username or password is not correct, or there were too many failed attempts "
               "from your address. Check them, and try again in a few minutes."),
    ],
)
def test_unknown_wrong_delayed_and_deactivated_look_alike(staff_app, language, message):
    """Issue 14, finding 9: the same answer, byte for byte, whether the name exists, the password is wrong or the
    attempt is delayed."""
    with staff_app.app_context():
        create_staff("zhangmin")
        create_staff("leftus")
        accounts.deactivate("leftus")
    delay_from_the_attacker(staff_app, "zhangmin")
    delay_from_the_attacker(staff_app, "nobody99")
    headers = {"Accept-Language": language}
    attempts = {
        "unknown": ("192.0.2.1", "nobody11", "Wrong-password-1"),
        "wrong password": ("192.0.2.2", "zhangmin", "Wrong-password-1"),
        "delayed, right password": (ATTACKER, "zhangmin", PASSWORD),
        "delayed, unknown name": (ATTACKER, "nobody99", PASSWORD),
        "deactivated, right password": ("192.0.2.3", "leftus", PASSWORD),
    }
    pages = {}
    for kind, (address, username, password) in attempts.items():
        response = client_at(staff_app, address).post(
            "/staff/login", data={"username": username, "password": password}, headers=headers
        )
        assert response.status_code == 401, kind
        pages[kind] = _refusal_page(response, username)
        assert message in pages[kind], kind
    assert len(set(pages.values())) == 1, sorted(pages)


def test_every_refusal_costs_one_password_check(staff_app, monkeypatch):
    """Issue 14, finding 9: unknown names and delayed attempts run the same KDF as a wrong password, once."""
    with staff_app.app_context():
        create_staff("zhangmin")
    attacker = delay_from_the_attacker(staff_app)
    checked = []
    real_check = accounts.check_password_hash

    def counting_check(stored_hash, password):
        checked.append(stored_hash.split("$")[0])
        return real_check(stored_hash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting_check)
    for client, username, password in [
        (client_at(staff_app, "192.0.2.1"), "nobody", "Wrong-password-1"),
        (client_at(staff_app, "192.0.2.2"), "zhangmin", "Wrong-password-1"),
        (attacker, "zhangmin", PASSWORD),
        (attacker, "zhangmin", "Wrong-password-1"),
    ]:
        checked.clear()
        assert sign_in(client, username, password).status_code == 401
        assert checked == ["scrypt:32768:8:1"], (username, password)
    # The dummy hash has the parameters of real ones (scrypt:N:r:p), so it costs as much to check.
    assert accounts.DUMMY_HASH.split("$")[0] == accounts.hash_password("x").split("$")[0]


def test_refusals_take_the_same_time(staff_app):
    """Issue 14, finding 9: an unknown name, a wrong password and a delayed attempt take as long.

    Rounds interleave the three kinds, so that the load of a busy machine falls
    on all of them alike; the medians are compared. A path that skipped the
    scrypt check (50-600 ms on this machine, loaded or not) would take a few
    milliseconds. Measured 2026-12: medians within 16 % of each other.
    """
    staff_app.config["STAFF_SIGN_IN_DELAY_SECONDS"] = 3600  # the delayed kind stays delayed throughout
    with staff_app.app_context():
        create_staff("zhangmin")
    attacker = delay_from_the_attacker(staff_app)
    kinds = {"unknown": [], "wrong password": [], "delayed": []}
    for round_number in range(10):
        attempts = {
            # A fresh address each round: these kinds must not become delayed.
            "unknown": (client_at(staff_app, f"192.0.2.{round_number + 1}"), f"nobody{round_number}"),
            "wrong password": (client_at(staff_app, f"198.51.100.{round_number + 1}"), "zhangmin"),
            "delayed": (attacker, "zhangmin"),
        }
        for kind, (client, username) in attempts.items():
            started = time.perf_counter()
            assert sign_in(client, username, "Wrong-password-1").status_code == 401
            if round_number:  # the first round warms up (connections, statement caches)
                kinds[kind].append(time.perf_counter() - started)
    medians = {kind: statistics.median(times) for kind, times in kinds.items()}
    assert max(medians.values()) < 1.5 * min(medians.values()), medians


def test_session_is_rotated_at_sign_in(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
        before["csrf_token"] = "a-token-fixed-before-sign-in"
    sign_in(client, "zhangmin")
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") != "a-token-fixed-before-sign-in"
        assert "_user_id" in after


def test_sign_in_goes_to_the_page_asked_for_only_within_staff(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    response = client.get("/staff/complaints?state=all")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    response = client.post("/staff/login?next=/staff/complaints?state%3Dall", data={"username": "zhangmin", "password": PASSWORD})
    assert response.headers["Location"] == "/staff/complaints?state=all"
    client.post("/staff/logout")
    for target in ("https://evil.example/", "//evil.example/", "/org/123"):
        response = client.post("/staff/login", query_string={"next": target}, data={"username": "zhangmin", "password": PASSWORD})
        assert response.headers["Location"] == "/staff/"
        client.post("/staff/logout")


def test_idle_session_times_out(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    sign_in(client, "zhangmin")
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as state:
        state["staff_seen"] -= 31 * 60
    response = client.get("/staff/", headers={"Accept-Language": "en"})
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "signed out after a period of inactivity" in page


def assert_sent_to_sign_in(client, notice=None):
    """The console sends ``client`` to the sign-in form, signed out, with ``notice`` (English) if given."""
    response = client.get("/staff/", headers={"Accept-Language": "en"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=/staff/"
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'action="/staff/login' in body and 'name="password"' in body
    if notice is not None:
        assert notice in body


def test_long_sessions_end(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    sign_in(client, "zhangmin")
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as state:
        state["staff_since"] -= 13 * 3600
    assert_sent_to_sign_in(client, "signed out after a period of inactivity")


def test_deactivation_and_password_change_end_sessions(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    sign_in(client, "zhangmin")
    assert client.get("/staff/").status_code == 200
    with staff_app.app_context():
        accounts.set_password("zhangmin", "A-new-password-2")
    assert_sent_to_sign_in(client)
    assert sign_in(client, "zhangmin").status_code == 401  # the old password is gone
    assert sign_in(client, "zhangmin", "A-new-password-2").status_code == 303
    assert client.get("/staff/").status_code == 200
    with staff_app.app_context():
        accounts.deactivate("zhangmin")
    assert_sent_to_sign_in(client)
    assert sign_in(client, "zhangmin", "A-new-password-2").status_code == 401


def copy_of_the_session(app, client):
    """A second client holding a copy of ``client``'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def end_by_signing_out(app, client):
    assert client.post("/staff/logout").status_code == 303


def end_by_the_cli_password(app, client):
    result = app.test_cli_runner().invoke(
        args=["staff", "set-password", "zhangmin", "--password-stdin"], input="A-new-password-2\n"
    )
    assert result.exit_code == 0, result.output


def end_by_the_console_password(app, client):
    response = client.post(
        "/staff/password",
        data={"current_password": PASSWORD, "new_password": "A-new-password-2", "confirm_password": "A-new-password-2"},
    )
    assert response.status_code == 303
    # The session that changed the password goes on, in a new session.
    assert client.get("/staff/").status_code == 200


def end_by_a_second_factor_reset(app, client):
    with app.app_context():
        create_staff("boss1", "supervisor")
        user_id = accounts.get_user("zhangmin").id
    supervisor = app.test_client()
    assert sign_in(supervisor, "boss1").status_code == 303
    assert supervisor.post(f"/staff/users/{user_id}/reset-two-factor").status_code == 303


def end_by_the_cli_second_factor_reset(app, client):
    result = app.test_cli_runner().invoke(args=["staff", "reset-totp", "zhangmin"])
    assert result.exit_code == 0, result.output


def end_by_deactivation(app, client):
    result = app.test_cli_runner().invoke(args=["staff", "deactivate", "zhangmin"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "end_the_session",
    [
        end_by_signing_out,
        end_by_the_cli_password,
        end_by_the_console_password,
        end_by_a_second_factor_reset,
        end_by_the_cli_second_factor_reset,
        end_by_deactivation,
    ],
)
def test_a_copied_session_cookie_ends_with_the_session(staff_app, client, end_the_session, totp_clock):
    """Issue 14, finding 8: a session cookie copied before a sign-out (or a credential change) no longer works."""
    with staff_app.app_context():
        create_staff("zhangmin")
        if "second_factor" in end_the_session.__name__:
            # A second factor to reset, set up (and the sign-in completed) as its owner does.
            secret = two_factor.new_secret()
            two_factor.enrol(accounts.get_user("zhangmin"), secret, pyotp.TOTP(secret).at(time.time() - 30))
    assert sign_in(client, "zhangmin").status_code == 303
    if "second_factor" in end_the_session.__name__:
        assert client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 303
    thief = copy_of_the_session(staff_app, client)
    # The copy works while the session lasts (the cookie is all a session is).
    assert thief.get("/staff/").status_code == 200
    end_the_session(staff_app, client)
    response = thief.get("/staff/complaints")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert thief.post("/staff/logout").status_code in (400, 401)


def test_signing_out_ends_every_session_of_the_account(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
        create_staff("lihua")
    other_device = staff_app.test_client()
    colleague = staff_app.test_client()
    for browser, username in ((client, "zhangmin"), (other_device, "zhangmin"), (colleague, "lihua")):
        assert sign_in(browser, username).status_code == 303
    response = client.post("/staff/logout", headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "signed out of every session" in response.get_data(as_text=True)
    assert other_device.get("/staff/").status_code == 302
    # Another account's sessions go on.
    assert colleague.get("/staff/").status_code == 200
    # Signing in again opens a session of the new generation.
    assert sign_in(client, "zhangmin").status_code == 303
    assert client.get("/staff/").status_code == 200


def test_change_own_password(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    other = staff_app.test_client()
    sign_in(client, "zhangmin")
    sign_in(other, "zhangmin")
    response = client.post(
        "/staff/password",
        data={"current_password": "Wrong-password-1", "new_password": "A-new-password-2", "confirm_password": "A-new-password-2"},
    )
    assert response.status_code == 400
    response = client.post(
        "/staff/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400 and "at least 12 characters" in response.get_data(as_text=True)
    response = client.post(
        "/staff/password",
        data={"current_password": PASSWORD, "new_password": "A-new-password-2", "confirm_password": "A-new-password-3"},
    )
    assert response.status_code == 400
    response = client.post(
        "/staff/password",
        data={"current_password": PASSWORD, "new_password": "A-new-password-2", "confirm_password": "A-new-password-2"},
    )
    assert response.status_code == 303
    # This session goes on; the other one has ended.
    assert client.get("/staff/").status_code == 200
    assert other.get("/staff/").status_code == 302


def test_logout_needs_the_csrf_token(staff_app, database_urls, scoring_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_urls[0],
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(tmp_path / "index2"),
            "RATELIMIT_ENABLED": False,
            "PAGE_CACHE_SIZE": 0,
        }
    )
    with app.app_context():
        create_staff("zhangmin")
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    # Without the token, sign-in is refused.
    assert client.post("/staff/login", data={"username": "zhangmin", "password": PASSWORD}).status_code == 400
    response = client.post("/staff/login", data={"username": "zhangmin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    page = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    # A form left open past the session's end explains itself.
    response = client.post("/staff/complaints/TS-20260101-0001/notes", data={"note-note": "x"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This form has expired, or your session has ended" in response.get_data(as_text=True)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_sign_in_is_rate_limited_per_address(staff_app, database_urls, scoring_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_urls[0],
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": str(tmp_path / "index2"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "STAFF_LOGIN_RATE_LIMIT": "3 per minute",
            "PAGE_CACHE_SIZE": 0,
        }
    )
    client = app.test_client()
    statuses = [
        client.post("/staff/login", data={"username": f"user{n}", "password": "Wrong-password-1"}).status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    # Showing the form is not limited.
    assert client.get("/staff/login").status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
