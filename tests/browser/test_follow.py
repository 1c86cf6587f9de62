"""Following an organisation by e-mail in a real browser: report page → confirmation e-mail → digest → unsubscribe.

The portal is served by gunicorn (a server of its own: the test changes its
data), the e-mail is sent by ``flask follow send`` as the scheduler does, to
aiosmtpd on 127.0.0.1, and the browser opens the links it holds. Runs with
JavaScript off: nothing of it needs a script.
"""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.scoring import schema
from portal.testing.live_server import IN_CI, YOUTH_FOUNDATION, LiveServer, chromium_path
from tests.browser.conftest import new_page
from tests.browser.playwright_expect import expect
from tests.conftest import live_portal_database
from tests.smtp_server import SmtpServer, free_port, text_part

pytestmark = pytest.mark.browser

ADDRESS = "follower.demo@example.com"


class FollowServer(LiveServer):
    """The live server, whose flask commands send mail to a local SMTP port and link to the server itself."""

    def __init__(self, mail_port, **options):
        super().__init__(**options)
        self.mail_port = mail_port

    def environment(self):
        env = super().environment()
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(self.mail_port), MAIL_DEFAULT_SENDER="noreply@example.gov.cn")
        if self.base_url:
            env["PUBLIC_BASE_URL"] = self.base_url
        return env


@pytest.fixture(scope="module")
def server(live_backend):
    if chromium_path() is None:
        if IN_CI:
            pytest.fail("chromium is required in CI")
        pytest.skip("browser tests need chromium")
    with live_portal_database(live_backend) as portal_database_url:
        live = FollowServer(free_port(), orgs=80, seed=5, workers=2, log=lambda message: None,
                            portal_database_url=portal_database_url)
        live.start()
        yield live
        live.stop()


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _link(text, kind, base_url):
    line = next(line.strip() for line in text.splitlines() if line.strip().startswith(f"{base_url}/follow/{kind}/"))
    return _path(line)


def test_follow_confirm_then_unsubscribe(browser, server):
    uscc = server.published_organisation(YOUTH_FOUNDATION)[0]
    context, page = new_page(browser, server.base_url, java_script_enabled=False)
    try:
        with SmtpServer(server.mail_port) as inbox:
            # The form on the credit report, then the form again to check, with its token.
            page.goto(f"/org/{uscc}")
            page.locator("#follow-email").fill(ADDRESS)
            with page.expect_navigation():
                page.locator("#follow form.follow-form button[type=submit]").click()
            expect(page.locator("h1")).to_have_text("邮件关注组织")
            expect(page.locator("#follow-email")).to_have_value(ADDRESS)
            with page.expect_navigation():
                page.locator("form.follow-form button[type=submit]").click()
            assert urlsplit(page.url).path == "/follow/sent"
            expect(page.locator("h1")).to_have_text("请查收邮件")

            # The scheduler's job: the confirmation e-mail.
            server._flask("follow", "send")
            ((recipients, confirmation),) = inbox.messages
            assert recipients == [ADDRESS]
            page.goto(_link(text_part(confirmation), "confirm", server.base_url))
            expect(page.locator("h1")).to_contain_text(YOUTH_FOUNDATION)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
            expect(page.locator("h1")).to_have_text(f"您已关注{YOUTH_FOUNDATION}")

            # A night in which the organisation is cancelled at the source: its exit is in the next digest.
            engine = sa.create_engine(f"sqlite:///{server.folder / 'scoring-demo.db'}")
            with engine.begin() as connection:
                connection.execute(
                    schema.organisations.update()
                    .where(schema.organisations.c.uscc == uscc)
                    .values(registration_status="cancelled", updated_at=utcnow())
                )
            engine.dispose()
            server._flask("sync", "run")
            server._flask("follow", "digest")
            server._flask("follow", "send")
            recipients, digest = inbox.messages[-1]
            assert recipients == [ADDRESS] and len(inbox.messages) == 2
            assert "移出公示名单（注销登记）" in text_part(digest)
            # The live server's address is http: the link, without RFC 8058's one click (HTTPS only).
            assert digest["List-Unsubscribe-Post"] is None
            unsubscribe = _link(text_part(digest), "unsubscribe", server.base_url)
            assert digest["List-Unsubscribe"] == f"<{server.base_url}{unsubscribe}>"

        # The link in the digest asks first, then unsubscribes.
        page.goto(unsubscribe)
        expect(page.locator("h1")).to_have_text("退订")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        expect(page.locator("h1")).to_have_text("您已退订")
        assert server.portal_rows("SELECT count(*) FROM follow_subscribers") == [(0,)]
        assert page.browsing_errors == []
    finally:
        context.close()
    # The address never reaches the server's log.
    assert ADDRESS not in server.log_tail(characters=10_000_000)
