"""Filing a complaint in a real browser: report page → form with evidence → acknowledgement → status lookup.

Runs with JavaScript on and off against the portal served by gunicorn (a
server of its own, with an evidence folder and contact key in its temporary
folder, so nothing is written to the repository's instance folder).
"""

import re
import subprocess
import time
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from PIL import Image

from tests.browser.conftest import new_page, wait_until_the_form_may_be_sent
from tests.browser.playwright_expect import expect
from tests.conftest import live_portal_database
from portal.testing.live_server import (
    BIN,
    IN_CI,
    ROOT,
    YOUTH_FOUNDATION,
    LiveServer,
    chromium_path,
)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
DESCRIPTION = "在地铁站口以助学名义向路人募捐，未出示公开募捐资格证书，收款二维码为个人账户。"
PHONE = "13912345678"
EMAIL = "complainant.demo@example.com"
ACCESS_CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")
TRACKING_NUMBER = re.compile(r"^TS-\d{8}-\d{4,}$")
#: One key for every process of the server (the web workers and the flask commands).
CONTACT_KEY = Fernet.generate_key().decode("ascii")


class ComplaintServer(LiveServer):
    """The live server, with the complaint settings pointed into its own folder."""

    def environment(self):
        env = super().environment()
        env.update(
            EVIDENCE_DIR=str(self.folder / "evidence"),
            COMPLAINT_CONTACT_KEY=CONTACT_KEY,
            # People take longer than a second to fill the form; the browser does not.
            COMPLAINT_MIN_FILL_SECONDS="1",
            # The attachment test sends the second step a dozen times a minute, from one address.
            COMPLAINT_SUBMIT_RATE_LIMIT="100 per minute",
        )
        return env

    def prepare_data(self):
        super().prepare_data()
        # Until the migrations include the complaint tables, create the missing ones
        # (a no-op once `flask db upgrade` has made them).
        script = (
            "from app import app\n"
            "from portal.extensions import db\n"
            "from portal.complaints.models import Complaint, ComplaintEvent, Evidence\n"
            "from portal.staff.models import StaffUser\n"
            "with app.app_context():\n"
            "    tables = [StaffUser.__table__, Complaint.__table__, Evidence.__table__, ComplaintEvent.__table__]\n"
            "    db.metadata.create_all(db.engine, tables=tables)\n"
        )
        subprocess.run([str(BIN / "python"), "-c", script], cwd=ROOT, env=self.environment(), check=True, timeout=120)


@pytest.fixture(scope="module")
def server(live_backend):
    if chromium_path() is None:
        if IN_CI:
            pytest.fail("chromium is required in CI")
        pytest.skip("browser tests need chromium")
    with live_portal_database(live_backend) as portal_database_url:
        live = ComplaintServer(orgs=80, seed=3, workers=2, log=lambda message: None,
                               portal_database_url=portal_database_url)
        live.start()
        yield live
        live.stop()


@pytest.fixture(scope="module")
def organisation(server):
    return server.published_organisation(YOUTH_FOUNDATION)[0]


@pytest.fixture(params=["javascript", "no-javascript"])
def complaint_page(request, browser, server):
    context, page = new_page(browser, server.base_url, java_script_enabled=request.param == "javascript")
    page.javascript = request.param == "javascript"
    yield page
    context.close()


@pytest.fixture(scope="module")
def evidence_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evidence-upload")
    photo = folder / "现场照片.jpg"
    image = Image.new("RGB", (120, 80), (30, 90, 200))
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (39.0, 54.0, 27.0)
    image.save(photo, "JPEG", exif=exif)
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=300, height=300)
    receipt = folder / "收据.pdf"
    with open(receipt, "wb") as file:
        writer.write(file)
    return [str(photo), str(receipt)]


def test_submit_with_evidence_then_look_up_the_status(complaint_page, server, organisation, evidence_files):
    page = complaint_page
    # From the organisation's report page, "report this organisation".
    page.goto(f"/org/{organisation}")
    with page.expect_navigation():
        page.locator(f"main a[href*='/complaints/new?uscc={organisation}']").first.click()
    assert urlsplit(page.url).path == "/complaints/new"
    expect(page.locator("#uscc")).to_have_value(organisation)
    expect(page.locator("#organisation_name")).to_have_value(YOUTH_FOUNDATION)

    # Step 1: the kind of problem.
    page.locator("#category-illegal_fundraising").check()
    with page.expect_navigation():
        page.locator("form.complaint-form button[type=submit]").click()
    expect(page.locator(".complaint-summary")).to_contain_text(YOUTH_FOUNDATION)

    # Step 2: the details, two evidence files, contact details, consent.
    page.locator("#description").fill(DESCRIPTION)
    page.locator("#incident_on").fill("2026-10-08")
    page.locator("#evidence").set_input_files(evidence_files)
    page.locator("#contact-contact").check()
    page.locator("#contact_phone").fill(PHONE)
    page.locator("#contact_email").fill(EMAIL)
    page.locator("#consent").check()
    if page.javascript:
        expect(page.locator(".char-count")).to_contain_text(str(len(DESCRIPTION)))
    wait_until_the_form_may_be_sent(page, server)
    with page.expect_navigation():
        page.locator("form.complaint-form button[type=submit]").click()

    # The acknowledgement: tracking number and access code, once; the code is not in the URL.
    assert urlsplit(page.url).path.startswith("/complaints/acknowledgement/")
    codes = page.locator(".acknowledgement__codes dd")
    expect(codes).to_have_count(2)
    tracking_number = codes.nth(0).inner_text().strip()
    access_code = codes.nth(1).inner_text().strip()
    assert TRACKING_NUMBER.match(tracking_number) and ACCESS_CODE.match(access_code)
    assert access_code not in page.url
    expect(page.locator(".details")).to_contain_text("2")  # two evidence files
    print_button = page.locator("button.js-print")
    if page.javascript:
        expect(print_button).to_be_visible()
    else:
        expect(print_button).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(codes.nth(1)).to_be_visible()
    page.emulate_media(media="screen")
    page.reload()
    expect(page.locator(".acknowledgement__codes dd")).to_have_count(1)

    # The status lookup, linked from the acknowledgement.
    with page.expect_navigation():
        page.locator(".acknowledgement__actions a[href*='/complaints/status']").click()
    page.locator("#tracking_number").fill(tracking_number)
    page.locator("#access_code").fill(access_code.lower())
    with page.expect_navigation():
        page.locator("form.complaint-form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(tracking_number)
    expect(page.locator(".complaint-state .state--submitted")).to_be_visible()
    expect(page.locator(".timeline li")).to_have_count(1)
    content = page.content()
    assert PHONE not in content and EMAIL not in content and DESCRIPTION not in content
    assert page.browsing_errors == []

    # Nothing personal in the server's logs (the access log included).
    log = server.log_tail(characters=10_000_000)
    for secret in (DESCRIPTION, PHONE, EMAIL, access_code, YOUTH_FOUNDATION):
        assert secret not in log


def test_organisation_suggestions_fill_name_and_code(browser, server, organisation):
    context = browser.new_context(base_url=server.base_url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/complaints/new")
        box = page.locator("#organisation_name")
        box.press_sequentially(YOUTH_FOUNDATION[:6], delay=30)
        suggestions = page.locator("#organisation-suggestions li[role=option]")
        expect(suggestions.first).to_be_visible()
        expect(box).to_have_attribute("aria-expanded", "true")
        option = page.locator("#organisation-suggestions li[role=option]", has_text=YOUTH_FOUNDATION).first
        # Each suggestion is a name and a code, nothing else (no grade, no score).
        assert re.fullmatch(r"\S+\s*[0-9A-Z]{18}", option.inner_text().strip().replace("\n", " "))
        option.dispatch_event("mousedown")
        expect(box).to_have_value(YOUTH_FOUNDATION)
        expect(page.locator("#uscc")).to_have_value(organisation)
    finally:
        context.close()


def test_bad_file_is_refused_with_a_message_and_the_form_kept(browser, server, organisation, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"MZ\x90\x00" + b"\0" * 500)
    context = browser.new_context(base_url=server.base_url, locale="en", java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"/complaints/new?uscc={organisation}&lang=en")
        page.locator("#category-other").check()
        with page.expect_navigation():
            page.locator("form.complaint-form button[type=submit]").click()
        page.locator("#description").fill(DESCRIPTION)
        page.locator("#evidence").set_input_files([str(fake)])
        page.locator("#contact-anonymous").check()
        page.locator("#consent").check()
        wait_until_the_form_may_be_sent(page, server)
        with page.expect_navigation():
            page.locator("form.complaint-form button[type=submit]").click()
        expect(page.locator(".error-summary")).to_contain_text("is not a JPEG, PNG or PDF file")
        expect(page.locator("#description")).to_have_value(DESCRIPTION)
        expect(page.locator("#evidence")).to_have_attribute("aria-invalid", "true")
    finally:
        context.close()


#: Each mistake of the second step, one after another, and the field its error links to. Every field is
#: wrong once; each mistake is put right when the next one is made.
MISTAKES = [
    ("description", lambda page: page.locator("#description").fill("")),
    ("description", lambda page: page.locator("#description").fill("太短了")),
    ("description", lambda page: page.locator("#description").fill("长" * 5001)),
    ("incident_on", lambda page: (page.locator("#description").fill(DESCRIPTION),
                                  page.locator("#incident_on").fill("2999-01-01"))),
    ("contact_phone", lambda page: (page.locator("#incident_on").fill("2026-10-08"),
                                    page.locator("#contact_phone").fill("12345"))),
    ("contact_email", lambda page: (page.locator("#contact_phone").fill(PHONE),
                                    page.locator("#contact_email").fill("wang@@example"))),
    ("contact_name", lambda page: (page.locator("#contact_email").fill(EMAIL),
                                   page.locator("#contact_name").fill("王" * 51))),
    ("contact-contact", lambda page: (page.locator("#contact_name").fill(""), page.locator("#contact-anonymous").check())),
    ("contact-contact", lambda page: (page.locator("#contact-contact").check(), page.locator("#contact_phone").fill(""),
                                      page.locator("#contact_email").fill(""))),
    ("consent", lambda page: (page.locator("#contact_phone").fill(PHONE), page.locator("#consent").uncheck())),
]


def test_attachments_survive_every_form_error(complaint_page, server, organisation, evidence_files, tmp_path):
    page = complaint_page
    page.goto(f"/complaints/new?uscc={organisation}")
    page.locator("#category-illegal_fundraising").check()
    with page.expect_navigation():
        page.locator("form.complaint-form button[type=submit]").click()
    shown_at = time.monotonic()  # the form's token counts its minimum fill time from here

    # Everything right but the description, with two files.
    page.locator("#evidence").set_input_files(evidence_files)
    page.locator("#contact-contact").check()
    page.locator("#contact_phone").fill(PHONE)
    page.locator("#contact_email").fill(EMAIL)
    page.locator("#consent").check()
    held = page.locator("#held-evidence input[name=keep_evidence]")
    for field, make_mistake in MISTAKES:
        make_mistake(page)
        with page.expect_navigation() as navigation:
            page.locator("form.complaint-form button[type=submit]").click()
        assert navigation.value.status == 400, field
        expect(page.locator(f".error-summary a[href='#{field}']")).to_have_count(1)
        # Both files are still with the form, ticked, and the file input is empty.
        expect(held).to_have_count(2)
        for index in range(2):
            expect(held.nth(index)).to_be_checked()
        expect(page.locator("#held-evidence")).to_contain_text("现场照片.jpg")
        expect(page.locator("#held-evidence")).to_contain_text("收据.pdf")
        expect(page.locator("#evidence")).to_have_value("")
    page.locator("#consent").check()

    # A file that is not evidence, next to the two kept: refused alone.
    fake = tmp_path / "病毒.jpg"
    fake.write_bytes(b"MZ\x90\x00" + b"\0" * 500)
    page.locator("#evidence").set_input_files([str(fake)])
    with page.expect_navigation():
        page.locator("form.complaint-form button[type=submit]").click()
    expect(page.locator(".error-summary a[href='#evidence']")).to_have_count(1)
    expect(page.locator(".error-summary")).to_contain_text("病毒.jpg")
    expect(held).to_have_count(2)
    expect(page.locator("#held-evidence")).not_to_contain_text("病毒.jpg")
    assert [error.split()[0] for error in page.browsing_errors] == ["400"] * (len(MISTAKES) + 1)
    page.browsing_errors.clear()

    # Untick the photo and send the corrected form, once its minimum fill time has passed.
    page.locator("#held-evidence label:has-text('现场照片.jpg')").click()
    expect(held.nth(0)).not_to_be_checked()
    remaining = shown_at + 1.1 - time.monotonic()
    if remaining > 0:
        page.wait_for_timeout(remaining * 1000)
    with page.expect_navigation():
        page.locator("form.complaint-form button[type=submit]").click()
    assert urlsplit(page.url).path.startswith("/complaints/acknowledgement/")
    expect(page.locator(".details div:has(dt:text-is('证据文件')) dd")).to_have_text("1")
    assert page.browsing_errors == []
