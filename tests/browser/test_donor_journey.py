"""A donor's journey in a real browser: check an organisation before giving to it.

The donor opens the organisation's credit report, downloads the PDF, follows
the address its QR code carries to the verify page (which confirms the report
and, given the hash printed on the PDF, that nothing in it was altered), and
uses the report page's date form to see the grade as the public list showed it
on a given day.
"""

import io
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from pypdf import PdfReader

from tests.browser.playwright_expect import expect
from portal.clock import local_date
from portal.sync.models import RUN_SUCCEEDED
from portal.testing.live_server import YOUTH_FOUNDATION

pytestmark = pytest.mark.browser

REPORT_NUMBER = re.compile(r"R-\d{8}-[0-9A-Z]{16}")
#: The verify address printed under the QR code (the QR code encodes the same address).
VERIFY_URL = re.compile(r"https?://\S+/verify/(R-\d{8}-[0-9A-Z]{16})\S*")
#: The hash is printed in eight groups of eight hexadecimal digits.
SHA256_GROUPED = re.compile(r"((?:[0-9a-f]{8}\s+){7}[0-9a-f]{8})")


def open_report(page, uscc, grade):
    """Open the organisation's report from the list of published organisations' search."""
    page.goto("/")
    box = page.locator("main form[role=search] input[name=q]")
    box.fill("青少年发展基金会")
    with page.expect_navigation():
        box.press("Enter")
    with page.expect_navigation():
        page.locator(f"main a[href*='/org/{uscc}']").first.click()
    assert urlsplit(page.url).path == f"/org/{uscc}"
    expect(page.locator("main h1")).to_contain_text(YOUTH_FOUNDATION)
    expect(page.locator(".report-grade__badge .grade")).to_have_text(grade)


def first_sync_day(live_server):
    """The Beijing date on which the live server's first successful sync finished (where its records begin)."""
    ((finished,),) = live_server.portal_rows(
        "SELECT min(finished_at) FROM sync_runs WHERE status = :succeeded", {"succeeded": RUN_SUCCEEDED}
    )
    if isinstance(finished, str):  # SQLite hands a text column back as text
        finished = datetime.fromisoformat(finished)
    return local_date(finished, "Asia/Shanghai")


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def test_donor_downloads_pdf_verifies_it_and_checks_a_past_date(page, youth_foundation, live_server):
    uscc, grade = youth_foundation
    open_report(page, uscc, grade)

    # 1. The PDF: the report page links it; the browser's own session fetches it.
    pdf_link = page.locator("main a[type='application/pdf']")
    expect(pdf_link).to_have_count(1)
    href = pdf_link.get_attribute("href")
    assert urlsplit(href).path == f"/org/{uscc}/report.pdf"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert uscc in response.headers["content-disposition"]
    data = response.body()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert YOUTH_FOUNDATION in text, "the PDF must carry the organisation's Chinese name"
    assert uscc in text
    assert re.search(rf"信用等级\s*{grade}\b", text), "the PDF must state the grade"
    number = REPORT_NUMBER.search(text).group(0)
    verify_target = VERIFY_URL.search(text)
    assert verify_target, "the PDF prints the address its QR code leads to"
    assert verify_target.group(1) == number
    sha256 = re.sub(r"\s+", "", SHA256_GROUPED.search(text).group(1))
    assert len(sha256) == 64

    # The printable page of the same report shows the same number, and a QR code.
    with page.expect_navigation():
        page.locator(f"main a[href='/org/{uscc}/report/print']").click()
    expect(page.locator("body")).to_contain_text(number)
    qr = page.locator("img[src^='data:image/svg+xml']")
    expect(qr).to_have_count(1)
    # No QR decoder is installed: encode the address printed in the PDF the same way (segno,
    # error correction M) and compare. The same image means the QR code leads there.
    expected_qr = segno.make(verify_target.group(0), error="m").svg_data_uri(
        scale=4, border=2, dark="#000000", light="#ffffff"
    )
    assert qr.get_attribute("src") == expected_qr, "the QR code must encode the verify address printed on the report"

    # 2. The QR code's target: the verify page confirms the report.
    target = urlsplit(verify_target.group(0))
    assert f"{target.scheme}://{target.netloc}" == live_server.base_url
    page.goto(target.path + ("?" + target.query if target.query else ""))
    expect(page.locator("main h1")).to_contain_text(number)
    result = page.locator("main .verify-result")
    expect(result).to_have_class(re.compile(r"\bverify-result--genuine\b"))
    expect(result).to_have_attribute("role", "status")
    expect(result).to_contain_text(number)
    main = page.locator("main")
    expect(main).to_contain_text(YOUTH_FOUNDATION)
    expect(main).to_contain_text(uscc)
    # Nothing has changed since the report was issued: the verify page says the grade is the same.
    expect(main).to_contain_text(f"仍显示为 {grade}")

    # The donor also types the number and the printed hash (with its spaces) into the verify form.
    page.goto("/verify")
    page.locator("#verify-number").fill(number)
    page.locator("#verify-sha256").fill(SHA256_GROUPED.search(text).group(1))
    with page.expect_navigation():
        page.locator("form.verify-form button[type=submit], form.verify-form button:not([type])").first.click()
    assert urlsplit(page.url).path == f"/verify/{number}"
    assert parse_qs(urlsplit(page.url).query)["sha256"] == [sha256]
    expect(result).to_have_class(re.compile(r"\bverify-result--genuine\b"))
    expect(result).to_contain_text("哈希值一致")

    # A hash that differs by one digit is refused: the content would have been altered.
    altered = sha256[:-1] + ("0" if sha256[-1] != "0" else "1")
    response = page.goto(f"/verify/{number}?sha256={altered}")
    assert response.status == 400
    expect(page.locator("main .verify-result--genuine")).to_have_count(0)
    page.browsing_errors.clear()

    # 3. The grade on a date, through the report page's date form.
    page.goto(f"/org/{uscc}")
    date_box = page.locator("main form.as-of-form input[name=as_of]")
    expect(date_box).to_have_attribute("type", "date")
    # The records begin with the live server's first sync: the Beijing day it finished, as the portal
    # counts it (not today, which is the next day once the suite runs past 16:00 UTC).
    day = first_sync_day(live_server)
    date_box.fill(day.isoformat())
    with page.expect_navigation():
        page.locator("main form.as-of-form button[type=submit]").click()
    assert urlsplit(page.url).path == f"/org/{uscc}"
    assert parse_qs(urlsplit(page.url).query)["as_of"] == [day.isoformat()]
    expect(page.locator("main h1")).to_contain_text(YOUTH_FOUNDATION)
    expect(page.locator(".report-grade__badge .grade")).to_have_text(grade)
    expect(page.locator("main .report-header__kicker")).to_be_visible()
    expect(page.locator("main")).to_contain_text(uscc)
    assert page.browsing_errors == []

    # A day before the portal's first update. The date form on this page knows where the
    # records begin (min=): the browser will not submit the earlier date.
    earlier = day - timedelta(days=30)
    date_box = page.locator("main form.as-of-form input[name=as_of]")
    assert date_box.get_attribute("min") == day.isoformat()
    date_box.fill(earlier.isoformat())
    assert date_box.evaluate("element => element.validity.rangeUnderflow")
    # Typed into the address bar instead: no record, said plainly, with a 404 and the form again.
    response = page.goto(f"/org/{uscc}?as_of={earlier.isoformat()}")
    assert response.status == 404
    expect(page.locator("main .error-message")).to_be_visible()
    expect(page.locator("main .error-message")).to_contain_text(day.strftime("%Y年%-m月%-d日"))
    expect(page.locator(".report-grade__badge .grade")).to_have_count(0)
    expect(page.locator("main form.as-of-form")).to_be_visible()
    page.browsing_errors.clear()

    # A date in the future is refused with a 400 and a message, never a 500.
    response = page.goto(f"/org/{uscc}?as_of={(day + timedelta(days=400)).isoformat()}")
    assert response.status == 400
    expect(page.locator("main")).to_contain_text(str((day + timedelta(days=400)).year))
