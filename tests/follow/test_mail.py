"""Follow e-mail against a real SMTP server (aiosmtpd on 127.0.0.1): confirmation, digests, one-click unsubscribe.

The digest is built from the list changes of the syncs since the last one,
queued once however many schedulers run it, delivered once after the mail
server comes back, in the language each subscriber chose, with the RFC 8058
headers; links come from PUBLIC_BASE_URL.
"""

from datetime import timedelta

from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.follow import digest, outbox, service, tokens
from portal.follow.models import FollowMessage, Subscriber, Subscription
from tests.follow.support import NAMES, NIGHTS, PUBLIC_BASE_URL, link_path, sign_up, stored_rows
from tests.smtp_server import SmtpServer, html_part, text_part
from tests.synced_portal import sync_at


def send(app, now=None):
    with app.app_context():
        return outbox.send_pending(now=now or utcnow())


def confirmed(app, client, inbox, address, uscc, language="zh"):
    """Sign ``address`` up to ``uscc`` and confirm it through the link of the e-mail; return that e-mail."""
    assert sign_up(client, uscc, address, language=language).status_code == 303
    send(app)
    recipients, message = inbox.messages[-1]
    assert recipients == [address]
    path = link_path(text_part(message), "confirm")
    assert client.post(path).status_code == 200
    return message


def test_the_confirmation_e_mail_and_its_link(app, client, organisations, inbox):
    assert sign_up(client, organisations["a"], "Reader@Example.com", language="en").status_code == 303
    assert send(app) == (1, 0)
    ((recipients, message),) = inbox.messages
    assert recipients == ["reader@example.com"]
    assert message["From"] == "noreply@credit.example.gov.cn"
    assert message["Subject"] == f"Confirm that you want to follow {NAMES['a']}"
    assert message["List-Unsubscribe"] is None  # nobody is subscribed yet
    text, html = text_part(message), html_part(message)
    path = link_path(text, "confirm")
    assert f"{PUBLIC_BASE_URL}{path}" in text and f'href="{PUBLIC_BASE_URL}{path}"' in html
    assert path.endswith("?lang=en") and "localhost" not in text + html
    # Opening the link (a mail scanner does) confirms nothing: it asks.
    page = client.get(path)
    assert page.status_code == 200 and f"Confirm that you want to follow {NAMES['a']}" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    with app.app_context():
        assert db.session.scalar(select(Subscription.confirmed_at)) is None
    done = client.post(path)
    assert done.status_code == 200 and f"You follow {NAMES['a']}" in done.get_data(as_text=True)
    assert client.post(path).status_code == 200  # a double click
    with app.app_context():
        assert db.session.scalar(select(Subscription.confirmed_at)) is not None
        assert db.session.scalar(select(Subscriber.language)) == "en"
    # A forged, cut or other link does not work.
    link = path.removesuffix("?lang=en")
    for bad in (link[:-4], link.replace("/confirm/", "/confirm/x"), "/follow/confirm/abc"):
        answer = client.get(bad + "?lang=en")
        assert answer.status_code == 400 and "This link does not work" in answer.get_data(as_text=True)


def test_only_the_latest_confirmation_link_works(app, client, organisations, inbox):
    for _ in range(2):
        assert sign_up(client, organisations["a"], "twice@example.com").status_code == 303
        send(app)
    first, second = (link_path(text_part(message), "confirm") for _recipients, message in inbox.messages)
    assert client.post(first).status_code == 400
    assert client.post(second).status_code == 200


def test_a_confirmation_for_an_organisation_that_left_the_list_is_not_sent(app, client, organisations, inbox, scoring, monkeypatch):
    assert sign_up(client, organisations["leaving"], "late@example.com").status_code == 303
    with app.app_context():
        service.handle_requests(utcnow())
    scoring.tick(days=1)
    scoring.score(organisations["leaving"], "C", "70.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    assert send(app) == (0, 0)
    assert inbox.messages == []
    with app.app_context():
        assert db.session.scalar(select(FollowMessage.id)) is None


def test_the_daily_digest(app, client, organisations, inbox, scoring, monkeypatch):
    confirmed(app, client, inbox, "zh.reader@example.com", organisations["a"])
    confirmed(app, client, inbox, "zh.reader@example.com", organisations["leaving"])
    confirmed(app, client, inbox, "en.reader@example.com", organisations["b"], language="en")
    assert sign_up(client, organisations["b"], "pending@example.com").status_code == 303
    send(app)
    inbox.messages.clear()
    with app.app_context():
        assert digest.queue_digests() == 0  # nothing changed since they confirmed
    # Night 2: a goes from A to B, leaving drops to C (an exit), b rises to A; night 3 nothing.
    scoring.tick(days=1)
    scoring.score(organisations["a"], "B", "88.00")
    scoring.score(organisations["leaving"], "C", "70.00")
    scoring.score(organisations["b"], "A", "97.50")
    sync_at(app, monkeypatch, NIGHTS[1])
    scoring.tick(days=1)
    sync_at(app, monkeypatch, NIGHTS[2])
    with app.app_context():
        # Two schedulers queue the digests: each address gets one.
        assert digest.queue_digests() == 2
        assert digest.queue_digests() == 0
    assert send(app) == (2, 0)
    by_address = {recipients[0]: message for recipients, message in inbox.messages}
    assert sorted(by_address) == ["en.reader@example.com", "zh.reader@example.com"]

    chinese = by_address["zh.reader@example.com"]
    text, html = text_part(chinese), html_part(chinese)
    assert chinese["Subject"] == "您关注的组织有 2 项变化"
    assert f"{NAMES['a']}（{organisations['a']}）" in text or f"{NAMES['a']} ({organisations['a']})" in text
    assert "信用等级由 A 变为 B" in text and "信用等级由 A 变为 B" in html
    assert "移出公示名单（降为C级或D级）" in text
    assert f"{PUBLIC_BASE_URL}/org/{organisations['a']}" in text
    assert f"/org/{organisations['leaving']}" not in text + html  # no report to link to any more
    assert NAMES["b"] not in text and "en.reader" not in text + html and "pending@" not in text + html
    unsubscribe = chinese["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{PUBLIC_BASE_URL}/follow/unsubscribe/") and unsubscribe.endswith(">")
    assert chinese["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in text and unsubscribe[1:-1] in html

    english = by_address["en.reader@example.com"]
    assert english["Subject"] == "1 change to the organisations you follow"
    assert "grade changed from B to A" in text_part(english)
    assert english["List-Unsubscribe"].endswith("?lang=en>")
    assert NAMES["a"] not in text_part(english) and "zh.reader" not in text_part(english)


def test_one_click_unsubscribe_without_a_csrf_token(app, csrf_app, client, organisations, inbox, scoring, monkeypatch):
    confirmed(app, client, inbox, "leaving@example.com", organisations["a"])
    scoring.tick(days=1)
    scoring.score(organisations["a"], "B", "88.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    with app.app_context():
        digest.queue_digests()
    send(app)
    message = inbox.messages[-1][1]
    url = message["List-Unsubscribe"][1:-1]
    path = url.removeprefix(PUBLIC_BASE_URL)
    protected = csrf_app.test_client()
    # The GET page asks first; the mail program's one-click POST (RFC 8058) needs no token.
    page = protected.get(path)
    assert page.status_code == 200 and "退订" in page.get_data(as_text=True)
    with app.app_context():
        assert stored_rows()["follow_subscribers"] == 1
    answer = protected.post(path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200 and "您已退订" in answer.get_data(as_text=True)
    with app.app_context():
        assert stored_rows() == {"follow_requests": 0, "follow_subscribers": 0, "follow_subscriptions": 0, "follow_messages": 0}
    assert protected.post(path).status_code == 200  # again: nothing left, not an error
    assert protected.post(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 400
    # Confirming still needs the token of the page.
    assert protected.post("/follow/confirm/anything").status_code == 400


def test_a_mail_server_down_loses_nothing_and_each_digest_is_delivered_once(app, client, organisations, mail_port, scoring, monkeypatch):
    with SmtpServer(mail_port) as inbox:
        confirmed(app, client, inbox, "patient@example.com", organisations["a"])
    scoring.tick(days=1)
    scoring.score(organisations["a"], "B", "88.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    with app.app_context():
        assert digest.queue_digests() == 1
    # Two days with nothing listening: the scheduler tries every ten minutes.
    moment = utcnow()
    for _tick in range(2 * 24 * 6):
        assert send(app, moment)[0] == 0
        moment += timedelta(minutes=10)
    with app.app_context():
        row = db.session.scalar(select(FollowMessage).where(FollowMessage.kind == "digest"))
        assert row.sent_at is None and row.attempts >= 1 and row.last_error
    with SmtpServer(mail_port) as inbox:
        for _tick in range(6 * 6 + 1):
            send(app, moment)
            moment += timedelta(minutes=10)
        send(app, moment + timedelta(days=1))
    assert len(inbox.messages) == 1
    assert "信用等级由 A 变为 B" in text_part(inbox.messages[0][1])


def test_the_scheduler_sends_the_outbox_and_queues_the_digests_at_the_digest_hour(app, organisations, inbox, client):
    from apscheduler.schedulers.background import BackgroundScheduler

    from portal.scheduler import build_scheduler, follow_mail_job

    app.config["FOLLOW_DIGEST_HOUR"] = 9
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        digest_job = scheduler.get_job("follow-digest")
        fields = {field.name: str(field) for field in digest_job.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("9", "0")
        assert str(digest_job.trigger.timezone) == "Asia/Shanghai"
        assert (digest_job.coalesce, digest_job.max_instances, digest_job.misfire_grace_time) == (True, 1, 3600)
        mail_job = scheduler.get_job("follow-mail")
        assert mail_job.trigger.interval == timedelta(seconds=app.config["MAIL_SEND_INTERVAL_SECONDS"])
    finally:
        scheduler.shutdown(wait=False)
    # The job itself, as the scheduler calls it: the sign-up becomes a confirmation e-mail.
    assert sign_up(client, organisations["a"], "scheduled@example.com").status_code == 303
    assert follow_mail_job(app) == (1, 0)
    assert inbox.messages[0][0] == ["scheduled@example.com"]


def test_an_old_unsubscribe_link_does_not_touch_the_address_signed_up_again(app, client, organisations, inbox):
    confirmed(app, client, inbox, "again@example.com", organisations["a"])
    with app.app_context():
        old_link = f"/follow/unsubscribe/{tokens.unsubscribe_token(db.session.scalar(select(Subscriber)))}"
    assert client.post(old_link).status_code == 200
    # Signed up again later (SQLite may give the new row the old id): the old link is not its link.
    confirmed(app, client, inbox, "again@example.com", organisations["b"])
    assert client.post(old_link).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Subscription.uscc).where(Subscription.confirmed_at.is_not(None))) == organisations["b"]


def test_the_follow_commands(app, runner, organisations, inbox, client):
    assert sign_up(client, organisations["a"], "cli@example.com").status_code == 303
    assert "Follow e-mail: 1 sent, 0 failed" in runner.invoke(args=["follow", "send"]).output
    assert "Digests queued: 0." in runner.invoke(args=["follow", "digest"]).output
    assert "Addresses forgotten: 0, unconfirmed subscriptions: 0, messages: 0." in runner.invoke(args=["follow", "purge"]).output
