"""E-mail to complainants through the outbox, against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.complaints import notifications
from portal.complaints.models import Notification
from portal.extensions import db
from portal.staff import workflow
from tests.smtp_server import SmtpServer, free_port, text_part
from tests.staff.support import NOW, create_staff, make_complaint, staff_app  # noqa: F401 (staff_app is a fixture)

DESCRIPTION_WORDS = "捐赠款去向不明"


@pytest.fixture
def mail_app(staff_app):
    port = free_port()
    staff_app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="noreply@credit.example.gov.cn",
        MAIL_TIMEOUT_SECONDS=5, MAIL_RETRY_SECONDS=300, MAIL_RETRY_MAX_SECONDS=6 * 3600,
    )
    with staff_app.app_context():
        staff = {"handler": create_staff("handler1").id, "supervisor": create_staff("super1", "supervisor").id}
        yield staff_app, port, staff


#: Each night's steps, one after another at 22:00, 22:10, 22:20 Beijing time, and what each tells the complainant.
NIGHT_STEPS = (
    ("accept", {}, "acknowledged"),
    ("transfer", {"unit": "业务主管单位", "reason": "已转业务主管单位核查。"}, "transferred"),
    ("answer", {"outcome": "partly_substantiated", "reply": "经核查，部分属实。"}, "answered"),
)


def test_a_mail_server_down_for_three_nights_loses_nothing_and_sends_each_once(mail_app):
    app, port, staff = mail_app
    # The scheduler's job, every 10 minutes here (MAIL_SEND_INTERVAL_SECONDS is a minute: ten times the
    # runs, and the same story, since a failed notification waits MAIL_RETRY_SECONDS or longer).
    interval = timedelta(minutes=10)
    # Three nights, 18:00 to 08:00 Beijing time (10:00 to 24:00 UTC), from Monday 2 November 2026; the
    # mail server is down from the first evening to the third morning. Each night a complaint is filed
    # at 22:00 and taken through three steps; the job runs throughout.
    down_from = NOW + timedelta(hours=8)
    back_at = down_from + timedelta(days=2, hours=14)
    moment = down_from
    complaints = []
    ticks = 0
    while moment < back_at:
        local_hour = (moment.hour + 8) % 24
        if local_hour == 22 and moment.minute == 0:
            complaint, _code = make_complaint(now=moment)
            complaints.append(complaint)
            for offset, (step, arguments, _kind) in enumerate(NIGHT_STEPS):
                workflow.take_step(complaint.id, staff["handler"], step, now=moment + timedelta(minutes=10 * offset), **arguments)
        assert notifications.send_pending(now=moment)[0] == 0
        moment += interval
        ticks += 1
    assert len(complaints) == 3 and ticks > 360
    assert notifications.pending_count() == 9
    rows = db.session.scalars(select(Notification)).all()
    # Tried again and again, but waiting longer each time (up to MAIL_RETRY_MAX_SECONDS), not every minute.
    assert all(1 <= row.attempts <= 20 and row.last_error for row in rows)

    # The server comes back: within the longest wait between two tries, every notification is delivered once.
    with SmtpServer(port) as inbox:
        limit = back_at + timedelta(seconds=app.config["MAIL_RETRY_MAX_SECONDS"]) + interval
        while moment <= limit:
            notifications.send_pending(now=moment)
            moment += interval
        # The job keeps running: nothing is sent twice.
        for _tick in range(12):
            notifications.send_pending(now=moment)
            moment += interval
    assert notifications.pending_count() == 0
    assert len(inbox.messages) == 9
    assert len({str(message["Message-ID"]) for _to, message in inbox.messages}) == 9
    db.session.expire_all()
    rows = db.session.scalars(select(Notification)).all()
    assert all(back_at <= row.sent_at <= limit for row in rows)
    # Exactly the messages owed: each complaint's three, once each, each naming its complaint and state.
    expected = Counter((complaint.tracking_number, kind) for complaint in complaints for _s, _a, kind in NIGHT_STEPS)
    labels = {"acknowledged": "已受理", "transferred": "已转办", "answered": "已答复"}
    received = Counter(
        (number, kind)
        for _to, message in inbox.messages
        for number, kind in expected
        if number in message["Subject"] and message["Subject"].endswith(labels[kind])
    )
    assert received == expected
    for recipients, message in inbox.messages:
        body = text_part(message)
        assert recipients == ["wang@example.com"]
        assert "/complaints/status" in body
        assert DESCRIPTION_WORDS not in body and "13800138000" not in body and "王小明" not in body


def test_without_mail_settings_notifications_wait_and_staff_see_them(mail_app):
    app, _port, staff = mail_app
    app.config["MAIL_SERVER"] = ""
    complaint, _code = make_complaint(now=NOW)
    workflow.take_step(complaint.id, staff["handler"], "accept", now=NOW)
    assert notifications.send_pending(now=NOW + timedelta(days=30)) == (0, 0)
    assert notifications.pending_count() == 1
    client = app.test_client()
    client.post("/staff/login", data={"username": "super1", "password": "Correct-Horse-42"})
    page = client.get("/staff/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="pending-notifications"' in page and "no mail server is configured" in page


def test_no_notification_without_an_email_address(mail_app):
    _app, _port, staff = mail_app
    complaint, _code = make_complaint(contact={"phone": "13800138000"}, now=NOW)
    workflow.take_step(complaint.id, staff["handler"], "accept", now=NOW)
    anonymous, _code = make_complaint(anonymous=True, now=NOW)
    workflow.take_step(anonymous.id, staff["handler"], "reject", reason="不属于本机关管辖。", now=NOW)
    assert notifications.pending_count() == 0
