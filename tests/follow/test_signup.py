"""Signing up to follow an organisation: the form on published reports only, one answer for everyone, rate limits.

Nothing a visitor sees tells whether an address is subscribed (new, pending,
confirmed or unsubscribed) or whether a code is published (an A-grade
organisation, a C-grade one, a cancelled one, an unknown code): the same
page, after the same SQL, and nothing kept for a code that is not published.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal.clock import utcnow
from portal.extensions import db
from portal.follow import outbox, service, tokens
from portal.follow.models import FollowMessage, Subscriber, Subscription
from tests.follow.support import csrf_token, link_path, sign_up, stored_rows
from tests.scoring_builder import make_uscc
from tests.smtp_server import text_part

UNKNOWN = make_uscc(999, type_prefix="51")
TOKEN_VALUE = re.compile(r'name="csrf_token" value="[^"]+"')
NOTHING = {"follow_requests": 0, "follow_subscribers": 0, "follow_subscriptions": 0, "follow_messages": 0}


def test_the_follow_form_is_on_published_reports_only_and_sets_no_cookie(client, organisations):
    report = client.get(f"/org/{organisations['a']}")
    page = report.get_data(as_text=True)
    assert f'action="/org/{organisations["a"]}/follow"' in page and 'type="email"' in page
    assert 'href="#follow"' in page
    # The report page is cached for everyone: no token in it and no cookie from it.
    assert 'name="csrf_token"' not in page and "Set-Cookie" not in report.headers
    assert 'href="/org/{}/feed.atom"'.format(organisations["a"]) in page  # the Atom feed stays
    for key in ("c_grade", "cancelled"):
        hidden = client.get(f"/org/{organisations[key]}")
        assert hidden.status_code == 404
        assert "follow-form" not in hidden.get_data(as_text=True)


def test_the_form_from_the_report_comes_back_with_a_token_and_nothing_is_stored(app, client, organisations):
    answer = client.post(
        f"/org/{organisations['a']}/follow?lang=en", data={"email": "Reader@Example.com", "language": "en"}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert 'name="csrf_token"' in page and 'value="Reader@Example.com"' in page
    assert "Check your address and the language, then send." in page
    assert 'value="en" checked' in page
    with app.app_context():
        assert stored_rows() == NOTHING


@pytest.mark.parametrize(
    "email, language, message",
    [
        ("not-an-address", "zh", "请填写有效的电子邮箱地址，例如 name@example.com。"),
        ("a@b", "zh", "请填写有效的电子邮箱地址，例如 name@example.com。"),
        ("x@example.com\r\nBcc: victim@example.com", "zh", "请填写有效的电子邮箱地址，例如 name@example.com。"),
        ("张三@例子.中国", "zh", "请填写有效的电子邮箱地址，例如 name@example.com。"),
        ("reader@example.com", "fr", "请选择邮件的语言。"),
    ],
)
def test_bad_input_is_a_400_in_the_visitors_language(app, client, organisations, email, language, message):
    first = client.post(f"/org/{organisations['a']}/follow", data={"email": email, "language": language})
    assert first.status_code == 400 and message in first.get_data(as_text=True)
    token = csrf_token(first.get_data(as_text=True))
    second = client.post(
        f"/org/{organisations['a']}/follow", data={"email": email, "language": language, "csrf_token": token}
    )
    assert second.status_code == 400 and message in second.get_data(as_text=True)
    english = client.post(f"/org/{organisations['a']}/follow?lang=en", data={"email": email, "language": language})
    assert english.status_code == 400
    assert "Enter an e-mail address" in english.get_data(as_text=True) or "Choose the language" in english.get_data(as_text=True)
    with app.app_context():
        assert stored_rows() == NOTHING


def test_an_invalid_code_is_a_400_and_an_expired_form_asks_again(app, client, organisations):
    assert client.post("/org/123/follow", data={"email": "reader@example.com", "language": "zh"}).status_code == 400
    expired = client.post(
        f"/org/{organisations['a']}/follow?lang=en",
        data={"email": "reader@example.com", "language": "zh", "csrf_token": "forged"},
    )
    assert expired.status_code == 400
    assert "The form has expired." in expired.get_data(as_text=True)
    with app.app_context():
        assert stored_rows() == NOTHING


def _state_addresses(app, client, inbox, organisations):
    """Make one address in each state for organisation a: pending, confirmed, unsubscribed."""
    now = utcnow()
    for address in ("pending@example.com", "confirmed@example.com", "gone@example.com"):
        assert sign_up(client, organisations["a"], address).status_code == 303
    with app.app_context():
        outbox.send_pending(now=now)
    links = {recipients[0]: text_part(message) for recipients, message in inbox.messages}
    for address in ("confirmed@example.com", "gone@example.com"):
        assert client.post(link_path(links[address], "confirm")).status_code == 200
    with app.app_context():
        gone = db.session.scalar(select(Subscriber).where(Subscriber.email == "gone@example.com"))
        token = tokens.unsubscribe_token(gone)
    assert client.post(f"/follow/unsubscribe/{token}").status_code == 200
    inbox.messages.clear()


def test_every_sign_up_gets_the_same_answer_after_the_same_sql(app, client, organisations, inbox):
    _state_addresses(app, client, inbox, organisations)
    codes = {"published": organisations["a"], "c_grade": organisations["c_grade"],
             "cancelled": organisations["cancelled"], "unknown": UNKNOWN}
    addresses = ("new@example.com", "pending@example.com", "confirmed@example.com", "gone@example.com")
    statements = []
    recording = {"on": False}
    with app.app_context():
        engine = db.engine

    def record(_connection, _cursor, statement, _parameters, _context, _executemany):
        if recording["on"]:
            statements[-1].append(statement)

    def same_form(page, code, address):
        return TOKEN_VALUE.sub("TOKEN", page.replace(code, "CODE").replace(address, "ADDRESS"))

    answers = set()
    event.listen(engine, "before_cursor_execute", record)
    try:
        for code in codes.values():
            for address in addresses:
                check = client.post(f"/org/{code}/follow", data={"email": address, "language": "zh"})
                statements.append([])
                recording["on"] = True
                answer = client.post(
                    f"/org/{code}/follow",
                    data={"email": address, "language": "zh", "csrf_token": csrf_token(check.get_data(as_text=True))},
                )
                recording["on"] = False
                sent_page = client.get(answer.headers["Location"])
                answers.add((
                    check.status_code,
                    same_form(check.get_data(as_text=True), code, address),
                    answer.status_code,
                    answer.headers["Location"],
                    answer.get_data(as_text=True),
                    sent_page.status_code,
                    sent_page.get_data(as_text=True),
                ))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(answers) == 1
    (answer,) = answers
    assert answer[2] == 303 and answer[3] == "/follow/sent" and answer[5] == 200
    assert "如果该地址能收到本平台的邮件" in answer[6]
    assert len({tuple(taken) for taken in statements}) == 1, statements
    # One INSERT of the sign-up as sent; not a look at the organisation or the address.
    writes = [statement for statement in statements[0] if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO follow_requests")
    assert not any("follow_subscri" in statement or "organisations" in statement for statement in statements[0])
    # Later, out of sight: only the new address gets a confirmation of the published organisation,
    # the pending one a fresh link, and nothing at all is kept for the codes that are not published.
    with app.app_context():
        before = stored_rows()
        outbox.send_pending(now=utcnow())
        after = stored_rows()
        followed = set(db.session.scalars(select(Subscription.uscc)))
    assert followed == {organisations["a"]}
    assert after["follow_requests"] == 0
    assert after["follow_subscribers"] == before["follow_subscribers"] + 2  # new and gone: both new again
    assert sorted(recipients[0] for recipients, _message in inbox.messages) == [
        "gone@example.com", "new@example.com", "pending@example.com",
    ]


def test_nothing_is_kept_for_a_code_that_is_not_published(app, client, organisations, inbox):
    for key in ("c_grade", "cancelled"):
        assert sign_up(client, organisations[key], "reader@example.com").status_code == 303
    assert sign_up(client, UNKNOWN, "reader@example.com").status_code == 303
    with app.app_context():
        assert stored_rows()["follow_requests"] == 3
        assert outbox.send_pending(now=utcnow()) == (0, 0)
        assert stored_rows() == NOTHING
    assert inbox.messages == []


def test_rate_limits_per_client_and_per_address(rate_limited_app, organisations):
    limited = rate_limited_app(FOLLOW_SIGNUP_RATE_LIMIT="3 per hour", FOLLOW_ADDRESS_RATE_LIMIT="2 per hour")
    client = limited.test_client()
    alice, bob, carol = ({"environ_base": {"REMOTE_ADDR": address}} for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"))
    code = organisations["a"]
    # Per address, from any client: the third sign-up of one address is refused.
    assert sign_up(client, code, "victim@example.com", **alice).status_code == 303
    assert sign_up(client, code, "victim@example.com", **bob).status_code == 303
    refused = client.post(f"/org/{code}/follow?lang=en", data={"email": "VICTIM@example.com", "language": "zh"}, **carol)
    assert refused.status_code == 429
    # Per client: the form shown to check does not count, the sign-ups taken do.
    assert sign_up(client, code, "one@example.com", **carol).status_code == 303
    assert sign_up(client, code, "two@example.com", **carol).status_code == 303
    assert sign_up(client, code, "three@example.com", **carol).status_code == 303
    assert client.post(f"/org/{code}/follow", data={"email": "four@example.com", "language": "zh"}, **carol).status_code == 429
    with limited.app_context():
        assert stored_rows()["follow_requests"] == 5


def test_unconfirmed_sign_ups_are_deleted_after_the_confirmation_days(app, client, organisations, inbox):
    assert sign_up(client, organisations["a"], "late@example.com").status_code == 303
    now = utcnow()
    with app.app_context():
        outbox.send_pending(now=now)
        assert stored_rows()["follow_subscribers"] == 1
        assert service.purge(now + timedelta(days=6)) == (0, 0, 0)
        assert service.purge(now + timedelta(days=8)) == (1, 1, 1)
        assert stored_rows() == NOTHING
        assert db.session.scalar(select(FollowMessage.id)) is None
