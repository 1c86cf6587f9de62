"""Property-based tests of the staff console's forms: whatever a signed-in supervisor sends, never a 5xx.

Hypothesis draws the fields of every staff POST form (sign-in, the code,
the password change, the second factor, a workflow step, a note, the
assignment, a user's delays and second factor, a site error) and the parts of
their URLs: any Unicode, control characters and NUL (which PostgreSQL text
refuses), very long text, unknown steps, numbers and ids. The answer is a
redirect, a page or a 4xx page in the language asked for (the lang cookie);
never a 5xx or a stack trace.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.complaints.workflow import STEPS
from portal.staff import accounts
from portal.staff.accounts import utcnow
from tests.staff.support import PASSWORD, create_staff, make_complaint, sign_in, staff_app  # noqa: F401

FUZZ = settings(
    # FUZZ_MAX_EXAMPLES=500 for a deeper run by hand; CI keeps the suite short (each example signs in and
    # sends up to seven forms: 30 of them take about as long as the other fuzz tests' 60).
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
HTML_LANG = {"zh": 'lang="zh-CN"', "en": 'lang="en"'}

languages = st.sampled_from(["zh", "en"])
wild_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3000), max_size=200),
    st.sampled_from(["", " ", "\x00", "备注\x00", "\r\n", "<script>alert(1)</script>", "' OR 1=1 --", "123456",
                     "１２３４５６", "\ud800", "a" * 5000, "长" * 20001]),
)
field_value = st.one_of(st.none(), wild_text, st.lists(wild_text, min_size=2, max_size=3))


def form(fields):
    """The form body: a drawn list is a repeated field; None leaves the field out."""
    return {name: value for name, value in fields.items() if value is not None}


def assert_answered_well(response, language):
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:1000])
    if response.status_code >= 400:
        body = response.get_data(as_text=True)
        assert HTML_LANG[language] in body
        assert "Traceback" not in body


@pytest.fixture
def console(staff_app):
    """A supervisor and a handler, and a complaint; returns (app, tracking number, handler id)."""
    with staff_app.app_context():
        create_staff("super1", "supervisor", "苏主管")
        handler = create_staff("handler1", "handler", "韩处理")
        complaint, _code = make_complaint(now=utcnow())
        return staff_app, complaint.tracking_number, handler.id


def signed_in(app, language):
    """A client signed in as the supervisor (earlier examples' wrong passwords forgiven)."""
    with app.app_context():
        accounts.clear_sign_in_delays("super1")
    client = app.test_client()
    client.set_cookie("lang", language)
    assert sign_in(client, "super1").status_code == 303
    return client


def send(client, path, fields):
    body = form(fields)
    try:
        return client.post(path, data=body)
    except UnicodeEncodeError:
        # A lone surrogate cannot be sent as UTF-8 by any client: not a request the portal can receive.
        return None


@FUZZ
@given(username=field_value, password=field_value, code=field_value, language=languages)
def test_sign_in_never_fails(console, username, password, code, language):
    app, _number, _handler = console
    client = app.test_client()
    client.set_cookie("lang", language)
    response = send(client, "/staff/login", {"username": username, "password": password})
    if response is not None:
        assert_answered_well(response, language)
    response = send(client, "/staff/login/code", {"code": code})
    if response is not None:
        assert_answered_well(response, language)


@FUZZ
@given(current=field_value, new=field_value, again=field_value, code=field_value, language=languages)
def test_account_forms_never_fail(console, current, new, again, code, language):
    app, _number, _handler = console
    client = signed_in(app, language)
    for path, fields in (
        ("/staff/password", {"current_password": current, "new_password": new, "confirm_password": again}),
        ("/staff/two-factor", {"code": code}),
        ("/staff/two-factor/disable", {"code": code}),
    ):
        response = send(client, path, fields)
        if response is not None:
            assert_answered_well(response, language)


step_names = st.one_of(st.sampled_from(sorted(STEPS)), st.sampled_from(["bogus", "", "ACCEPT", "submit"]),
                       st.text(alphabet="abcdefghijklmnopqrstuvwxyz_%0", max_size=12))
tracking_numbers = st.one_of(st.none(), st.sampled_from(["TS-20000101-0001", "%00", "%FF", "T" * 3000, "ts-1"]))
ids = st.one_of(st.integers(min_value=-5, max_value=10**12).map(str), st.sampled_from(["abc", "%00", "1.5", "١"]))


@FUZZ
@given(step=step_names, number=tracking_numbers, reason=field_value, note=field_value, outcome=field_value,
       reply=field_value, unit=field_value, result=field_value, confirm=field_value, assignee=field_value,
       other_id=ids, language=languages)
def test_complaint_forms_never_fail(console, step, number, reason, note, outcome, reply, unit, result, confirm,
                                    assignee, other_id, language):
    app, tracking_number, _handler = console
    client = signed_in(app, language)
    number = number or tracking_number
    requests = [
        (f"/staff/complaints/{number}/step/{step}", {
            f"{step}-reason": reason, f"{step}-note": note, f"{step}-outcome": outcome, f"{step}-reply": reply,
            f"{step}-unit": unit, f"{step}-result": result, f"{step}-confirm": confirm,
        }),
        (f"/staff/complaints/{number}/notes", {"note-note": note}),
        (f"/staff/complaints/{number}/assign", {"assign-assignee": assignee}),
        (f"/staff/complaints/{number}/contact", {}),
        (f"/staff/users/{other_id}/clear-sign-in-delays", {}),
        (f"/staff/users/{other_id}/reset-two-factor", {}),
        (f"/staff/site-errors/{other_id}/handled", {}),
    ]
    for path, fields in requests:
        response = send(client, path, fields)
        if response is not None:
            assert_answered_well(response, language)
