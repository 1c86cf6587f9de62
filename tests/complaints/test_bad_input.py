"""Bad input to the complaint forms: each case gets a clear message in Chinese and English, and a 4xx.

Nothing bad is stored, nothing is echoed unescaped, and nothing is a 500.
"""

import functools
import html
import io
import re
import time
from dataclasses import dataclass, field

import pytest

from portal.complaints.models import Complaint
from portal.extensions import db
from tests.scoring_builder import make_uscc
from portal.testing.upload_bombs import solid_png
from tests.complaints.support import (  # noqa: F401 (fixtures)
    DESCRIPTION,
    PUBLISHED_NAME,
    PUBLISHED_USCC,
    access_code_on,
    add_organisation,
    app,
    client,
    details_form,
    form_token,
    jpeg_with_gps,
    make_app,
    pdf_bytes,
    submit,
    tracking_number_of,
)

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MB = 1024 * 1024


def step_one(client, lang, **fields):
    data = {"step": "organisation", "uscc": "", "organisation_name": "", "category": "other", **fields}
    return client.post(f"/complaints/new?lang={lang}", data=data)


def send_xss_everywhere(client, app, lang):
    form = details_form(
        app,
        uscc="",
        name=XSS,
        description=XSS + DESCRIPTION,
        incident_on=XSS,
        contact_name=XSS,
        contact_phone=XSS,
        contact_email=XSS,
        **{"same_concern": XSS, "contact_choice": "contact"},
    )
    return submit(client, form, lang=lang)


def send_files(*files):
    def send(client, app, lang):
        return submit(client, details_form(app), files=list(files), lang=lang)

    return send


@functools.cache
def png_of_30_megapixels():
    """6,000 × 5,000 pixels: over the 25-megapixel limit, under twice it (Pillow warns, and does not fail)."""
    return solid_png(6000, 5000)


@functools.cache
def png_of_49_megapixels():
    """7,000 × 7,000 pixels in 160 KB: under the old limit (50 megapixels), so the old code decoded it."""
    return solid_png(7000, 7000)


def send_built_file(name, build, content_type):
    def send(client, app, lang):
        return submit(client, details_form(app), files=[(name, build(), content_type)], lang=lang)

    return send


def send_form(**fields):
    def send(client, app, lang):
        return submit(client, details_form(app, **fields), lang=lang)

    return send


def send_step_one(**fields):
    def send(client, app, lang):
        return step_one(client, lang, **fields)

    return send


def send_too_large_request(client, app, lang):
    # One byte over the whole request's limit: refused before the body is read.
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    return submit(client, details_form(app), files=[("big.pdf", b"%PDF-" + b"0" * size, "application/pdf")], lang=lang)


def send_without_csrf_token(client, app, lang):
    return submit(client, details_form(app), lang=lang)


def send_status(**fields):
    def send(client, app, lang):
        return client.post(f"/complaints/status?lang={lang}", data=fields)

    return send


def send_review(**fields):
    def send(client, app, lang):
        return client.post(f"/complaints/status/review?lang={lang}", data=fields)

    return send


@dataclass
class Case:
    id: str
    send: object
    status: int
    en: str
    zh: str
    config: dict = field(default_factory=dict)


WRONG_CHECK = make_uscc(5)[:-1] + ("0" if make_uscc(5)[-1] != "0" else "1")

CASES = [
    Case("xss-in-every-field", send_xss_everywhere, 400,
         "Enter a mobile number of 11 digits", "请填写11位手机号码"),
    Case("file-over-10-mb", send_files(("huge.jpg", b"\xff\xd8\xff" + b"\0" * (10 * MB), "image/jpeg")), 400,
         "“huge.jpg” is larger than 10 MB.", "“huge.jpg”超过10 MB。"),
    Case("request-over-the-limit", send_too_large_request, 413,
         "The files are too large together.", "上传的文件总量过大。"),
    Case("renamed-executable", send_files(("photo.jpg", b"MZ\x90\x00\x03" + b"\0" * 200 + b"PE\0\0", "image/jpeg")), 400,
         "“photo.jpg” is not a JPEG, PNG or PDF file.", "“photo.jpg”不是JPEG、PNG或PDF文件"),
    Case("jpeg-signature-with-garbage", send_files(("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x13" * 500, "image/jpeg")), 400,
         "“photo.jpg” is not a valid JPEG or PNG image.", "“photo.jpg”不是有效的JPEG或PNG图片。"),
    Case("pdf-signature-with-garbage", send_files(("scan.pdf", b"%PDF-1.7\n" + b"garbage" * 50, "application/pdf")), 400,
         "“scan.pdf” is not a valid PDF file.", "“scan.pdf”不是有效的PDF文件。"),
    Case("pdf-with-javascript", send_files(("scan.pdf", pdf_bytes("javascript"), "application/pdf")), 400,
         "“scan.pdf” contains scripts, actions or embedded files", "“scan.pdf”含有脚本、动作或嵌入文件"),
    Case("pdf-with-launch-action", send_files(("scan.pdf", pdf_bytes("launch"), "application/pdf")), 400,
         "contains scripts, actions or embedded files", "含有脚本、动作或嵌入文件"),
    Case("pdf-with-embedded-file", send_files(("scan.pdf", pdf_bytes("attachment"), "application/pdf")), 400,
         "contains scripts, actions or embedded files", "含有脚本、动作或嵌入文件"),
    Case("pdf-with-obfuscated-javascript",
         send_files(("scan.pdf", pdf_bytes("javascript").replace(b"/JavaScript", b"/J#61vaScript"), "application/pdf")),
         400, "contains scripts, actions or embedded files", "含有脚本、动作或嵌入文件"),
    Case("path-traversal-filename", send_files(("../../etc/passwd.jpg", jpeg_with_gps(), "image/jpeg")), 400,
         "contains a path; only a plain file name is accepted.", "包含路径，只接受单纯的文件名。"),
    Case("windows-path-filename", send_files(("..\\..\\boot.ini.pdf", pdf_bytes(), "application/pdf")), 400,
         "contains a path", "包含路径"),
    Case("image-over-25-megapixels", send_built_file("scan.png", png_of_30_megapixels, "image/png"), 400,
         "“scan.png” has too many pixels: images of at most 25 megapixels are accepted.",
         "“scan.png”的像素过多：只接受不超过 25 百万像素的图片。"),
    Case("six-files", send_files(*[(f"{index}.pdf", pdf_bytes(), "application/pdf") for index in range(6)]), 400,
         "Attach at most 5 files.", "最多上传5个文件。"),
    Case("invalid-uscc-check-character", send_step_one(uscc=WRONG_CHECK), 400,
         "its check character does not match.", "校验码不符。"),
    Case("invalid-uscc-length", send_step_one(uscc="5311000050000"), 400,
         "must have 18 characters.", "统一社会信用代码应为18位。"),
    Case("invalid-uscc-characters", send_step_one(uscc="53110000500000000I"), 400,
         "contains characters that are not allowed.", "含有不允许使用的字符。"),
    Case("unlisted-uscc-without-a-name", send_step_one(uscc=make_uscc(999, type_prefix="53")), 400,
         "This code is not on the list of published organisations. Enter the organisation's name as well.",
         "该代码不在公示的社会组织名单中，请同时填写组织名称。"),
    Case("no-organisation", send_step_one(), 400,
         "Enter the organisation's name or its unified social credit code.", "请填写组织名称或统一社会信用代码。"),
    Case("unknown-category", send_step_one(organisation_name="某协会", category="hacking"), 400,
         "Choose the kind of problem.", "请选择问题类型。"),
    Case("tampered-category-in-step-two", send_form(category="hacking"), 400,
         "Choose the kind of problem.", "请选择问题类型。"),
    Case("missing-csrf-token", send_without_csrf_token, 400,
         "did not come from this site", "表单已过期或并非来自本网站", config={"WTF_CSRF_ENABLED": True}),
    Case("description-too-short", send_form(description="太短了"), 400,
         "The description is too short: write at least 20 characters.", "问题描述过短：请至少填写20个字符。"),
    Case("description-too-long", send_form(description="长" * 5001), 400,
         "at most 5000 characters (it has 5001)", "最多5000个字符（当前5001个）"),
    Case("incident-in-the-future", send_form(incident_on="2999-01-01"), 400,
         "The date of the incident cannot be in the future.", "事发日期不能晚于今天。"),
    Case("incident-not-a-date", send_form(incident_on="2026-02-30"), 400,
         "Enter the date as year-month-day", "请按“年-月-日”格式填写日期"),
    Case("anonymous-with-contact", send_form(contact_choice="anonymous"), 400,
         "You chose to stay anonymous", "您选择了匿名投诉举报"),
    Case("no-way-to-reply", send_form(contact_phone="", contact_email=""), 400,
         "Give a phone number or an e-mail address", "请填写电话或电子邮箱"),
    Case("bad-email", send_form(contact_email="wang@@example"), 400,
         "Enter an e-mail address such as name@example.com.", "请填写有效的电子邮箱地址"),
    Case("no-consent", send_form(consent=None), 400,
         "Agree to the privacy notice to submit a complaint.", "请同意隐私声明后再提交投诉举报。"),
    Case("honeypot-filled", send_form(hp_field_7="http://spam.example"), 400,
         "The form could not be accepted.", "表单未被接受"),
    Case("status-malformed-number", send_status(tracking_number="12345", access_code="ABCD"), 400,
         "A tracking number looks like TS-20261128-0042.", "投诉举报编号的格式为TS-20261128-0042。"),
    Case("status-empty", send_status(tracking_number="", access_code=""), 400,
         "Enter the tracking number", "请填写投诉举报编号"),
    Case("review-without-reason", send_review(tracking_number="TS-20261128-0042", review_access_code="ABCD", review_reason="  "),
         400, "Say why you ask for a review of the answer.", "请说明申请复核的理由。"),
    Case("review-reason-too-long",
         send_review(tracking_number="TS-20261128-0042", review_access_code="ABCD", review_reason="长" * 2001),
         400, "The reason is too long: at most 2000 characters.", "理由过长：最多 2000 个字符。"),
    Case("review-unknown-complaint",
         send_review(tracking_number="TS-20261128-0042", review_access_code="ABCD-EFGH-JKMN-PQRS", review_reason="不服答复"),
         404, "No complaint matches this tracking number and access code.", "没有与该投诉举报编号和查询码相符的投诉举报"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_a_clear_message(make_app, case, lang):
    app = make_app(**case.config)
    with app.app_context():
        add_organisation(PUBLISHED_USCC, PUBLISHED_NAME, published=True, grade="A")
        db.session.commit()
    client = app.test_client()
    response = case.send(client, app, lang)
    body = response.get_data(as_text=True)
    assert response.status_code == case.status, body[:3000]
    assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in body
    assert getattr(case, lang) in html.unescape(body)
    assert "Traceback" not in body
    # Whatever was typed comes back escaped, never as markup.
    assert "<script>" not in body and "<img src=x" not in body
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Complaint)) == 0


def test_xss_is_echoed_escaped(make_app):
    app = make_app()
    response = send_xss_everywhere(app.test_client(), app, "en")
    body = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(" in body
    assert "<script>alert" not in body and "<img src=x" not in body


def test_accepted_xss_payloads_are_escaped_on_every_page(client, app):
    response = submit(
        client,
        details_form(app, uscc="", name=XSS, description=XSS + DESCRIPTION, contact_name="<script>alert(2)</script>"),
        files=[("<img src=x onerror=alert(1)>.pdf", pdf_bytes(), "application/pdf")],
    )
    assert response.status_code == 303
    ack = client.get(response.headers["Location"]).get_data(as_text=True)
    code = access_code_on(ack)
    status = client.post(
        "/complaints/status", data={"tracking_number": tracking_number_of(response), "access_code": code}
    ).get_data(as_text=True)
    for page in (ack, status):
        assert "&lt;script&gt;alert(" in page
        assert "<script>alert" not in page and "<img src=x" not in page


def test_double_submit_is_one_complaint(client, app):
    form = details_form(app)
    first, second = submit(client, form), submit(client, form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Complaint)) == 1


def test_a_file_inside_the_limits_next_to_a_bad_one_is_not_stored(client, app, tmp_path):
    good = pdf_bytes()
    response = submit(
        client,
        details_form(app),
        files=[("good.pdf", good, "application/pdf"), ("bad.jpg", b"MZ" + b"\0" * 100, "image/jpeg")],
    )
    assert response.status_code == 400
    evidence_dir = tmp_path / "evidence"
    # No evidence stored: only the good file is held for the form that came back (held_files), the bad one nowhere.
    files = [path for path in evidence_dir.rglob("*") if path.is_file()] if evidence_dir.exists() else []
    assert all(path.relative_to(evidence_dir).parts[0] == "held" for path in files)
    assert [path.read_bytes() for path in files if path.name != "files.json"] == [good]


def test_decompression_bomb_is_refused(client, app):
    from PIL import Image

    output = io.BytesIO()
    Image.new("1", (12000, 12000)).save(output, "PNG")
    response = submit(client, details_form(app), files=[("bomb.png", output.getvalue(), "image/png")], lang="en")
    assert response.status_code == 400
    assert "has too many pixels" in html.unescape(response.get_data(as_text=True))


def test_an_image_is_not_decoded_before_the_form_is_valid(client, app, monkeypatch):
    """A 49-megapixel PNG with the description left empty: the field error at once, no pixel decoded."""
    from PIL import ImageFile

    decoded = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size) or load(image))
    image = png_of_49_megapixels()
    # The same form without the file first: templates compiled and connections open before the clock starts.
    assert submit(client, details_form(app, description=""), lang="en").status_code == 400
    started = time.perf_counter()
    response = submit(client, details_form(app, description=""), files=[("photo.png", image, "image/png")], lang="en")
    elapsed = time.perf_counter() - started
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Describe what happened." in body and "you need not attach it again" in body and "photo.png" in body
    assert decoded == [], "the image was decoded before the form was checked"
    assert elapsed < 1.0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Complaint)) == 0


def test_too_many_files_are_counted_with_the_fields(client, app):
    """The number of files is part of the form: said with the field errors, before any file is read."""
    files = [(f"{index}.png", b"\x89PNG\r\n\x1a\n", "image/png") for index in range(6)]
    response = submit(client, details_form(app, description=""), files=files, lang="en")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Describe what happened." in body and "Attach at most 5 files." in body
    assert "is not a valid JPEG or PNG image" not in body


def test_pillow_refuses_what_the_setting_refuses(app):
    """The setting is Pillow's own decompression-bomb threshold, so no other decoder in the portal goes past it."""
    from PIL import Image

    assert Image.MAX_IMAGE_PIXELS == app.config["COMPLAINT_EVIDENCE_MAX_PIXELS"] == 25_000_000


def test_step_one_errors_keep_what_was_typed(client):
    response = step_one(client, "en", organisation_name="某协会", uscc="BAD")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert re.search(r'id="organisation_name"[^>]*value="某协会"', body)
    assert 'aria-invalid="true"' in body
