"""Fixtures and helpers shared by the complaint tests (this module has no tests of its own).

The ``app`` fixture here overrides conftest's: the same fresh databases on
SQLite and PostgreSQL, plus an evidence folder in the test's temporary folder.
"""

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from portal import create_app
from portal.clock import utcnow
from portal.complaints import codes
from portal.extensions import db
from portal.publication.models import Organisation
from portal.scoring import dispose_engines
from tests.scoring_builder import make_uscc

ROOT = Path(__file__).resolve().parents[2]

PUBLISHED_USCC = make_uscc(101, type_prefix="53")
UNPUBLISHED_USCC = make_uscc(102, type_prefix="53")
PUBLISHED_NAME = "北京市阳光助学基金会"
UNPUBLISHED_NAME = "北京市暗处养老服务中心"
DESCRIPTION = "该组织在街头以扶贫名义募捐，没有出示任何公开募捐资格证书，收款进入个人账户。"
CONTACT = {"contact_name": "王测试", "contact_phone": "13800138000", "contact_email": "wang.test@example.com"}


def app_config(database_urls, scoring_url, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": database_urls[0],
        "SCORING_DATABASE_URL": scoring_url,
        "INDEX_DIR": str(tmp_path / "index"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PAGE_CACHE_SIZE": 0,
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
    }
    config.update(overrides)
    return config


@pytest.fixture
def make_app(database_urls, scoring_url, tmp_path):
    """Return a function that creates an app on this test's databases, with config overrides."""
    apps = []

    def make(**overrides):
        app = create_app(app_config(database_urls, scoring_url, tmp_path, **overrides))
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    dispose_engines()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        add_organisation(PUBLISHED_USCC, PUBLISHED_NAME, published=True, grade="A", score="91.50")
        add_organisation(UNPUBLISHED_USCC, UNPUBLISHED_NAME, published=False, grade="D", score="41.25")
        db.session.commit()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def add_organisation(uscc, name, published, grade=None, score=None, registration_status=None):
    db.session.add(
        Organisation(
            uscc=uscc,
            name=name,
            name_pinyin="",
            org_type="foundation",
            registration_authority="北京市民政局",
            district_code="110000",
            registration_status=registration_status or ("normal" if published else "cancelled"),
            grade=grade,
            score=score,
            is_published=published,
            unpublished_reason=None if published else "grade",
        )
    )


# -- files -----------------------------------------------------------------------


def jpeg_with_gps():
    """A small JPEG carrying EXIF camera and GPS data."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "TestCam Maker"  # Make
    exif[0x0110] = "TestCam 9000"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 27.0)
    gps[3] = "E"
    gps[4] = (116.0, 23.0, 17.0)
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif, comment=b"Taken at home, Chaoyang")
    return output.getvalue()


def png_bytes():
    output = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 128, 0, 255)).save(output, "PNG")
    return output.getvalue()


def pdf_bytes(active=None):
    """A one-page PDF; ``active`` adds active content: "javascript", "launch" or "attachment"."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if active == "javascript":
        # A document-level script in the name tree, run when the file opens.
        script = writer._add_object(DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")}
        ))
        scripts = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), script])})
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): scripts})
    elif active == "launch":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
        )
    elif active == "attachment":
        writer.add_attachment("notes.txt", b"carried inside the PDF")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# -- forms -----------------------------------------------------------------------


def form_token(app, seconds_ago=60):
    """A form token issued ``seconds_ago`` (past the minimum fill time)."""
    with app.app_context():
        return codes.issue_form_token(now=utcnow() - timedelta(seconds=seconds_ago))


def details_form(app, uscc=PUBLISHED_USCC, name="", category="illegal_fundraising", token=None, **fields):
    """The fields of the second step, valid unless overridden."""
    form = {
        "step": "details",
        "form_token": token or form_token(app),
        "uscc": uscc or "",
        "organisation_name": name,
        "category": category,
        "description": DESCRIPTION,
        "incident_on": "2026-01-15",
        "contact_choice": "contact",
        **CONTACT,
        "consent": "yes",
    }
    form.update(fields)
    return {key: value for key, value in form.items() if value is not None}


def submit(client, form, files=(), lang=None):
    """POST the second step; ``files`` are (name, bytes, content type)."""
    data = dict(form)
    if files:
        data["evidence"] = [(io.BytesIO(content), name, content_type) for name, content, content_type in files]
    url = "/complaints/new" + (f"?lang={lang}" if lang else "")
    return client.post(url, data=data, content_type="multipart/form-data")


def tracking_number_of(response):
    match = re.search(r"/complaints/acknowledgement/(TS-\d{8}-\d{4,})", response.headers.get("Location", ""))
    assert match, response.headers.get("Location")
    return match.group(1)


ACCESS_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def access_code_on(page_text):
    match = ACCESS_CODE.search(page_text)
    return match.group(0) if match else None


def utc(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute)
