"""Verifiable credit reports: the PDF, the printable page, the verify page; and the report as of a date.

Data goes in through the real sync, from a scoring database written by the test builder.
"""

import hashlib
import io
import json
import re
from datetime import date, datetime, timedelta

import pypdf
import pytest
import segno
from sqlalchemy import select

from portal.extensions import db
from portal.reports import pdf, service
from portal.reports.models import IssuedReport
from tests.scoring_builder import make_uscc
from tests.synced_portal import sync_at
from tests.conftest import has_inline_script

# Nights synced at 02:30 Beijing time (18:30 UTC the day before): 3, 4, 5 and 6 November 2026.
NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(4)]
FOUNDATION = make_uscc(7, type_prefix="53", district="110105")
FOUNDATION_NAME = "北京市朝阳区青少年发展基金会"
OTHER = make_uscc(8)
OTHER_NAME = "北京市测试评估协会"
HIDDEN_C = make_uscc(20)
HIDDEN_NAME = "北京市丙级隐藏协会"
UNKNOWN = make_uscc(999)

GENUINE = {"zh": "真实有效", "en": "Genuine"}


def text_of(response):
    return response.get_data(as_text=True)


@pytest.fixture
def published(app, scoring, monkeypatch):
    """A foundation rated A and an association rated B in the public list; a C-rated one outside it."""
    scoring.organisation(
        7, uscc=FOUNDATION, name=FOUNDATION_NAME, grade="A", score="97.50", org_type="foundation",
        district_code="110105", former_names=["北京市朝阳区少年发展基金会"],
    )
    scoring.organisation(8, uscc=OTHER, name=OTHER_NAME, grade="B", score="88.00")
    scoring.organisation(20, uscc=HIDDEN_C, name=HIDDEN_NAME, grade="C", score="70.00")
    scoring.event("E-PLUS", FOUNDATION, points="2", description="按时履行信用承诺")
    scoring.event("E-SECRET", FOUNDATION, points="-3", description="不予公开的扣分事项", is_public=False)
    scoring.list_entry("L-1", FOUNDATION, listed_on=date(2024, 3, 1), removed_on=date(2024, 9, 1),
                       removal_reason="已补报年度工作报告")
    sync_at(app, monkeypatch, NIGHTS[0])
    # Later tests move on from the second night.
    scoring.tick(days=1)
    return app


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def issued_rows(app):
    with app.app_context():
        return db.session.scalars(select(IssuedReport).order_by(IssuedReport.id)).all()


def issue(client, uscc=FOUNDATION, language="zh", kind="pdf"):
    """Download a report and return (response, its IssuedReport row)."""
    path = f"/org/{uscc}/report.pdf" if kind == "pdf" else f"/org/{uscc}/report/print"
    response = client.get(path, query_string={"lang": language})
    assert response.status_code == 200, text_of(response)
    with client.application.app_context():
        row = db.session.scalar(
            select(IssuedReport).where(IssuedReport.uscc == uscc, IssuedReport.language == language)
            .order_by(IssuedReport.id.desc())
        )
        db.session.expunge(row)
    return response, row


def tampered(number):
    """Return the number with one character of its random part changed to another valid one."""
    last = number[-1]
    replacement = "0" if last != "0" else "1"
    return number[:-1] + replacement


# -- the PDF and the printable page ------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_pdf_renders_the_chinese_name_and_grade(client, published, language):
    response, row = issue(client, language=language)
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert row.report_number in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert FOUNDATION_NAME in text
    assert FOUNDATION in text
    grade_line = {"zh": "信用等级 A", "en": "Credit grade A"}[language]
    assert grade_line in text
    assert "97.50" in text
    assert row.report_number in text
    assert service.grouped_hash(row.sha256) in text
    # Only public items, and nothing of the organisation outside the list.
    assert "按时履行信用承诺" in text
    assert "不予公开的扣分事项" not in text
    assert HIDDEN_NAME not in text


def test_pdf_fetches_nothing_but_static_files(app, published):
    with app.test_request_context():
        fetcher = pdf.static_fetcher(app.static_folder, "/static")
        assert fetcher.fetch("http://localhost/static/css/print.css").read().startswith(b"/*")
        for url in (
            "http://example.com/evil.css",
            "https://fonts.googleapis.com/css?family=Noto",
            "http://localhost/static/../portal/config/__init__.py",
            "http://localhost/static/%2e%2e/portal/config/__init__.py",
            "file:///etc/passwd",
            "ftp://localhost/static/css/print.css",
        ):
            with pytest.raises(ValueError):
                fetcher.fetch(url)
        assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_printable_page_is_the_same_report(client, published, language):
    pdf_response, row = issue(client, language=language)
    response, printed_row = issue(client, language=language, kind="print")
    assert printed_row.report_number == row.report_number
    body = text_of(response)
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert f'<html lang="{ {"zh": "zh-CN", "en": "en"}[language] }">' in body
    assert FOUNDATION_NAME in body and row.report_number in body
    assert service.grouped_hash(row.sha256) in body
    assert '<img src="data:image/svg+xml' in body
    assert f"http://localhost/verify/{row.report_number}?lang={language}" in body
    assert '<link rel="stylesheet" href="/static/css/print.css">' in body
    assert not has_inline_script(body) and "<style" not in body and " style=" not in body
    link_text = {"zh": "下载 PDF", "en": "Download PDF"}[language]
    assert f'<a href="/org/{FOUNDATION}/report.pdf?lang={language}" type="application/pdf">{link_text}</a>' in body
    if language == "zh":
        assert "Download PDF" not in body
    assert client.get("/static/css/print.css").status_code == 200


def test_qr_code_links_to_the_public_base_url(app, client, published):
    app.config["PUBLIC_BASE_URL"] = "https://credit.example.gov.cn/"
    response, row = issue(client, kind="print")
    body = text_of(response)
    assert f"https://credit.example.gov.cn/verify/{row.report_number}?lang=zh" in body
    # The QR code encodes exactly that address.
    expected = segno.make(f"https://credit.example.gov.cn/verify/{row.report_number}?lang=zh", error="m")
    assert expected.svg_data_uri(scale=4, border=2, dark="#000000", light="#ffffff") in body.replace("&#39;", "'").replace("&amp;", "&")


def test_a_report_is_reused_for_the_same_publication_and_language(app, client, published, scoring, monkeypatch):
    _, first = issue(client)
    _, again = issue(client)
    _, printed = issue(client, kind="print")
    assert first.report_number == again.report_number == printed.report_number
    _, english = issue(client, language="en")
    assert english.report_number != first.report_number
    assert len(issued_rows(app)) == 2
    scoring.score(FOUNDATION, "A", "99.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    _, newer = issue(client)
    assert newer.report_number != first.report_number
    assert newer.publication_version == first.publication_version + 1
    assert json.loads(newer.content)["credit"]["score"] == "99.00"
    assert len(issued_rows(app)) == 3


def test_report_numbers_are_random_and_well_formed(app, client, published):
    _, row = issue(client)
    assert re.fullmatch(r"R-[0-9]{8}-[0-9A-HJKMNP-TV-Z]{16}", row.report_number)
    numbers = {service.new_report_number(date(2026, 11, 29)) for _ in range(200)}
    assert len(numbers) == 200
    assert all(number.startswith("R-20261129-") for number in numbers)


def test_hash_is_the_sha256_of_the_canonical_content(app, client, published):
    _, row = issue(client)
    assert row.sha256 == hashlib.sha256(row.content.encode("utf-8")).hexdigest()
    content = json.loads(row.content)
    assert service.canonical_json(content) == row.content
    assert content["format"] == service.CONTENT_FORMAT
    assert content["report_number"] == row.report_number
    assert content["issued_at"] == row.issued_at.isoformat() + "Z"
    assert content["publication"]["version"] == row.publication_version == 1
    assert content["organisation"]["uscc"] == FOUNDATION
    assert content["organisation"]["name"] == FOUNDATION_NAME
    assert content["credit"]["grade"] == "A" and content["credit"]["score"] == "97.50"
    assert [event["event_id"] for event in content["events"]] == ["E-PLUS"]
    assert [dimension["code"] for dimension in content["dimensions"]][:2] == ["party_building", "integrity"]
    assert content["language"] == "zh"


@pytest.mark.parametrize("path", ["/org/{code}/report.pdf", "/org/{code}/report/print"])
def test_no_report_for_an_organisation_outside_the_list(app, client, published, path):
    hidden = client.get(path.format(code=HIDDEN_C))
    unknown = client.get(path.format(code=UNKNOWN))
    assert hidden.status_code == unknown.status_code == 404
    assert HIDDEN_NAME not in text_of(hidden)
    assert text_of(hidden).replace(HIDDEN_C, "CODE") == text_of(unknown).replace(UNKNOWN, "CODE")
    assert issued_rows(app) == []
    invalid = client.get(path.format(code="12345"))
    assert invalid.status_code == 400
    lower = client.get(path.format(code=FOUNDATION.lower()))
    assert lower.status_code == 301 and lower.headers["Location"].endswith(path.format(code=FOUNDATION))


@pytest.fixture
def limited_app(rate_limited_app, published):
    """The published databases, in an app with the reports' rate limits on."""
    return rate_limited_app(REPORT_RATE_LIMIT="2 per minute", REPORT_VERIFY_RATE_LIMIT="3 per minute")


def test_issuing_and_verifying_are_rate_limited(limited_app):
    client = limited_app.test_client()
    codes = [
        client.get(f"/org/{FOUNDATION}/report.pdf").status_code,
        client.get(f"/org/{FOUNDATION}/report/print").status_code,
        client.get(f"/org/{FOUNDATION}/report.pdf?lang=en").status_code,
    ]
    assert codes == [200, 200, 429]
    # Sending again a PDF already rendered issues and renders nothing: it is not counted, nor refused.
    assert client.get(f"/org/{FOUNDATION}/report.pdf").status_code == 200
    limited = client.get(f"/org/{FOUNDATION}/report/print?lang=en")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "Too many requests" in text_of(limited)
    verify_codes = [client.get("/verify/R-20261129-0000000000000000").status_code for _ in range(4)]
    assert verify_codes == [404, 404, 404, 429]


# -- verification ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_verify_page_confirms_a_genuine_report(client, published, language):
    _, row = issue(client, language="zh")
    response = client.get(f"/verify/{row.report_number}", query_string={"lang": language})
    assert response.status_code == 200
    body = text_of(response)
    assert GENUINE[language] in body
    assert FOUNDATION_NAME in body and FOUNDATION in body
    assert '<span class="grade grade--a">A</span>' in body
    assert service.grouped_hash(row.sha256) in body
    assert {"zh": "信用等级没有变化", "en": "The grade has not changed"}[language] in body
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert not has_inline_script(body) and " style=" not in body
    matched = client.get(f"/verify/{row.report_number}", query_string={"lang": language, "sha256": row.sha256.upper()})
    assert matched.status_code == 200
    assert {"zh": "哈希值一致", "en": "The hash you typed matches"}[language] in text_of(matched)
    spaced = client.get(f"/verify/{row.report_number}", query_string={"sha256": service.grouped_hash(row.sha256)})
    assert spaced.status_code == 200


@pytest.mark.parametrize("language", ["zh", "en"])
def test_verify_rejects_a_tampered_number_or_hash(client, published, language):
    _, row = issue(client)
    query = {"lang": language}
    unknown = client.get(f"/verify/{tampered(row.report_number)}", query_string=query)
    assert unknown.status_code == 404
    assert {"zh": "没有出具过编号为", "en": "No report with the number"}[language] in text_of(unknown)
    assert FOUNDATION_NAME not in text_of(unknown)
    for malformed in ("R-2026-1", "R-20261399-ABCDEFGHJKMNPQRS", "X-20261129-ABCDEFGHJKMNPQRS", "R-20261129-ABCDEFGHJKMNPQRU",
                      "R-20261129-<script>alert(1)"):
        response = client.get(f"/verify/{malformed}", query_string=query)
        assert response.status_code == 400, malformed
        assert "<script>alert" not in text_of(response)
    flipped = row.sha256[:-1] + ("0" if row.sha256[-1] != "0" else "1")
    mismatch = client.get(f"/verify/{row.report_number}", query_string={**query, "sha256": flipped})
    assert mismatch.status_code == 400
    assert {"zh": "不一致", "en": "does NOT match"}[language] in text_of(mismatch)
    bad_hash = client.get(f"/verify/{row.report_number}", query_string={**query, "sha256": "abc"})
    assert bad_hash.status_code == 400
    assert {"zh": "不是 SHA-256", "en": "is not a SHA-256 hash"}[language] in text_of(bad_hash)


def test_verify_form_sends_to_the_report_and_explains_mistakes(client, published):
    _, row = issue(client)
    form = client.get("/verify?lang=en")
    assert form.status_code == 200
    body = text_of(form)
    assert '<label for="verify-number">' in body and 'name="sha256"' in body
    typed = " " + row.report_number.lower().replace("0", "o") + " "
    response = client.get("/verify", query_string={"number": typed, "sha256": row.sha256})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/verify/{row.report_number}?sha256={row.sha256}"
    wrong = client.get("/verify", query_string={"number": "R-123", "lang": "en"})
    assert wrong.status_code == 400
    assert 'aria-invalid="true"' in text_of(wrong) and "is not a report number" in text_of(wrong)
    no_number = client.get("/verify", query_string={"sha256": row.sha256, "lang": "en"})
    assert no_number.status_code == 400
    lower = client.get(f"/verify/{row.report_number.lower()}")
    assert lower.status_code == 301 and lower.headers["Location"].endswith(f"/verify/{row.report_number}")


def test_verify_says_when_the_grade_changed_after_a_later_sync(app, client, published, scoring, monkeypatch):
    _, row = issue(client)
    scoring.score(FOUNDATION, "B", "88.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    for language, changed in (
        ("zh", "信用等级已经变化"),
        ("en", "The grade has changed since"),
    ):
        response = client.get(f"/verify/{row.report_number}", query_string={"lang": language, "sha256": row.sha256})
        assert response.status_code == 200
        body = text_of(response)
        assert GENUINE[language] in body and changed in body
        assert '<span class="grade grade--a">A</span>' in body  # what the report stated
        assert '<span class="grade grade--b">B</span>' in body  # what the list shows now


def test_verify_still_works_after_the_organisation_left_the_list(app, client, published, scoring, monkeypatch):
    _, row = issue(client)
    scoring.score(FOUNDATION, "C", "71.23")
    sync_at(app, monkeypatch, NIGHTS[1])
    for language, gone in (("zh", "已不在公示名单中"), ("en", "no longer in the public list")):
        response = client.get(f"/verify/{row.report_number}", query_string={"lang": language, "sha256": row.sha256})
        assert response.status_code == 200
        body = text_of(response)
        assert GENUINE[language] in body and gone in body
        # What it stated, never what it is now.
        assert "97.50" in body
        assert "71.23" not in body and "grade--c" not in body and ">C<" not in body
    assert client.get(f"/org/{FOUNDATION}/report.pdf").status_code == 404


def test_a_report_whose_record_was_altered_is_not_confirmed(app, client, published):
    _, row = issue(client)
    with app.app_context():
        stored = db.session.get(IssuedReport, row.id)
        stored.content = stored.content.replace('"97.50"', '"99.50"')
        db.session.commit()
    response = client.get(f"/verify/{row.report_number}")
    assert response.status_code == 500
    assert "99.50" not in text_of(response)


def test_canonical_forms_of_typed_numbers_and_hashes():
    assert service.normalise_report_number(" r-20261129-abcdefghjkmnpqrs ") == "R-20261129-ABCDEFGHJKMNPQRS"
    assert service.normalise_report_number("R-20261129-OIL0000000000000") == "R-20261129-0110000000000000"
    assert service.normalise_report_number("Ｒ－２０２６１１２９－ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳ") == "R-20261129-ABCDEFGHJKMNPQRS"
    assert service.normalise_report_number("R-20261129-ABCDEFGHJKMNPQRU") is None
    assert service.normalise_report_number("R-20260230-ABCDEFGHJKMNPQRS") is None
    assert service.normalise_report_number("") is None
    assert service.normalise_sha256("AB" * 32) == "ab" * 32
    assert service.normalise_sha256("ab" * 31) is None
    assert service.normalise_sha256("zz" * 32) is None
    assert service.canonical_json({"b": "北京", "a": [1, None, True]}) == '{"a":[1,null,true],"b":"北京"}'


# -- the report as of a date ---------------------------------------------------------------


@pytest.fixture
def history(app, published, scoring, monkeypatch):
    """Night 1 (3 Nov): A 97.50. Night 2 (4 Nov): B 88.00. Night 3 (5 Nov): C, out of the list. Night 4 (6 Nov): B 85.00."""
    scoring.score(FOUNDATION, "B", "88.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    scoring.tick(days=1)
    scoring.score(FOUNDATION, "C", "71.23")
    sync_at(app, monkeypatch, NIGHTS[2])
    scoring.tick(days=1)
    scoring.score(FOUNDATION, "B", "85.00")
    sync_at(app, monkeypatch, NIGHTS[3])
    return app


def as_of(client, day, language="zh", uscc=FOUNDATION):
    return client.get(f"/org/{uscc}", query_string={"as_of": day, "lang": language})


@pytest.mark.parametrize("language", ["zh", "en"])
def test_as_of_shows_the_grade_before_and_after_a_change(client, history, language):
    before = as_of(client, "2026-11-03", language)
    assert before.status_code == 200
    body = text_of(before)
    assert FOUNDATION_NAME in body
    assert '<span class="grade grade--a">A</span>' in body and "97.50" in body
    assert {"zh": "2026年11月3日", "en": "Nov 3, 2026"}[language] in body
    assert not has_inline_script(body) and " style=" not in body
    after = as_of(client, "2026-11-04", language)
    assert after.status_code == 200
    assert "88.00" in text_of(after) and '<span class="grade grade--b">B</span>' in text_of(after)
    assert "97.50" in text_of(after)  # in the history up to that date
    latest = as_of(client, "2026-11-20", language)
    assert latest.status_code == 200 and "85.00" in text_of(latest)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_as_of_a_day_out_of_the_list_shows_no_grade(client, history, language):
    response = as_of(client, "2026-11-05", language)
    assert response.status_code == 404
    body = text_of(response)
    assert "71.23" not in body and "grade--c" not in body
    assert {"zh": "不在公示名单中", "en": "was in the public list at the end of"}[language] in body
    hidden = as_of(client, "2026-11-05", language, uscc=HIDDEN_C)
    unknown = as_of(client, "2026-11-05", language, uscc=UNKNOWN)
    assert hidden.status_code == unknown.status_code == 404
    assert HIDDEN_NAME not in text_of(hidden) and "70.00" not in text_of(hidden)
    assert text_of(hidden).replace(HIDDEN_C, "CODE") == text_of(unknown).replace(UNKNOWN, "CODE")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_as_of_rejects_bad_and_future_dates(client, history, language):
    for bad in ("2026-13-01", "yesterday", "2026-11-3", "２０２６-11-03", "2026-02-30"):
        response = as_of(client, bad, language)
        assert response.status_code == 400, bad
        assert {"zh": "年-月-日", "en": "year-month-day"}[language] in text_of(response)
    future = as_of(client, "2999-01-01", language)
    assert future.status_code == 400
    assert {"zh": "未来", "en": "in the future"}[language] in text_of(future)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_as_of_before_the_first_sync_says_there_is_no_record(client, history, language):
    response = as_of(client, "2026-11-02", language)
    assert response.status_code == 404
    body = text_of(response)
    assert {"zh": "没有", "en": "The portal's records begin on"}[language] in body
    assert "97.50" not in body


def test_as_of_uses_the_end_of_the_day_in_beijing(app, client, history):
    # Night 2 synced at 02:30 on 4 Nov Beijing time, which is still 3 Nov in UTC.
    response = as_of(client, "2026-11-03")
    assert "97.50" in text_of(response) and "88.00" not in text_of(response)


def test_report_page_links_to_the_pdf_printable_version_and_as_of_form(client, published):
    body = text_of(client.get(f"/org/{FOUNDATION}?lang=en"))
    assert f'href="/org/{FOUNDATION}/report.pdf?lang=en"' in body
    assert f'href="/org/{FOUNDATION}/report/print?lang=en"' in body
    assert 'name="as_of"' in body
    assert (
        f'<a href="/org/{FOUNDATION}/feed.atom?lang=en" type="application/atom+xml">'
        "Follow this organisation (Atom feed)</a>"
    ) in body


def test_empty_as_of_shows_the_current_report(client, published):
    response = client.get(f"/org/{FOUNDATION}?as_of=")
    assert response.status_code == 200 and "97.50" in text_of(response)
