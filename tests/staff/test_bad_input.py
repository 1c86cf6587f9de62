"""Bad input to the staff console's forms and addresses: a clear 4xx in the user's language, never a 500.

Every POST form of the console (sign-in, password, second factor, a workflow
step, a note, the assignment, a user's delays and second factor, a site error
report) and the console's query parameters, with empty, too long, unknown and
NUL-bearing values. Asked in Chinese (the default) and in English (the
language cookie), each case must give its message in that language on a page
whose <html lang> says so. A NUL once reached PostgreSQL from the sign-in form
and from a complaint's address (psycopg refuses it: a 500); control characters
are now dropped from typed text, and a malformed tracking number is no
complaint's.
"""

import html
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from portal.complaints.models import ComplaintEvent
from portal.extensions import db
from portal.staff import accounts
from portal.staff.accounts import utcnow
from tests.staff.support import PASSWORD, create_staff, make_complaint, sign_in

HTML_LANG = {"zh": 'lang="zh-CN"', "en": 'lang="en"'}
UNKNOWN_NUMBER = "TS-20000101-0001"


@dataclass
class Case:
    id: str
    path: str
    data: dict
    status: int
    en: str
    zh: str
    signed_in: bool = True
    method: str = "POST"
    before: str | None = field(default=None)  # a page to GET first (it starts the form's state)


SIGN_IN_FAILED = ("Sign-in failed: the username or password is not correct",
                  "登录失败：用户名或密码不正确")
NO_SUCH_ACCOUNT = ("There is no such staff account.", "没有该工作人员账户。")
NO_PAGE = ("There is no page at this address.", "此网址没有对应的页面")

CASES = [
    Case("sign-in-empty", "/staff/login", {"username": "", "password": ""}, 400,
         "Enter your username.", "请输入用户名。", signed_in=False),
    Case("sign-in-name-too-long", "/staff/login", {"username": "x" * 65, "password": "y"}, 400,
         "Field cannot be longer than 64 characters.", "字段长度不能超过 64 个字符", signed_in=False),
    Case("sign-in-nul-in-name", "/staff/login", {"username": "nobody\x00", "password": PASSWORD}, 401,
         *SIGN_IN_FAILED, signed_in=False),
    Case("sign-in-nul-in-password", "/staff/login", {"username": "super1", "password": "p\x00"}, 401,
         *SIGN_IN_FAILED, signed_in=False),
    Case("sign-in-repeated-name", "/staff/login", {"username": ["a", "b"], "password": "x"}, 401,
         *SIGN_IN_FAILED, signed_in=False),
    Case("password-empty", "/staff/password", {"current_password": "", "new_password": "", "confirm_password": ""},
         400, "Enter your current password.", "请输入当前密码。"),
    Case("password-too-short", "/staff/password",
         {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"}, 400,
         "The password must be at least 12 characters long.", "密码至少须有 12 个字符。"),
    Case("password-not-repeated", "/staff/password",
         {"current_password": PASSWORD, "new_password": "Aa1-long-pass", "confirm_password": "other"}, 400,
         "The two new passwords are not the same.", "两次输入的新密码不一致。"),
    Case("password-nul", "/staff/password",
         {"current_password": "wrong\x00", "new_password": "Aa1-long-pass\x00", "confirm_password": "Aa1-long-pass\x00"},
         400, "The current password is not correct.", "当前密码不正确。"),
    Case("code-nul", "/staff/two-factor", {"code": "\x00" * 6}, 400,
         "Enter the 6-digit code shown by your authenticator app.", "请输入身份验证器应用显示的 6 位验证码。", before="/staff/two-factor"),
    Case("code-letters", "/staff/two-factor", {"code": "abcdef"}, 400, "The code has 6 digits, like 123456.",
         "验证码为 6 位数字，例如 123456。", before="/staff/two-factor"),
    Case("note-empty", "/staff/complaints/{number}/notes", {"note-note": " "}, 400, "Write the note.", "请填写备注内容。"),
    Case("note-too-long", "/staff/complaints/{number}/notes", {"note-note": "长" * 5001}, 400,
         "At most 5000 characters.", "最多 5000 个字符。"),
    Case("step-unknown", "/staff/complaints/{number}/step/bogus", {}, 404,
         "There is no step “bogus” in the complaint workflow.", "投诉举报办理流程中没有“bogus”这一步骤。"),
    Case("step-unknown-nul", "/staff/complaints/{number}/step/%00", {}, 404,
         "in the complaint workflow.", "这一步骤。"),
    Case("step-without-reason", "/staff/complaints/{number}/step/reject", {"reject-reason": "\x00 "}, 400,
         "Give the reason for not accepting the complaint; the complainant will see it.",
         "请填写不予受理的理由，投诉举报人将看到该理由。"),
    Case("step-not-from-this-state", "/staff/complaints/{number}/step/answer", {}, 409,
         "A complaint that is “Awaiting acceptance” cannot be moved by", "处于“待受理”状态的投诉举报不能执行"),
    Case("assign-unknown-account", "/staff/complaints/{number}/assign", {"assign-assignee": "99999"}, 400,
         "Not a valid choice.", "不是有效的选择。"),
    Case("assign-nul", "/staff/complaints/{number}/assign", {"assign-assignee": "\x00"}, 400,
         "Not a valid choice.", "不是有效的选择。"),
    Case("unknown-complaint", f"/staff/complaints/{UNKNOWN_NUMBER}/notes", {"note-note": "备注"}, 404,
         f"There is no complaint with the tracking number {UNKNOWN_NUMBER}.", f"没有受理编号为 {UNKNOWN_NUMBER} 的投诉举报。"),
    Case("complaint-number-nul", "/staff/complaints/%00/notes", {"note-note": "备注"}, 404,
         "There is no complaint with the tracking number", "的投诉举报。"),
    Case("complaint-number-nul-at-the-end", "/staff/complaints/{number}%00", {}, 404,
         "There is no complaint with the tracking number", "的投诉举报。", method="GET"),
    Case("complaint-number-very-long", "/staff/complaints/" + "T" * 3000, {}, 404,
         f"There is no complaint with the tracking number {'T' * 30}.", f"没有受理编号为 {'T' * 30} 的投诉举报。",
         method="GET"),
    Case("delays-of-an-unknown-account", "/staff/users/99999/clear-sign-in-delays", {}, 404, *NO_SUCH_ACCOUNT),
    Case("second-factor-of-an-unknown-account", "/staff/users/99999/reset-two-factor", {}, 404, *NO_SUCH_ACCOUNT),
    # Beyond PostgreSQL's integer (2**31 - 1): once a 500 there (the fuzz test found it); now no address at all.
    *[Case(f"row-id-out-of-range-{number}", path.format(number), {}, 404, *NO_PAGE)
      for number in (2**31, 10**12)
      for path in ("/staff/users/{}/clear-sign-in-delays", "/staff/users/{}/reset-two-factor",
                   "/staff/site-errors/{}/handled")],
    Case("evidence-id-out-of-range", "/staff/complaints/{number}/evidence/1000000000000", {}, 404, *NO_PAGE,
         method="GET"),
    Case("own-second-factor", "/staff/users/{supervisor}/reset-two-factor", {}, 400,
         "You cannot reset your own two-step verification.", "您不能重置自己的两步验证"),
    Case("unknown-site-error-report", "/staff/site-errors/99999/handled", {}, 404,
         "There is no error report number 99999.", "没有编号为 99999 的找错报告。"),
    Case("site-errors-status", "/staff/site-errors?status=bogus", {}, 400,
         "“bogus” is not a possible value for “status”.", "“bogus”不是“status”的有效取值。", method="GET"),
    Case("queue-state", "/staff/complaints?state=bogus", {}, 400,
         "“bogus” is not a possible value for “state”.", "“bogus”不是“state”的有效取值。", method="GET"),
    Case("queue-page", "/staff/complaints?page=abc", {}, 400,
         "The page number must be a whole number from 1 upwards.", "页码必须是从 1 开始的整数。", method="GET"),
]


@pytest.fixture(scope="module")
def console(shared_demo_portal):
    """Accounts and a complaint awaiting acceptance on the module's portal."""
    app = shared_demo_portal
    with app.app_context():
        supervisor = accounts.get_user("super1") or create_staff("super1", "supervisor", "苏主管")
        if accounts.get_user("handler1") is None:
            create_staff("handler1", "handler", "韩处理")
        complaint, _code = make_complaint(now=utcnow())
        app.console = {"number": complaint.tracking_number, "supervisor": supervisor.id}
    return app


def client_in(app, language, signed_in):
    client = app.test_client()
    if language == "en":
        client.set_cookie("lang", "en")
    if signed_in:
        with app.app_context():
            accounts.clear_sign_in_delays("super1")
        assert sign_in(client, "super1").status_code == 303
    return client


def visible_text(body):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_a_clear_message(console, case, language):
    client = client_in(console, language, case.signed_in)
    if case.before:
        client.get(case.before)
    path = case.path.format(**console.console)
    response = client.open(path, method=case.method, data=case.data if case.method == "POST" else None)
    body = response.get_data(as_text=True)
    assert response.status_code == case.status, body[:3000]
    assert HTML_LANG[language] in body
    assert getattr(case, language) in visible_text(body)
    assert "Traceback" not in body and "\x00" not in body


@pytest.mark.parametrize("text_field, path, data", [
    ("note", "/staff/complaints/{number}/notes", {"note-note": "核实\x00了\x07财务报告"}),
    ("note", "/staff/complaints/{number}/step/accept", {"accept-note": "核实\x00了\x07财务报告"}),
])
def test_control_characters_are_dropped_from_what_staff_write(console, text_field, path, data):
    """A NUL in a note once reached PostgreSQL (a 500); control characters are dropped, the rest is kept."""
    with console.app_context():
        # A complaint of its own: the step moves it on.
        complaint, _code = make_complaint(now=utcnow())
        number, complaint_id = complaint.tracking_number, complaint.id
    client = client_in(console, "zh", signed_in=True)
    response = client.post(path.format(number=number), data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with console.app_context():
        notes = db.session.scalars(select(ComplaintEvent.note).where(ComplaintEvent.complaint_id == complaint_id)).all()
    assert "核实了财务报告" in notes
    assert not any("\x00" in (note or "") for note in notes)
