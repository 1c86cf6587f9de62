"""Trust and contact: the footer's trust marks from configuration, /about's legal basis, the home page's
last update, and 我为政府网站找错 (a page-level error report with a complaint's protections)."""

import re

import pytest
from sqlalchemy import select

from portal.config.features import SITE_IDENTITY_EXAMPLES
from portal.extensions import db
from portal.feedback.models import SiteErrorReport
from tests.synced_portal import ScoringOrganisation
from tests.staff.support import create_staff, sign_in, staff_app  # noqa: F401 (staff_app is a fixture)

VALID = {"page": "/orgs?grade=A", "category": "wrong_content", "description": "这一页的公示数量与首页不一致。", "contact": ""}


def body(response):
    return response.get_data(as_text=True)


def footer(response):
    return body(response).split('<footer class="site-footer">', 1)[1]


def reports(app):
    with app.app_context():
        return db.session.scalars(select(SiteErrorReport).order_by(SiteErrorReport.id)).all()


# -- trust marks ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/orgs", "/about", "/complaints/new", "/no/such/page"])
def test_every_page_footer_has_the_trust_marks_labelled_as_examples_in_the_demo(client, path):
    text = footer(client.get(path))
    for label in ("主办单位", "承办单位", "网站标识码", "ICP备案号", "公安备案号", "联系电话", "电子邮箱"):
        assert f"<dt>{label}</dt>" in text, label
    for example in SITE_IDENTITY_EXAMPLES.values():
        assert example in text
    assert text.count("（示例）") == len(SITE_IDENTITY_EXAMPLES)
    assert "演示网站" in text
    assert 'href="https://beian.miit.gov.cn/"' in text
    assert "我为政府网站找错" in text


def test_configured_trust_marks_are_shown_without_the_example_label(app, client):
    app.config.update(
        SITE_SPONSOR="北京市某某局",
        SITE_OPERATOR="北京市某某中心",
        SITE_IDENTIFIER="1100000099",
        SITE_ICP_NUMBER="京ICP备12345678号",
        SITE_PUBLIC_SECURITY_NUMBER="京公网安备11010502000001号",
        SITE_CONTACT_PHONE="010-12345678",
        SITE_CONTACT_EMAIL="xinyong@example.gov.cn",
        SITE_CONTACT_ADDRESS="北京市某区某路1号",
    )
    text = footer(client.get("/"))
    assert "京ICP备12345678号" in text and 'href="tel:01012345678"' in text
    assert 'href="mailto:xinyong@example.gov.cn"' in text
    assert "（示例）" not in text and "演示网站" not in text
    english = footer(client.get("/?lang=en"))
    assert "<dt>Website identification code</dt>" in english and "(example)" not in english


def test_about_names_the_legal_basis_and_the_contact(client):
    text = body(client.get("/about"))
    assert "《北京市社会组织信用监管办法（试行）》" in text
    assert "《社会组织信用信息管理办法》" in text and "《中华人民共和国政府信息公开条例》" in text
    assert "联系方式将在此公布" not in text
    assert "<dt>主办单位</dt>" in text
    english = body(client.get("/about?lang=en"))
    assert "Legal basis" in english and "Beijing Measures for the Credit Supervision of Social Organisations" in english


def test_home_page_says_when_it_was_last_updated(app, client, scoring, monkeypatch):
    from datetime import datetime

    from tests.synced_portal import sync_at

    ScoringOrganisation(1, "北京市测试公益协会").write(scoring)
    sync_at(app, monkeypatch, datetime(2026, 12, 6, 23, 30))  # 07:30 on 7 December in Beijing
    text = body(client.get("/"))
    assert re.search(r'<p class="last-updated">最近更新：<time datetime="2026-12-06T23:30:00Z">2026年12月7日 07:30:00</time>', text)


# -- 我为政府网站找错 --------------------------------------------------------------


def test_the_form_is_prefilled_with_the_page_the_reader_came_from(client):
    link = re.search(r'href="(/site-error\?page=[^"]+)"', body(client.get("/orgs?grade=A"))).group(1)
    form = body(client.get(link.replace("&amp;", "&")))
    assert 'name="page" value="/orgs?grade=A"' in form
    # Another site's address is never filled in.
    assert 'name="page" value=""' in body(client.get("/site-error?page=https://evil.example/x"))


def test_a_report_is_stored_cleaned_with_its_contact_encrypted(app, client):
    response = client.post(
        "/site-error",
        data={**VALID, "page": "http://localhost/orgs?grade=A", "description": "数量\x00不一致\x1b。", "contact": "13800138000"},
    )
    assert response.status_code == 200 and "感谢您的反馈" in body(response)
    (report,) = reports(app)
    assert report.page == "/orgs?grade=A" and report.description == "数量不一致。"
    assert report.status == "new" and report.language == "zh"
    assert report.contact_token and b"13800138000" not in report.contact_token


@pytest.mark.parametrize(
    "change, field",
    [
        ({"page": "https://evil.example/x"}, "page"),
        ({"page": "//evil.example/x"}, "page"),
        ({"page": "/" + "a" * 600}, "page"),
        ({"category": "nonsense"}, "category"),
        ({"description": "短"}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"contact": "1" * 101}, "contact"),
    ],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_bad_input_is_a_400_in_the_readers_language(app, client, change, field, language):
    response = client.post(f"/site-error?lang={language}", data={**VALID, **change})
    assert response.status_code == 400
    text = body(response)
    assert 'class="error-summary"' in text and f'id="{field}-error-1"' in text
    assert ("存在问题" if language == "zh" else "There is a problem") in text or "error-summary" in text
    assert reports(app) == []


def test_the_honeypot_refuses_robots(app, client):
    assert client.post("/site-error", data={**VALID, "website_2": "http://spam"}).status_code == 400
    assert reports(app) == []


def test_a_large_body_is_refused_before_it_is_read(app, client):
    assert client.post("/site-error", data={**VALID, "description": "长" * 20_000}).status_code == 413


def test_csrf_is_required(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/site-error", data=VALID).status_code == 400
    assert reports(app) == []


def test_reports_are_rate_limited(rate_limited_app):
    limited = rate_limited_app(SITE_ERROR_REPORT_RATE_LIMIT="2 per minute", WTF_CSRF_ENABLED=False)
    client = limited.test_client()
    statuses = [client.post("/site-error", data=VALID).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_staff_see_and_close_the_reports(staff_app, client):
    client.post("/site-error", data={**VALID, "contact": "reader@example.com"})
    with staff_app.app_context():
        create_staff("handler1", "handler", "韩处理")
    staff = staff_app.test_client()
    assert sign_in(staff, "handler1").status_code == 303
    page = body(staff.get("/staff/site-errors"))
    assert "/orgs?grade=A" in page and "这一页的公示数量与首页不一致。" in page and "reader@example.com" in page
    (report,) = reports(staff_app)
    response = staff.post(f"/staff/site-errors/{report.id}/handled", data={"note": "已更正"})
    assert response.status_code == 303
    assert reports(staff_app)[0].status == "handled"
    assert "已更正" in body(staff.get("/staff/site-errors?status=handled"))
    # Signed out: the sign-in page, not the reports.
    assert client.get("/staff/site-errors").status_code == 302
