"""Staff accounts: the password policy, the CLI, sign-in, lockout, session rotation, timeouts and sign-out."""

import time
from datetime import timedelta

import pyotp
import pytest
from flask_babel import force_locale

from portal import create_app
from portal.extensions import db
from portal.staff import accounts, two_factor
from portal.staff.models import StaffUser
from tests.test_staff_helpers import PASSWORD, create_staff, sign_in, staff_app  # noqa: F401


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
    assert "do not match" in result.output.lower() or "error" in result.output.lower()


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
        user = create_staff("lihua")
        user.locked_until = accounts.utcnow() + timedelta(minutes=10)
        user.failed_logins = 3
        db.session.commit()
        user_id = user.id

    result = runner.invoke(args=["staff", "unlock", "lihua"])
    assert result.exit_code == 0, result.output
    with staff_app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user.locked_until is None and user.failed_logins == 0

    result = runner.invoke(args=["staff", "set-password", "lihua", "--password-stdin"], input="weak\n")
    assert result.exit_code == 1
    result = runner.invoke(args=["staff", "set-password", "lihua", "--password-stdin"], input="Another-Secret-99\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["staff", "set-password", "lihua"], input="Third-Secret-777\nThird-Secret-777\n")
    assert result.exit_code == 0, result.output
    with staff_app.app_context():
        assert accounts.check_password("lihua", "Third-Secret-777").id == user_id

    result = runner.invoke(args=["staff", "deactivate", "lihua"])
    assert result.exit_code == 0
    with staff_app.app_context():
        assert db.session.get(StaffUser, user_id).is_active is False
        with pytest.raises(accounts.LoginFailed):
            accounts.check_password("lihua", "Third-Secret-777")
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


def test_lockout_after_repeated_failures(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    for attempt in range(4):
        assert sign_in(client, "zhangmin", f"Wrong-password-{attempt}").status_code == 401
    response = sign_in(client, "zhangmin", "Wrong-password-5")
    assert "locked" in response.get_data(as_text=True).lower() or "锁定" in response.get_data(as_text=True)
    with staff_app.app_context():
        user = accounts.get_user("zhangmin")
        locked_until = user.locked_until
        assert locked_until is not None
        assert timedelta(minutes=14) < locked_until - accounts.utcnow() <= timedelta(minutes=15)
    # Even the right password is refused while locked.
    response = sign_in(client, "zhangmin")
    assert response.status_code == 401
    assert client.get("/staff/").status_code == 302
    # Once the lock has passed, the right password works and the count starts again.
    with staff_app.app_context():
        user = accounts.get_user("zhangmin")
        user.locked_until = accounts.utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, "zhangmin").status_code == 303
    with staff_app.app_context():
        assert accounts.get_user("zhangmin").failed_logins == 0


def test_lockout_is_per_account(staff_app):
    with staff_app.app_context():
        create_staff("zhangmin")
        create_staff("lihua")
        for _attempt in range(5):
            with pytest.raises(accounts.LoginFailed):
                accounts.check_password("zhangmin", "Wrong-password-1")
        with pytest.raises(accounts.LoginFailed) as caught:
            accounts.check_password("zhangmin", PASSWORD)
        assert caught.value.reason == "locked"
        assert accounts.check_password("lihua", PASSWORD).username == "lihua"
        accounts.unlock("zhangmin")
        assert accounts.check_password("zhangmin", PASSWORD).username == "zhangmin"


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


def test_long_sessions_end(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    sign_in(client, "zhangmin")
    with client.session_transaction() as state:
        state["staff_since"] -= 13 * 3600
    assert client.get("/staff/").status_code == 302


def test_deactivation_and_password_change_end_sessions(staff_app, client):
    with staff_app.app_context():
        create_staff("zhangmin")
    sign_in(client, "zhangmin")
    with staff_app.app_context():
        accounts.set_password("zhangmin", "A-new-password-2")
    assert client.get("/staff/").status_code == 302
    sign_in(client, "zhangmin", "A-new-password-2")
    assert client.get("/staff/").status_code == 200
    with staff_app.app_context():
        accounts.deactivate("zhangmin")
    assert client.get("/staff/").status_code == 302


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
def test_a_copied_session_cookie_ends_with_the_session(staff_app, client, end_the_session):
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
