"""Shared helpers of the staff tests: accounts, complaints made through the complaints service, signing in.

No tests here; tests/staff/ and the browser tests import these.
"""

import io
import time
from datetime import datetime

import pytest
import time_machine
from PIL import Image

from portal.complaints import organisations
from portal.complaints import service as complaints_service
from portal.extensions import db
from portal.staff import accounts

PASSWORD = "Correct-Horse-42"
NOW = datetime(2026, 11, 2, 2, 0, 0)  # a Monday, 10:00 in Beijing


@pytest.fixture
def staff_app(app, tmp_path):
    """The test app with its evidence store in a temporary folder."""
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return app


@pytest.fixture
def totp_clock():
    """The clock stopped in the middle of a 30-second TOTP step, for the whole test.

    A code the test computes (pyotp's ``now()``, ``at(time.time() ± 30)``)
    and the portal's check of it then fall in the same steps however slow the
    machine: no result depends on a step boundary passing between the two.
    """
    now = time.time()
    with time_machine.travel(now - now % 30 + 15, tick=False) as traveller:
        yield traveller


def create_staff(username, role="handler", display_name=None, password=PASSWORD):
    return accounts.create_user(username, role, display_name or username.title(), password)


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_complaint(
    name="北京市测试公益协会",
    uscc=None,
    category="financial_opacity",
    description="该协会连续两年未公开年度财务报告，捐赠款去向不明。",
    contact=None,
    anonymous=False,
    files=(),
    now=NOW,
):
    """Submit a complaint through the complaints service; return (complaint, access code)."""
    if contact is None and not anonymous:
        contact = {"name": "王小明", "phone": "13800138000", "email": "wang@example.com"}
    organisation = organisations.OrganisationChoice(uscc, name, False)
    complaint, code = complaints_service.submit_complaint(
        organisation,
        category,
        description,
        None,
        [(filename, io.BytesIO(data)) for filename, data in files],
        contact or {},
        anonymous,
        None,
        now=now,
    )
    return complaint, code


def sign_in(client, username, password=PASSWORD):
    return client.post("/staff/login", data={"username": username, "password": password})


def reload(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)
