"""Complaints, public side: filing, evidence, acknowledgement, status lookup, retention and export."""

import hashlib
import io
import json
import logging
import os
import re
import threading
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from portal import create_app
from portal.clock import utcnow
from portal.complaints import codes, crypto, evidence, organisations, retention, service, validation
from portal.working_days import add_working_days, due_after_working_days
from portal.complaints.models import Complaint, ComplaintEvent, Evidence
from portal.extensions import db
from tests.scoring_builder import make_uscc
from tests.complaints.support import (  # noqa: F401 (fixtures)
    CONTACT,
    DESCRIPTION,
    PUBLISHED_NAME,
    PUBLISHED_USCC,
    UNPUBLISHED_NAME,
    UNPUBLISHED_USCC,
    access_code_on,
    add_organisation,
    app,
    client,
    details_form,
    form_token,
    jpeg_with_gps,
    make_app,
    pdf_bytes,
    png_bytes,
    runner,
    submit,
    tracking_number_of,
)
from tests.staff.support import create_staff, sign_in


def complaint_by_number(number):
    return db.session.scalars(db.select(Complaint).where(Complaint.tracking_number == number)).one()


def file_complaint(client, app, **fields):
    """Submit a valid complaint through the form; return (tracking number, access code)."""
    response = submit(client, details_form(app, **fields))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    number = tracking_number_of(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return number, access_code_on(page)


# -- step 1: the organisation ---------------------------------------------------------


def test_report_link_prefills_a_published_organisation(client):
    page = client.get(f"/complaints/new?uscc={PUBLISHED_USCC}").get_data(as_text=True)
    assert PUBLISHED_NAME in page and PUBLISHED_USCC in page
    assert 'name="form_token"' in page and 'name="csrf_token"' in page


#: Codes not on the public list, one of each kind: graded C (registered, normal), cancelled (registered,
#: graded B before), and valid but unknown to the portal. None may be told from another.
GRADE_C_USCC, GRADE_C_NAME = make_uscc(103, type_prefix="53"), "北京市丙级互助协会"
CANCELLED_USCC, CANCELLED_NAME = make_uscc(104, type_prefix="53"), "北京市已注销公益协会"
UNKNOWN_USCC = make_uscc(105, type_prefix="53")
UNLISTED = {"grade C": GRADE_C_USCC, "cancelled": CANCELLED_USCC, "unknown": UNKNOWN_USCC}


@pytest.fixture
def unlisted(app):
    with app.app_context():
        add_organisation(GRADE_C_USCC, GRADE_C_NAME, published=False, grade="C", score="62.00", registration_status="normal")
        add_organisation(CANCELLED_USCC, CANCELLED_NAME, published=False, grade="B", score="81.00")
        db.session.commit()
    return UNLISTED


_TOKENS = re.compile(r'(name="(?:csrf_token|form_token)"(?: type="hidden")? value=")[^"]*"')


def without_what_was_typed(responses, typed):
    """{kind: (status, body)} of ``responses``, with what was typed for each kind and per-form tokens taken out."""
    return {
        kind: (response.status_code, _TOKENS.sub(r'\1"', response.get_data(as_text=True).replace(typed[kind], "TYPED")))
        for kind, response in responses.items()
    }


def test_unlisted_codes_and_names_are_never_told_apart(client, app, unlisted):
    """Issue 14, finding 6: a graded C, a cancelled and an unknown code get the same answers, byte for byte."""
    prefilled, code_only, with_name = {}, {}, {}
    for typed in (str, lambda code: code[:17], str.lower):
        answers = {kind: client.post("/complaints/organisations", data={"q": typed(code)}) for kind, code in unlisted.items()}
        assert all(answer.get_json()["organisations"] == [] for answer in answers.values())
        assert len({answer.get_data() for answer in answers.values()}) == 1
    for kind, code in unlisted.items():
        prefilled[kind] = client.get(f"/complaints/new?uscc={code}")
        code_only[kind] = client.post("/complaints/new", data={"step": "organisation", "uscc": code, "category": "other"})
        with_name[kind] = client.post(
            "/complaints/new",
            data={"step": "organisation", "uscc": code, "organisation_name": "某某互助会", "category": "other"},
        )
    for responses, status in ((prefilled, 200), (code_only, 400), (with_name, 200)):
        answers = without_what_was_typed(responses, unlisted)
        assert {answer_status for answer_status, _body in answers.values()} == {status}
        assert len(set(answers.values())) == 1, sorted(answers)
    for responses in (prefilled, code_only, with_name):
        page = responses["grade C"].get_data(as_text=True) + responses["cancelled"].get_data(as_text=True)
        assert GRADE_C_NAME not in page and CANCELLED_NAME not in page and "62.00" not in page
        assert "/org/" + GRADE_C_USCC not in page
    assert "请同时填写组织名称" in code_only["grade C"].get_data(as_text=True)
    # The exact name of an unlisted organisation is kept as typed, like any other name: no code is attached.
    names = {"grade C": GRADE_C_NAME, "cancelled": CANCELLED_NAME, "unknown": "北京市查无此会协会"}
    by_name = {
        kind: client.post("/complaints/new", data={"step": "organisation", "organisation_name": name, "category": "other"})
        for kind, name in names.items()
    }
    answers = without_what_was_typed(by_name, names)
    assert len(set(answers.values())) == 1 and GRADE_C_USCC not in by_name["grade C"].get_data(as_text=True)
    with app.app_context():
        assert organisations.resolve_organisation("", GRADE_C_NAME) == organisations.OrganisationChoice(None, GRADE_C_NAME, False)


def test_staff_see_which_organisation_an_unlisted_code_is(client, app, unlisted):
    """Issue 14, finding 6: the complaint keeps the code and the name as typed; the console shows the register's match."""
    numbers = {}
    for kind, code in unlisted.items():
        numbers[kind], _code = file_complaint(client, app, uscc=code, name="某某互助会", category="other")
    with app.app_context():
        for kind, code in unlisted.items():
            complaint = complaint_by_number(numbers[kind])
            assert (complaint.uscc, complaint.organisation_name) == (code, "某某互助会")
        create_staff("super1", "supervisor")
    supervisor = app.test_client()
    assert sign_in(supervisor, "super1").status_code == 303
    pages = {
        kind: supervisor.get(f"/staff/complaints/{number}", headers={"Accept-Language": "en"}).get_data(as_text=True)
        for kind, number in numbers.items()
    }
    assert GRADE_C_NAME in pages["grade C"] and "grade C" in pages["grade C"] and "not on the public list" in pages["grade C"]
    assert CANCELLED_NAME in pages["cancelled"] and "Cancelled" in pages["cancelled"]
    assert "No organisation with this code has been synced" in pages["unknown"]
    page = supervisor.get(f"/staff/complaints/{numbers['grade C']}").get_data(as_text=True)
    assert GRADE_C_NAME in page and "未列入公示名单" in page


def test_autocomplete_suggests_published_organisations_with_name_and_code_only(client):
    response = client.post("/complaints/organisations", data={"q": "北京市"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    organisations = response.get_json()["organisations"]
    assert {(item["name"], item["uscc"]) for item in organisations} == {(PUBLISHED_NAME, PUBLISHED_USCC)}
    assert all(set(item) == {"name", "uscc"} for item in organisations)
    by_code = client.post("/complaints/organisations", data={"q": PUBLISHED_USCC[:17]}).get_json()["organisations"]
    assert [item["uscc"] for item in by_code] == [PUBLISHED_USCC]
    # An unpublished organisation is never suggested, by name or by code.
    for query in (UNPUBLISHED_NAME, UNPUBLISHED_NAME[:5], UNPUBLISHED_USCC, UNPUBLISHED_USCC[:17]):
        assert client.post("/complaints/organisations", data={"q": query}).get_json()["organisations"] == [], query
    # LIKE wildcards are text, not patterns.
    assert client.post("/complaints/organisations", data={"q": "%%"}).get_json()["organisations"] == []


def test_unknown_organisation_is_accepted_with_the_name_as_typed(client, app):
    response = client.post(
        "/complaints/new", data={"step": "organisation", "organisation_name": " 某某 未登记 协会 ", "category": "other"}
    )
    assert response.status_code == 200
    assert "某某 未登记 协会" in response.get_data(as_text=True)
    number, code = file_complaint(client, app, uscc="", name="某某 未登记 协会", category="other")
    with app.app_context():
        complaint = complaint_by_number(number)
        assert complaint.uscc is None and complaint.organisation_name == "某某 未登记 协会"


def test_organisation_found_by_exact_name_gets_its_code(app):
    with app.app_context():
        choice = organisations.resolve_organisation("", PUBLISHED_NAME)
        assert choice.uscc == PUBLISHED_USCC and choice.published
        # A valid code that is not registered needs the name.
        from tests.scoring_builder import make_uscc

        with pytest.raises(validation.ComplaintInvalid) as caught:
            organisations.resolve_organisation(make_uscc(999), "")
        assert "organisation_name" in caught.value.errors


# -- the whole flow ------------------------------------------------------------------------


def test_submit_with_evidence_acknowledge_once_and_look_up(client, app, tmp_path):
    jpeg = jpeg_with_gps()
    pdf = pdf_bytes()
    response = submit(
        client,
        details_form(app),
        files=[("现场照片.jpg", jpeg, "image/jpeg"), ("收据.pdf", pdf, "application/pdf"), ("", b"", "application/octet-stream")],
    )
    assert response.status_code == 303
    number = tracking_number_of(response)
    assert "code" not in response.headers["Location"].lower()

    first = client.get(response.headers["Location"])
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    page = first.get_data(as_text=True)
    code = access_code_on(page)
    assert number in page and code
    # Shown once: the next visit has the number but not the code.
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert number in again and access_code_on(again) is None
    # Another browser cannot open the acknowledgement at all.
    assert app.test_client().get(response.headers["Location"]).status_code == 404

    with app.app_context():
        complaint = complaint_by_number(number)
        assert complaint.state == "submitted"
        assert complaint.uscc == PUBLISHED_USCC and complaint.organisation_name == PUBLISHED_NAME
        assert complaint.access_code_pending is None
        assert code not in complaint.access_code_hash
        assert complaint.accept_due_at > complaint.created_at
        # Contact details are ciphertext at rest, and decrypt with the key.
        for column, value in (("contact_phone", CONTACT["contact_phone"]), ("contact_email", CONTACT["contact_email"])):
            token = getattr(complaint, column)
            assert value.encode() not in bytes(token)
            assert crypto.decrypt(token) == value
        assert service.contact_of(complaint) == {
            "name": CONTACT["contact_name"],
            "phone": CONTACT["contact_phone"],
            "email": CONTACT["contact_email"],
        }
        [event] = complaint.events
        assert (event.kind, event.from_state, event.to_state, event.public) == ("transition", None, "submitted", True)

        files = {item.original_name: item for item in complaint.evidence}
        assert set(files) == {"现场照片.jpg", "收据.pdf"}
        for item in files.values():
            path = evidence.open_evidence(item)
            assert path.startswith(str(tmp_path / "evidence"))
            assert item.original_name not in path
            content = open(path, "rb").read()
            assert hashlib.sha256(content).hexdigest() == item.sha256 and len(content) == item.size
        assert files["收据.pdf"].content_type == "application/pdf"
        assert open(evidence.open_evidence(files["收据.pdf"]), "rb").read() == pdf
        photo = files["现场照片.jpg"]
        assert photo.content_type == "image/jpeg"
        with Image.open(evidence.open_evidence(photo)) as image:
            assert image.format == "JPEG"
            assert not image.getexif() and "exif" not in image.info
        stored_photo = open(evidence.open_evidence(photo), "rb").read()
        assert b"TestCam" not in stored_photo and b"Taken at home" not in stored_photo

    lookup = client.post("/complaints/status", data={"tracking_number": number.lower(), "access_code": code.lower().replace("-", " ")})
    assert lookup.status_code == 200
    assert lookup.headers["Cache-Control"] == "no-store"
    status_page = lookup.get_data(as_text=True)
    assert number in status_page and PUBLISHED_NAME in status_page
    for private in (*CONTACT.values(), DESCRIPTION):
        assert private not in status_page


def test_png_is_re_encoded_and_accepted(client, app):
    response = submit(client, details_form(app), files=[("图.png", png_bytes(), "image/png")])
    assert response.status_code == 303
    with app.app_context():
        [item] = complaint_by_number(tracking_number_of(response)).evidence
        assert item.content_type == "image/png" and item.stored_name.endswith(".png")


def test_anonymous_complaint_stores_no_contact(client, app):
    number, code = file_complaint(
        client, app, contact_choice="anonymous", contact_name="", contact_phone="", contact_email=""
    )
    with app.app_context():
        complaint = complaint_by_number(number)
        assert complaint.anonymous and not complaint.has_contact


def test_double_submit_makes_one_complaint_and_shows_the_code_once(client, app):
    form = details_form(app)
    first = submit(client, form)
    second = submit(client, form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Complaint)) == 1
    # The first response may never have reached the browser: the code waits for the page.
    assert access_code_on(client.get(second.headers["Location"]).get_data(as_text=True))
    third = submit(client, form)
    assert third.headers["Location"] == first.headers["Location"]
    assert access_code_on(client.get(third.headers["Location"]).get_data(as_text=True)) is None


def test_wrong_code_or_number_gets_the_same_answer(client, app):
    number, code = file_complaint(client, app)
    wrong_code = client.post("/complaints/status", data={"tracking_number": number, "access_code": "0000-0000-0000-0000"})
    no_such = client.post("/complaints/status", data={"tracking_number": "TS-20200101-0001", "access_code": code})
    assert wrong_code.status_code == no_such.status_code == 404
    message = "No complaint matches this tracking number and access code"
    assert message in client.post(
        "/complaints/status?lang=en", data={"tracking_number": number, "access_code": "0000-0000-0000-0000"}
    ).get_data(as_text=True)
    assert client.post("/complaints/status", data={"tracking_number": "", "access_code": ""}).status_code == 400


def test_status_shows_public_states_and_texts_never_notes_or_contact(client, app):
    number, code = file_complaint(client, app)
    with app.app_context():
        complaint = complaint_by_number(number)
        now = complaint.created_at
        complaint.events.append(ComplaintEvent(at=now + timedelta(hours=1), kind="note", note="内部备注：疑似重复投诉", public=False))
        complaint.events.append(
            ComplaintEvent(at=now + timedelta(hours=2), kind="transition", from_state="submitted", to_state="rejected", public=True)
        )
        complaint.state = "rejected"
        complaint.rejection_reason = "不属于本机关管辖范围。"
        db.session.commit()
    page = client.post("/complaints/status?lang=en", data={"tracking_number": number, "access_code": code}).get_data(as_text=True)
    assert "不属于本机关管辖范围。" in page and "Not accepted" in page and "Submitted" in page
    assert "内部备注" not in page
    for private in CONTACT.values():
        assert private not in page


def test_same_concern_is_counted_and_attached(client, app):
    first_number, _code = file_complaint(client, app)
    page = client.post(
        "/complaints/new?lang=en", data={"step": "organisation", "uscc": PUBLISHED_USCC, "category": "illegal_fundraising"}
    ).get_data(as_text=True)
    assert "There is 1 open complaint about this organisation" in page
    assert DESCRIPTION not in page and first_number not in page
    other_category = client.post(
        "/complaints/new?lang=en", data={"step": "organisation", "uscc": PUBLISHED_USCC, "category": "other"}
    ).get_data(as_text=True)
    assert "open complaint" not in other_category

    second_number, _code = file_complaint(client, app, same_concern="yes", contact_phone="13900139000")
    with app.app_context():
        first, second = complaint_by_number(first_number), complaint_by_number(second_number)
        assert second.same_concern_as_id == first.id
        assert organisations.similar_open_complaints(organisations.resolve_organisation(PUBLISHED_USCC, ""), "illegal_fundraising") == (
            organisations.SimilarComplaints(complaints=1, people=2)
        )


def test_pages_exist_in_both_languages(client):
    for path in ("/complaints/", "/complaints/new", "/complaints/status", "/complaints/privacy"):
        for lang, expected in (("en", 'lang="en"'), ("zh", 'lang="zh-CN"')):
            response = client.get(f"{path}?lang={lang}")
            assert response.status_code == 200, path
            page = response.get_data(as_text=True)
            assert expected in page
            assert "/complaints/status" in page
    assert "投诉" in client.get("/complaints/privacy?lang=zh").get_data(as_text=True)


# -- privacy: logs --------------------------------------------------------------------------


def test_logs_of_a_full_flow_never_contain_complaint_text_or_contact(client, app, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "sqlalchemy", "sqlalchemy.engine", "portal"):
        caplog.set_level(logging.DEBUG, logger=name)
    name_typed = "未登记的某某互助会"
    client.post("/complaints/organisations", data={"q": name_typed})
    client.post("/complaints/new", data={"step": "organisation", "organisation_name": name_typed, "category": "other"})
    # A rejected attempt (bad e-mail), then the real one with evidence.
    bad = submit(client, details_form(app, uscc="", name=name_typed, category="other", contact_email="not-an-address"))
    assert bad.status_code == 400
    response = submit(
        client, details_form(app, uscc="", name=name_typed, category="other"), files=[("photo.jpg", jpeg_with_gps(), "image/jpeg")]
    )
    number = tracking_number_of(response)
    code = access_code_on(client.get(response.headers["Location"]).get_data(as_text=True))
    client.post("/complaints/status", data={"tracking_number": number, "access_code": code})
    with app.app_context():
        retention.purge_contacts(now=datetime(2100, 1, 1))
    logged = caplog.text
    assert "sqlalchemy" in logged.lower() or "SELECT" in logged  # the engine did log statements
    for secret in (DESCRIPTION, DESCRIPTION[:12], *CONTACT.values(), "not-an-address", code, code.replace("-", "")):
        assert secret not in logged
    assert number in logged  # tracking numbers may be logged


# -- retention, export, clean-up -------------------------------------------------------------


def conclude(complaint, at, outcome="substantiated"):
    complaint.state = "concluded"
    complaint.outcome = outcome
    complaint.public_reply = "已责令整改。"
    complaint.concluded_at = at
    complaint.updated_at = at
    complaint.events.append(ComplaintEvent(at=at, kind="transition", from_state="investigating", to_state="concluded", public=True))


def test_purge_contacts_after_the_retention_period(client, app, runner):
    old_number, _ = file_complaint(client, app)
    recent_number, _ = file_complaint(client, app, contact_phone="13900139000")
    open_number, _ = file_complaint(client, app, contact_phone="13700137000")
    now = datetime(2027, 12, 1)
    with app.app_context():
        conclude(complaint_by_number(old_number), now - timedelta(days=366))
        conclude(complaint_by_number(recent_number), now - timedelta(days=10))
        db.session.commit()
        assert retention.purge_contacts(now=now) == 1
        old = complaint_by_number(old_number)
        assert not old.has_contact and old.contact_purged_at == now
        assert [event.kind for event in old.events][-1] == "purge"
        assert not old.events[-1].public
        assert complaint_by_number(recent_number).has_contact
        assert complaint_by_number(open_number).has_contact
        # Idempotent.
        assert retention.purge_contacts(now=now) == 0
    result = runner.invoke(args=["complaints", "purge"])
    assert result.exit_code == 0 and "purged" in result.output


def test_export_has_counts_and_outcomes_and_no_personal_data(client, app, runner, tmp_path):
    first, _ = file_complaint(client, app)
    second, _ = file_complaint(client, app, category="other", contact_phone="13900139000")
    file_complaint(client, app, category="service_quality", contact_phone="13700137000")  # still open
    with app.app_context():
        conclude(complaint_by_number(first), datetime(2027, 3, 1))
        conclude(complaint_by_number(second), datetime(2027, 3, 2), outcome="not_substantiated")
        db.session.commit()
    output = tmp_path / "export.jsonl"
    result = runner.invoke(args=["complaints", "export", "--output", str(output)])
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["type"] == "export" and lines[0]["complaints"] == 2
    complaints = [line for line in lines if line["type"] == "complaint"]
    assert {line["tracking_number"] for line in complaints} == {first, second}
    [organisation] = [line for line in lines if line["type"] == "organisation"]
    assert organisation == {
        "type": "organisation",
        "uscc": PUBLISHED_USCC,
        "concluded": 2,
        "outcomes": {"substantiated": 1, "not_substantiated": 1},
        "categories": {"illegal_fundraising": 1, "other": 1},
    }
    for private in (DESCRIPTION, *CONTACT.values(), "已责令整改"):
        assert private not in text


def test_cleanup_deletes_old_orphans_and_keeps_committed_files(client, app, tmp_path):
    response = submit(client, details_form(app), files=[("a.pdf", pdf_bytes(), "application/pdf")])
    with app.app_context():
        [kept] = complaint_by_number(tracking_number_of(response)).evidence
        evidence.write_pending("ff" + "0" * 30 + ".pdf", b"%PDF-orphan")
        counts = evidence.cleanup_orphans(max_age_seconds=3600)
        assert counts == {"finished": 0, "deleted": 0}  # too recent to be an orphan
        counts = evidence.cleanup_orphans(now=utcnow() + timedelta(hours=2))
        assert counts == {"finished": 0, "deleted": 1}
        assert evidence.verify_evidence(kept)


def test_cli_cleanup_and_generate_key(runner):
    assert runner.invoke(args=["complaints", "cleanup"]).exit_code == 0
    key = runner.invoke(args=["complaints", "generate-key"]).output.strip()
    crypto.build_fernet(key)


# -- abuse protection ------------------------------------------------------------------------------


def test_rate_limit_on_status_lookup(make_app):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_STATUS_RATE_LIMIT="3 per minute")
    client = app.test_client()
    answers = [
        client.post("/complaints/status?lang=en", data={"tracking_number": "TS-20261128-0001", "access_code": "x"}).status_code
        for _ in range(4)
    ]
    assert answers == [404, 404, 404, 429]
    # Looking at the form is not limited.
    assert client.get("/complaints/status").status_code == 200


def test_rate_limit_on_submissions_counts_only_final_submissions(make_app):
    app = make_app(RATELIMIT_ENABLED=True, COMPLAINT_SUBMIT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/complaints/new", data={"step": "organisation", "organisation_name": "某协会", "category": "other"}).status_code == 200
    codes = [submit(client, details_form(app, uscc="", name="某协会", category="other")).status_code for _ in range(3)]
    assert codes == [303, 303, 429]


def test_csrf_protects_the_forms(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    missing = client.post("/complaints/status?lang=en", data={"tracking_number": "TS-20261128-0001", "access_code": "x"})
    assert missing.status_code == 400
    assert "did not come from this site" in missing.get_data(as_text=True)
    zh = client.post("/complaints/new?lang=zh", data=details_form(app))
    assert zh.status_code == 400
    assert "表单已过期" in zh.get_data(as_text=True)

    page = client.get("/complaints/new").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = submit(client, {**details_form(app, uscc="", name="某协会", category="other"), "csrf_token": token})
    assert response.status_code == 303
    suggestions = client.post("/complaints/organisations", data={"q": "北京"}, headers={"X-CSRFToken": token})
    assert suggestions.status_code == 200


def test_honeypot_and_minimum_fill_time(client, app):
    trapped = submit(client, details_form(app, hp_field_7="http://spam.example"), lang="en")
    assert trapped.status_code == 400 and "could not be accepted" in trapped.get_data(as_text=True)
    hurried = submit(client, details_form(app, token=form_token(app, seconds_ago=0)), lang="en")
    assert hurried.status_code == 400 and "sent too quickly" in hurried.get_data(as_text=True)
    expired = submit(client, details_form(app, token=form_token(app, seconds_ago=3 * 24 * 3600)), lang="en")
    assert expired.status_code == 400 and "open for too long" in expired.get_data(as_text=True)
    forged = submit(client, details_form(app, token="forged.token"), lang="en")
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Complaint)) == 0


def test_a_form_sent_too_quickly_also_shows_its_field_errors(client, app):
    """The minimum fill time is checked first, but the page also says what else to correct."""
    hurried = submit(client, details_form(app, token=form_token(app, seconds_ago=0), description="太短", consent=None),
                     lang="en")
    page = hurried.get_data(as_text=True)
    assert hurried.status_code == 400
    assert "sent too quickly" in page
    assert "privacy notice to submit" in page
    assert 'id="description-error-1"' in page and 'id="consent-error-1"' in page
    # A form sent too quickly with nothing else wrong shows the timing message only.
    alone = submit(client, details_form(app, token=form_token(app, seconds_ago=0)), lang="en")
    assert 'class="field-error"' not in alone.get_data(as_text=True)


# -- configuration, keys, deadlines, codes -------------------------------------------------------------


def test_production_refuses_to_start_without_a_contact_key(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPLAINT_CONTACT_KEY", raising=False)
    config = {"ENV_NAME": "production", "SECRET_KEY": "a-real-secret", "PUBLIC_BASE_URL": "https://credit.example.gov.cn",
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"}
    with pytest.raises(RuntimeError, match="COMPLAINT_CONTACT_KEY"):
        create_app(config)
    with pytest.raises(crypto.ContactKeyError):
        create_app({**config, "COMPLAINT_CONTACT_KEY": "not-a-key"})
    app = create_app({**config, "COMPLAINT_CONTACT_KEY": crypto.generate_key()})
    assert app.config["COMPLAINT_CONTACT_KEY"]


def test_contact_key_rotation(app):
    old_key, new_key = crypto.generate_key(), crypto.generate_key()
    with app.app_context():
        app.config["COMPLAINT_CONTACT_KEY"] = old_key
        token = crypto.encrypt("13800138000")
        app.config["COMPLAINT_CONTACT_KEY"] = f"{new_key},{old_key}"
        assert crypto.decrypt(token) == "13800138000"
        assert crypto.encrypt(None) is None and crypto.decrypt(None) is None


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 27), 5, date(2026, 12, 4)),  # Friday -> next Friday
        (date(2026, 11, 28), 5, date(2026, 12, 4)),  # Saturday -> next Friday
        (date(2026, 11, 29), 1, date(2026, 11, 30)),  # Sunday -> Monday
        (date(2026, 11, 30), 0, date(2026, 11, 30)),
        (datetime(2026, 12, 3, 9, 30), 2, datetime(2026, 12, 7, 9, 30)),  # Thursday -> Monday, time kept
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_due_after_working_days_counts_beijing_days():
    # Friday 2026-11-27 20:00 in Beijing is 12:00 UTC: due at the end of Friday 2026-12-04, Beijing time.
    assert due_after_working_days(datetime(2026, 11, 27, 12, 0), 5) == datetime(2026, 12, 4, 15, 59, 59)
    # Saturday 01:00 Beijing is still Friday in UTC: the Beijing day decides.
    assert due_after_working_days(datetime(2026, 11, 27, 17, 0), 5) == datetime(2026, 12, 4, 15, 59, 59)
    assert add_working_days(date(2026, 11, 27), 1, holidays={date(2026, 11, 30)}) == date(2026, 12, 1)


def test_access_codes_are_random_unambiguous_and_forgiving(app):
    generated = {codes.generate_access_code() for _ in range(200)}
    assert len(generated) == 200
    for code in generated:
        assert len(code) == 19 and code.count("-") == 3
        assert not set(code) & set("ILOU")
    assert codes.normalise_access_code(" ab0o-1il ") == "AB00111"
    with app.app_context():
        hashed = codes.hash_access_code("ABCD-EFGH-JKMN-PQRS")
        assert "ABCD" not in hashed


def test_tracking_numbers_are_per_beijing_day(client, app):
    with app.app_context():
        # 2026-11-28 17:00 UTC is 2026-11-29 01:00 in Beijing.
        assert service.next_tracking_number(datetime(2026, 11, 28, 17, 0)) == "TS-20261129-0001"
    first, _ = file_complaint(client, app)
    second, _ = file_complaint(client, app, contact_phone="13900139000")
    assert first[:12] == second[:12] and int(second[12:]) == int(first[12:]) + 1


def test_submit_complaint_service_directly(app):
    with app.app_context():
        organisation = organisations.resolve_organisation(PUBLISHED_USCC, "")
        complaint, code = service.submit_complaint(
            organisation=organisation,
            category="financial_opacity",
            description=DESCRIPTION,
            incident_on=date(2026, 1, 2),
            files=[("scan.pdf", io.BytesIO(pdf_bytes()))],
            contact={"email": "a@example.com"},
            anonymous=False,
            idempotency_key="key-1",
        )
        assert code and service.lookup(complaint.tracking_number, code).state == "submitted"
        assert service.lookup(complaint.tracking_number, "WRONG") is None
        again, no_code = service.submit_complaint(
            organisation, "financial_opacity", DESCRIPTION, None, [], {}, True, "key-1"
        )
        assert again.id == complaint.id and no_code is None
        assert db.session.scalar(db.select(db.func.count()).select_from(Evidence)) == 1


def test_open_evidence_finishes_a_committed_pending_file(client, app):
    response = submit(client, details_form(app), files=[("a.pdf", pdf_bytes(), "application/pdf")])
    with app.app_context():
        [item] = complaint_by_number(tracking_number_of(response)).evidence
        final = evidence.stored_path(item.stored_name)
        # As if the process had died between the commit and the rename.
        os.replace(final, final + evidence.PENDING_SUFFIX)
        assert evidence.open_evidence(item) == final
        assert evidence.verify_evidence(item)


def test_concurrent_submissions_get_distinct_tracking_numbers(app):
    numbers, failures = [], []

    def file_some():
        try:
            with app.app_context():
                organisation = organisations.resolve_organisation(PUBLISHED_USCC, "")
                for _round in range(3):
                    complaint, _code = service.submit_complaint(
                        organisation, "other", DESCRIPTION, None, [], {"phone": "13800138000"}, False, None
                    )
                    numbers.append(complaint.tracking_number)
                db.session.remove()
        except Exception as error:  # reported below, with the thread's exception
            failures.append(repr(error))

    threads = [threading.Thread(target=file_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(numbers) == 12 and len(set(numbers)) == 12
