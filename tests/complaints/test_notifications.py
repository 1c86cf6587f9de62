"""E-mail to complainants through the outbox, against a real SMTP server (aiosmtpd on 127.0.0.1)."""

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from portal.complaints import notifications
from portal.complaints.models import Notification
from portal.extensions import db
from portal.staff import workflow
from tests.staff.support import NOW, create_staff, make_complaint, staff_app  # noqa: F401 (staff_app is a fixture)

DESCRIPTION_WORDS = "捐赠款去向不明"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, f"Message-ID: {message['Message-ID']}\nSubject: {message['Subject']}\n{message.get_content()}"))
        return "250 OK"


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


def start_server(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, controller


def walk_to_answer(staff, now):
    complaint, _code = make_complaint(now=now)
    workflow.take_step(complaint.id, staff["handler"], "accept", now=now + timedelta(hours=1))
    workflow.take_step(
        complaint.id, staff["handler"], "transfer", unit="业务主管单位", reason="已转业务主管单位核查。", now=now + timedelta(hours=2)
    )
    workflow.take_step(
        complaint.id, staff["handler"], "answer", outcome="partly_substantiated", reply="经核查，部分属实。",
        now=now + timedelta(hours=3),
    )
    return complaint


def test_a_mail_server_down_for_three_nights_loses_nothing_and_sends_each_once(mail_app):
    app, port, staff = mail_app
    complaints = [walk_to_answer(staff, NOW + timedelta(minutes=number)) for number in range(3)]
    queued = db.session.scalars(select(Notification)).all()
    assert len(queued) == 9  # acknowledged, transferred, answered for each
    # Three nights (72 hours) with nothing listening on the port: the scheduler tries every 10 minutes.
    moment = NOW + timedelta(hours=4)
    for _tick in range(72 * 6):
        sent, _failed = notifications.send_pending(now=moment)
        assert sent == 0
        moment += timedelta(minutes=10)
    assert notifications.pending_count() == 9
    assert all(row.attempts >= 1 and row.last_error for row in db.session.scalars(select(Notification)))
    # The server comes back: within the longest wait, every notification is delivered once.
    inbox, controller = start_server(port)
    try:
        for _tick in range(6 * 6 + 1):
            notifications.send_pending(now=moment)
            moment += timedelta(minutes=10)
        notifications.send_pending(now=moment + timedelta(days=1))
    finally:
        controller.stop()
    assert notifications.pending_count() == 0
    assert len(inbox.messages) == 9
    message_ids = [text.split("Message-ID:", 1)[1].split("\n", 1)[0].strip() for _to, text in inbox.messages]
    assert len(set(message_ids)) == 9
    for recipients, text in inbox.messages:
        assert recipients == ["wang@example.com"]
        assert "/complaints/status" in text
        assert DESCRIPTION_WORDS not in text and "13800138000" not in text and "王小明" not in text
    numbers = {complaint.tracking_number for complaint in complaints}
    assert {number for number in numbers if any(number in text for _to, text in inbox.messages)} == numbers


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
