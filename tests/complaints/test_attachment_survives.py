"""An attachment survives every error of the complaint form (issue 19), without JavaScript: plain POSTs.

Each case sends the second step with a good PDF and one thing wrong. The page that comes back lists
the PDF as kept (a ticked checkbox), and the form sent again, corrected and with no file chosen,
files the complaint with that PDF, byte for byte. The browser version is tests/browser/test_complaint_attachment.py.
"""

import html
import os
import re
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.complaints import codes, evidence, retention
from portal.complaints.models import Complaint
from portal.extensions import db
from tests.complaints.support import (  # noqa: F401 (app and client are fixtures)
    app,
    client,
    details_form,
    form_token,
    make_app,
    pdf_bytes,
    png_bytes,
    submit,
    tracking_number_of,
)

PDF = pdf_bytes()
PDF_NAME = "收据扫描件.pdf"


def expired_token(app):
    with app.app_context():
        return codes.issue_form_token(now=utcnow() - timedelta(seconds=app.config["COMPLAINT_FORM_MAX_AGE_SECONDS"] + 60))


#: (case, what the form sends wrong, the message the page gives, in English).
ERRORS = [
    ("description-empty", {"description": ""}, "Describe what happened."),
    ("description-too-short", {"description": "太短了"}, "The description is too short"),
    ("description-too-long", {"description": "长" * 5001}, "The description is too long"),
    ("incident-not-a-date", {"incident_on": "2026-02-30"}, "Enter the date as year-month-day"),
    ("incident-in-the-future", {"incident_on": "2999-01-01"}, "cannot be in the future"),
    ("no-way-to-reply", {"contact_phone": "", "contact_email": ""}, "Give a phone number or an e-mail address"),
    ("anonymous-with-contact", {"contact_choice": "anonymous"}, "You chose to stay anonymous"),
    ("bad-phone", {"contact_phone": "12345"}, "Enter a mobile number of 11 digits"),
    ("bad-email", {"contact_email": "wang@@example"}, "Enter an e-mail address such as name@example.com."),
    ("name-too-long", {"contact_name": "王" * 51}, "The name is too long"),
    ("no-consent", {"consent": None}, "Agree to the privacy notice"),
    ("honeypot-filled", {"hp_field_7": "http://spam.example"}, "The form could not be accepted."),
    ("sent-too-quickly", {"token": "fresh"}, "The form was sent too quickly."),
    ("form-expired", {"token": "expired"}, "The form was open for too long."),
    ("form-token-forged", {"form_token": "not-a-signed-token"}, "The form could not be checked."),
]


def corrected(app, page, form):
    """The form as the page returned it, corrected: its (possibly new) token and the kept files' checkboxes."""
    fixed = details_form(app, token=re.search(r'name="form_token" value="([^"]+)"', page).group(1))
    fixed["keep_evidence"] = re.findall(r'name="keep_evidence" value="([0-9a-f]+)"', page)
    return fixed


def filed_evidence(app, response):
    assert response.status_code == 303, html.unescape(response.get_data(as_text=True))[:2000]
    with app.app_context():
        complaint = db.session.scalars(db.select(Complaint).where(
            Complaint.tracking_number == tracking_number_of(response))).one()
        return {item.original_name: open(evidence.open_evidence(item), "rb").read() for item in complaint.evidence}


def held_folders(app):
    root = os.path.join(app.config["EVIDENCE_DIR"], evidence.HELD_FOLDER)
    return os.listdir(root) if os.path.isdir(root) else []


@pytest.mark.parametrize("case, wrong, message", ERRORS, ids=[case for case, _w, _m in ERRORS])
def test_the_attachment_survives_a_form_error(app, client, case, wrong, message):
    wrong = dict(wrong)
    token = wrong.pop("token", None)
    if token == "fresh":
        form = details_form(app, token=form_token(app, seconds_ago=0), **wrong)
    elif token == "expired":
        form = details_form(app, token=expired_token(app), **wrong)
    else:
        form = details_form(app, **wrong)
    response = submit(client, form, files=[(PDF_NAME, PDF, "application/pdf")], lang="en")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert message in page
    assert 'id="held-evidence"' in page and PDF_NAME in page
    assert "you need not attach it again" in page
    assert len(re.findall(r'name="keep_evidence" value="[0-9a-f]{16}" checked', page)) == 1

    if token or "form_token" in wrong:
        # A token of now came back (kept, or a new one): the visitor takes their time over the correction.
        app.config["COMPLAINT_MIN_FILL_SECONDS"] = 0
    # Sent again, corrected, with no file chosen: the complaint has the PDF.
    again = submit(client, corrected(app, page, form), lang="en")
    assert filed_evidence(app, again) == {PDF_NAME: PDF}
    # Nothing is left held once the complaint is filed.
    assert held_folders(app) == []


def test_the_attachment_survives_errors_that_go_back_to_step_one(app, client):
    # A second step whose hidden organisation was lost (an edited page): step one comes back.
    form = details_form(app, uscc="", name="")
    response = submit(client, form, files=[(PDF_NAME, PDF, "application/pdf")], lang="en")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "Enter the organisation's name" in page
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    # Step one chosen again: step two lists the kept file.
    step_two = client.post("/complaints/new?lang=en", data={
        "step": "organisation", "form_token": token, "uscc": form["uscc"] or "", "organisation_name": "北京市某某协会",
        "category": "illegal_fundraising",
    })
    page = html.unescape(step_two.get_data(as_text=True))
    assert step_two.status_code == 200 and PDF_NAME in page
    fixed = details_form(app, uscc="", name="北京市某某协会", token=token)
    fixed["keep_evidence"] = re.findall(r'name="keep_evidence" value="([0-9a-f]+)"', page)
    assert filed_evidence(app, submit(client, fixed, lang="en")) == {PDF_NAME: PDF}


def test_a_bad_file_is_dropped_and_the_good_one_kept(app, client):
    files = [(PDF_NAME, PDF, "application/pdf"), ("bad.jpg", b"MZ" + b"\0" * 100, "image/jpeg"),
             ("scan.pdf", pdf_bytes("javascript"), "application/pdf")]
    form = details_form(app)
    response = submit(client, form, files=files, lang="en")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "“bad.jpg” is not a JPEG, PNG or PDF file" in page
    assert "“scan.pdf” contains scripts" in page
    kept = re.findall(r'name="keep_evidence" value="([0-9a-f]+)"', page)
    assert len(kept) == 1 and PDF_NAME in page
    assert filed_evidence(app, submit(client, corrected(app, page, form), lang="en")) == {PDF_NAME: PDF}


def test_a_held_file_that_fails_its_check_later_is_dropped_with_its_message(app, client):
    # Held while the description was missing (held files are not decoded), refused when the form is complete.
    form = details_form(app, description="")
    files = [(PDF_NAME, PDF, "application/pdf"), ("scan.pdf", pdf_bytes("javascript"), "application/pdf")]
    page = html.unescape(submit(client, form, files=files, lang="en").get_data(as_text=True))
    assert len(re.findall(r'name="keep_evidence"', page)) == 2
    response = submit(client, corrected(app, page, form), lang="en")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "“scan.pdf” contains scripts" in page
    assert len(re.findall(r'name="keep_evidence"', page)) == 1
    assert filed_evidence(app, submit(client, corrected(app, page, form), lang="en")) == {PDF_NAME: PDF}


def test_kept_files_add_up_with_new_ones_and_an_unticked_one_is_removed(app, client):
    form = details_form(app, description="")
    page = html.unescape(submit(client, form, files=[(PDF_NAME, PDF, "application/pdf"), ("图.png", png_bytes(), "image/png")],
                                lang="en").get_data(as_text=True))
    assert "The 2 files you attached are kept" in page
    ids = re.findall(r'name="keep_evidence" value="([0-9a-f]+)"', page)
    # Untick the picture, add another PDF, make another mistake: one kept, one new, both held.
    second = dict(corrected(app, page, form), keep_evidence=[ids[0]], description="")
    page = html.unescape(submit(client, second, files=[("第二页.pdf", PDF, "application/pdf")], lang="en").get_data(as_text=True))
    assert "图.png" not in page and PDF_NAME in page and "第二页.pdf" in page
    response = submit(client, corrected(app, page, form), lang="en")
    assert filed_evidence(app, response) == {PDF_NAME: PDF, "第二页.pdf": PDF}


def test_too_many_files_keep_the_first_five(app, client):
    form = details_form(app, description="")
    files = [(f"{index}.pdf", PDF, "application/pdf") for index in range(6)]
    page = html.unescape(submit(client, form, files=files, lang="en").get_data(as_text=True))
    assert "Attach at most 5 files." in page
    assert len(re.findall(r'name="keep_evidence"', page)) == 5 and "5.pdf" not in page
    response = submit(client, corrected(app, page, form), lang="en")
    assert set(filed_evidence(app, response)) == {f"{index}.pdf" for index in range(5)}


def test_a_forged_token_reaches_no_held_files(app, client):
    form = details_form(app, description="")
    page = html.unescape(submit(client, form, files=[(PDF_NAME, PDF, "application/pdf")], lang="en").get_data(as_text=True))
    kept = re.findall(r'name="keep_evidence" value="([0-9a-f]+)"', page)
    # Another form (another visitor) that names the same file id gets nothing of it.
    other = dict(details_form(app), keep_evidence=kept)
    assert filed_evidence(app, submit(client, other, lang="en")) == {}


def test_held_files_of_abandoned_forms_are_deleted_after_the_forms_lifetime(app, client):
    form = details_form(app, description="")
    submit(client, form, files=[(PDF_NAME, PDF, "application/pdf")], lang="en")
    assert len(held_folders(app)) == 1
    with app.app_context():
        # The hourly clean-up of orphan evidence leaves them alone (they have no row yet, on purpose).
        assert evidence.cleanup_orphans(now=utcnow() + timedelta(hours=2))["deleted"] == 0
        assert retention.cleanup(now=utcnow() + timedelta(hours=1))["held_forms_deleted"] == 0
        lifetime = app.config["COMPLAINT_FORM_MAX_AGE_SECONDS"]
        assert retention.cleanup(now=utcnow() + timedelta(seconds=lifetime + 60))["held_forms_deleted"] == 1
    assert held_folders(app) == []
