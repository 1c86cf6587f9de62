"""Every path of the complaint workflow in a real browser, as the complainant and the staff live it (issue 19).

- 不予受理 (not accepted, with a public reason, confirmed);
- 受理 → 转办 → 答复 (部分属实) → 复核 → 办结 (accepted, transferred, answered, reviewed at the
  complainant's request by a supervisor other than the handler, concluded);
- hand-back to the queue (the reason stays internal);
- escalation to a supervisor, who then accepts.

Staff work in the console (JavaScript on); the complainant reads the status page with the
access code in a browser of their own (JavaScript off). The e-mail is checked as received by a
real SMTP server (aiosmtpd on 127.0.0.1): the portal's web workers only queue it in the outbox,
and the scheduler's outbox job (``portal.scheduler.notification_job``), run here once per path
in a process of its own with the mail settings, sends it. That run returns when the server has
accepted every message, so nothing is waited for by the clock.
"""

import sys
import time

import pytest

from tests.browser.conftest import new_page
from tests.browser.playwright_expect import expect
from tests.browser.staff_setup import (
    create_account,
    ensure_tables,
    run,
    sign_in_with_password,
    submit,
    submit_complaint,
)
from tests.smtp_server import SmtpServer, free_port, text_part

pytestmark = pytest.mark.browser

HANDLER = "paths-handler"
SUPERVISOR = "paths-supervisor"
EMAIL = "paths.complainant@example.com"
SENDER = "noreply@credit.example.gov.cn"
UNIT = "区民政局（属地登记管理机关）"

#: The scheduler's job, once: what `flask scheduler run` does every MAIL_SEND_INTERVAL_SECONDS.
_SEND_OUTBOX = """
from portal import create_app
from portal.scheduler import notification_job

sent, failed = notification_job(create_app())
print(sent, failed)
"""


@pytest.fixture(scope="module")
def accounts(live_server):
    ensure_tables(live_server)
    create_account(live_server, HANDLER, display_name="路径测试承办人")
    create_account(live_server, SUPERVISOR, role="supervisor", display_name="路径测试主管")


@pytest.fixture(scope="module")
def inbox():
    port = free_port()
    with SmtpServer(port) as received:
        received.port = port
        yield received


@pytest.fixture
def staff_page(browser, base_url):
    context, page = new_page(browser, base_url)
    yield page
    context.close()


@pytest.fixture
def citizen(browser, base_url):
    """The complainant's own browser, without JavaScript."""
    context, page = new_page(browser, base_url, java_script_enabled=False)
    yield page
    context.close()


def send_outbox(live_server, inbox):
    """Run the scheduler's outbox job once against ``inbox``; return (sent, failed)."""
    environment = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(inbox.port),
        "MAIL_DEFAULT_SENDER": SENDER,
        "MAIL_TIMEOUT_SECONDS": "10",
        "PUBLIC_BASE_URL": live_server.base_url,
    }
    output = run(live_server, [sys.executable, "-c", _SEND_OUTBOX], environment=environment)
    sent, failed = (int(number) for number in output.split()[-2:])
    return sent, failed


def new_complaint(live_server):
    return submit_complaint(live_server, organisation="北京市路径测试公益协会", email=EMAIL)


def open_complaint(page, number, username):
    """Sign ``username`` in (once per page) and open the complaint's page in the console."""
    page.goto(f"/staff/complaints/{number}")
    if "/staff/login" in page.url:
        sign_in_with_password(page, username, path=page.url)
    assert page.url.endswith(f"/staff/complaints/{number}"), page.url


def take_step(page, step_name, reason=None, confirm=False, **choices):
    """Fill in the form of a workflow step on the complaint's page and send it; return the response."""
    section = f"#action-{step_name.replace('_', '')}"
    for field, value in choices.items():
        locator = page.locator(f"{section} [name='{step_name}-{field}']")
        if field == "unit":
            locator.select_option(value)
        elif field in ("outcome", "result"):
            page.check(f"{section} input[name='{step_name}-{field}'][value='{value}']")
        else:
            locator.fill(value)
    if reason is not None:
        page.fill(f"#{step_name}-reason", reason)
    if confirm:
        page.check(f"#{step_name}-confirm")
    response = submit(page, f"{section} form")
    assert response.status == 200, response.status
    expect(page.locator("p.notice--success")).to_contain_text("已完成")
    return response


def sign_out(page):
    submit(page, ".staff-bar__logout")


def read_status(page, number, code):
    """Look the complaint up on /complaints/status with its access code; return the page's <main>.

    The look-up is rate limited per address (COMPLAINT_STATUS_RATE_LIMIT): a 429 is waited out for
    the time its Retry-After names, and the form sent again.
    """
    for _attempt in range(5):
        page.goto("/complaints/status")
        page.fill("#tracking_number", number)
        page.fill("#access_code", code)
        response = submit(page, "main form")
        if response.status != 429:
            assert response.status == 200, response.status
            return page.locator("main")
        page.browsing_errors[:] = [error for error in page.browsing_errors if not error.startswith("429 ")]
        time.sleep(min(int(response.headers.get("retry-after", "5")), 61) + 1)
    raise AssertionError("the status look-up stayed rate limited")


def mail_about(inbox, number):
    """Return (recipients, subject, text) of the messages received about complaint ``number``, in order."""
    return [
        (recipients, str(message["Subject"]), text_part(message))
        for recipients, message in inbox.messages
        if number in str(message["Subject"])
    ]


def assert_mail(inbox, number, states):
    """The messages about ``number`` announce ``states`` in that order, once each, to the complainant only."""
    received = mail_about(inbox, number)
    assert [subject.rsplit("：", 1)[-1] for _to, subject, _text in received] == states, received
    message_ids = [str(message["Message-ID"]) for _to, message in inbox.messages if number in str(message["Subject"])]
    assert len(set(message_ids)) == len(received)
    for recipients, subject, text in received:
        assert recipients == [EMAIL]
        assert subject.startswith(f"您的投诉举报 {number}：")
        # A link to the status page, and nothing of the complaint's text or the complainant.
        assert f"{number}" in text and "/complaints/status" in text
        assert "捐赠款去向不明" not in text
        assert "王小明" not in text and "13800138000" not in text


def test_not_accepted(staff_page, citizen, live_server, accounts, inbox):
    number, code = new_complaint(live_server)
    page = staff_page
    open_complaint(page, number, HANDLER)

    # Without the confirmation the step is refused, and nothing is sent.
    page.fill("#reject-reason", "该事项不属于社会组织登记管理机关的职责范围，请向市场监管部门反映。")
    response = submit(page, "#action-reject form")
    assert response.status == 400
    expect(page.locator(".error-summary a[href='#reject-confirm']")).to_have_count(1)
    page.browsing_errors.clear()
    take_step(page, "reject", reason="该事项不属于社会组织登记管理机关的职责范围，请向市场监管部门反映。", confirm=True)
    expect(page.locator("p.notice--success")).to_contain_text("不予受理")

    main = read_status(citizen, number, code)
    expect(main.locator(".complaint-state")).to_contain_text("不予受理")
    expect(main).to_contain_text("请向市场监管部门反映")
    expect(main.locator("#ask-review-title")).to_have_count(0)

    assert send_outbox(live_server, inbox)[1] == 0
    assert_mail(inbox, number, ["不予受理"])
    # Sent once: a second run of the job sends nothing more about it.
    send_outbox(live_server, inbox)
    assert_mail(inbox, number, ["不予受理"])
    assert page.browsing_errors == [] and citizen.browsing_errors == []


def test_accepted_transferred_answered_reviewed_concluded(browser, base_url, staff_page, citizen, live_server,
                                                          accounts, inbox):
    number, code = new_complaint(live_server)
    page = staff_page
    open_complaint(page, number, HANDLER)

    # 受理: the complainant sees the answer's deadline as a date.
    take_step(page, "accept")
    main = read_status(citizen, number, code)
    expect(main.locator(".complaint-state")).to_contain_text("已受理")
    expect(main).to_contain_text("答复期限")
    send_outbox(live_server, inbox)
    assert_mail(inbox, number, ["已受理"])

    # 转办 to a unit of the configured list, with a public note.
    open_complaint(page, number, HANDLER)
    take_step(page, "transfer", unit=UNIT, reason="已转属地区民政局核查该会财务公开情况。")
    main = read_status(citizen, number, code)
    expect(main.locator(".complaint-state")).to_contain_text("已转办")
    expect(main.locator("#transfer-title")).to_contain_text(UNIT)
    expect(main).to_contain_text("已转属地区民政局核查该会财务公开情况。")

    # 答复: the receiving unit's answer, recorded by the handler (部分属实), confirmed.
    take_step(page, "answer", outcome="partly_substantiated", reply="经核查，该会2025年度财务报告未按期公开，已责令整改；捐赠款使用未发现违规。",
              confirm=True)
    main = read_status(citizen, number, code)
    expect(main.locator(".complaint-state")).to_contain_text("已答复")
    expect(main.locator("#reply-title + p")).to_contain_text("部分属实")
    expect(main).to_contain_text("已责令整改")
    send_outbox(live_server, inbox)
    assert_mail(inbox, number, ["已受理", "已转办", "已答复"])
    received = mail_about(inbox, number)
    answered = received[2][2]
    assert "部分属实" in answered and "Partly substantiated" in answered
    assert UNIT in received[1][2]

    # 复核: the complainant asks for a review with the access code and a reason.
    citizen.fill("#review_access_code", code)
    citizen.fill("#review_reason", "捐赠款去向问题未予说明，请求复核。")
    response = submit(citizen, "#ask-review-title ~ form")
    assert response.status == 200
    main = citizen.locator("main")
    expect(main.locator("[role=status]")).to_be_visible()
    expect(main.locator(".complaint-state")).to_contain_text("复核中")
    expect(main).to_contain_text("复核决定期限")
    sign_out(page)

    # The handler who answered cannot decide it; a supervisor does, with public reasons, confirmed.
    open_complaint(page, number, HANDLER)
    expect(page.locator("#action-decidereview")).to_have_count(0)
    sign_out(page)
    open_complaint(page, number, SUPERVISOR)
    take_step(page, "decide_review", result="upheld", reason="经复核，原答复认定事实清楚，维持原答复。", confirm=True)

    # 办结.
    main = read_status(citizen, number, code)
    expect(main.locator(".complaint-state")).to_contain_text("已办结")
    expect(main).to_contain_text("维持原答复")
    expect(main).to_contain_text("经复核，原答复认定事实清楚")
    expect(main.locator("#ask-review-title")).to_have_count(0)
    timeline = main.locator(".timeline")
    for state in ("待受理", "已受理", "已转办", "已答复", "复核中", "已办结"):
        expect(timeline).to_contain_text(state)

    assert send_outbox(live_server, inbox)[1] == 0
    assert_mail(inbox, number, ["已受理", "已转办", "已答复", "已办结"])
    assert page.browsing_errors == [] and citizen.browsing_errors == []


def test_handed_back_to_the_queue(staff_page, citizen, live_server, accounts, inbox):
    number, code = new_complaint(live_server)
    page = staff_page
    open_complaint(page, number, HANDLER)
    take_step(page, "accept")
    expect(page.locator("main")).to_contain_text("路径测试承办人")  # accepting made it the handler's

    # Hand-back needs a reason, which stays internal.
    response = submit(page, "#action-handback form")
    assert response.status == 400
    expect(page.locator(".error-summary a[href='#hand_back-reason']")).to_have_count(1)
    page.browsing_errors.clear()
    take_step(page, "hand_back", reason="本人休假两周，退回待分派。")
    expect(page.locator("table.staff-history")).to_contain_text("本人休假两周，退回待分派。")
    # Back in the queue, nobody's: it offers to take it.
    expect(page.locator("#action-assign")).to_be_visible()
    page.goto("/staff/complaints")
    expect(page.locator(f"main table tr:has-text('{number}')")).to_be_visible()

    main = read_status(citizen, number, code)
    expect(main.locator(".complaint-state")).to_contain_text("已受理")
    expect(main).not_to_contain_text("休假")

    send_outbox(live_server, inbox)
    assert_mail(inbox, number, ["已受理"])  # the hand-back tells the complainant nothing
    assert page.browsing_errors == [] and citizen.browsing_errors == []


def test_escalated_to_a_supervisor(staff_page, citizen, live_server, accounts, inbox):
    number, code = new_complaint(live_server)
    page = staff_page
    open_complaint(page, number, HANDLER)
    take_step(page, "escalate", reason="涉及区级业务主管单位，是否受理请主管决定。")
    sign_out(page)

    # The supervisor finds it in the escalated queue, and accepts it: the escalation is cleared.
    open_complaint(page, number, SUPERVISOR)
    page.goto("/staff/complaints?escalated=1")
    expect(page.locator(f"main table tr:has-text('{number}')")).to_be_visible()
    open_complaint(page, number, SUPERVISOR)
    expect(page.locator("main")).to_contain_text("已提交主管")
    expect(page.locator("table.staff-history")).to_contain_text("涉及区级业务主管单位，是否受理请主管决定。")
    take_step(page, "accept")
    page.goto("/staff/complaints?escalated=1")
    expect(page.locator(f"main table tr:has-text('{number}')")).to_have_count(0)

    main = read_status(citizen, number, code)
    expect(main.locator(".complaint-state")).to_contain_text("已受理")
    expect(main).not_to_contain_text("是否受理请主管决定")

    send_outbox(live_server, inbox)
    assert_mail(inbox, number, ["已受理"])
    assert page.browsing_errors == [] and citizen.browsing_errors == []
