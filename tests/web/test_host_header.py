"""The Host header decides nothing: absolute URLs come from PUBLIC_BASE_URL, and an unknown Host gets a 400.

Security finding 3: the Host a client sent was reflected into cached pages and
into the PDF report's verify link and QR code.
"""

import io
import re
from datetime import datetime

import pypdf
import pytest
import segno
from sqlalchemy import select

from portal import create_app, site_identity
from portal.complaints import crypto
from portal.extensions import db
from portal.reports.models import IssuedReport
from tests.scoring_builder import make_uscc
from tests.synced_portal import sync_at

PUBLIC = "https://credit.example.gov.cn"
EVIL = "evil.example"
NIGHT = datetime(2026, 11, 2, 18, 30)
FOUNDATION = make_uscc(7, type_prefix="53", district="110105")
FOUNDATION_NAME = "北京市朝阳区青少年发展基金会"

#: Every public surface that names the site: pages, feeds, sitemaps, robots.txt, the API, the report.
SURFACES = [
    "/",
    "/orgs",
    f"/org/{FOUNDATION}",
    f"/org/{FOUNDATION}?lang=en",
    "/changes",
    "/methodology",
    "/about",
    "/data",
    "/batch",
    "/stats",
    "/status",
    "/verify",
    "/search?q=青少年",
    "/api",
    "/feeds/changes.atom",
    f"/org/{FOUNDATION}/feed.atom",
    "/sitemap.xml",
    "/sitemaps/pages.xml",
    "/sitemaps/orgs-1.xml",
    "/robots.txt",
    "/api/v1/",
    "/api/v1/organisations?limit=1",
    f"/api/v1/organisations/{FOUNDATION}",
    "/api/v1/openapi.json",
    f"/org/{FOUNDATION}/report/print",
    f"/org/{FOUNDATION}/report.pdf",
]

#: Absolute URLs that are names, not addresses of this site (XML namespaces, JSON Schema, the JSON-LD context of the report).
NAMESPACES = ("http://www.w3.org/", "http://www.sitemaps.org/", "https://json-schema.org/", "https://schema.org")
# Fixed outside addresses a government site links to: the ICP and public-security filing registers
# of its trust marks.
FILING_REGISTERS = tuple(site_identity.LINKS.values())
_URL = re.compile(r"https?://[^\s\"'<>)\\]+")


@pytest.fixture
def app_config_overrides():
    return {"PUBLIC_BASE_URL": PUBLIC, "PAGE_CACHE_SIZE": 200}


@pytest.fixture
def published(app, scoring, monkeypatch):
    scoring.organisation(7, uscc=FOUNDATION, name=FOUNDATION_NAME, grade="A", score="97.50", org_type="foundation",
                         district_code="110105")
    scoring.organisation(8, name="北京市测试评估协会", grade="B", score="88.00")
    sync_at(app, monkeypatch, NIGHT, update_index=True)
    return app


def pdf_text_and_links(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    links = [
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots") or []
        if "/A" in annotation.get_object() and "/URI" in annotation.get_object()["/A"]
    ]
    return text + "\n" + "\n".join(links)


def text_of(response):
    if response.mimetype == "application/pdf":
        return pdf_text_and_links(response.data)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:8000", f"localhost.{EVIL}", f"credit.example.gov.cn.{EVIL}"])
def test_an_unknown_host_is_refused(client, published, host):
    response = client.get(f"/org/{FOUNDATION}", headers={"Host": host})
    assert response.status_code == 400
    assert EVIL not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "language, words", [("zh", "网站地址"), ("en", "Unknown site address")]
)
def test_the_refusal_is_a_short_page_in_the_visitors_language(app, client, published, language, words):
    app.config["WTF_CSRF_ENABLED"] = True
    for response in (
        client.get(f"/orgs?lang={language}", headers={"Host": EVIL}),
        # Before CSRF, rate limits or anything else: a POST is refused the same way.
        client.post(f"/complaints/new?lang={language}", headers={"Host": EVIL}, data={"x": "y"}),
    ):
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert words in body and f"{PUBLIC}/" in body
        assert EVIL not in body and "Traceback" not in body
        assert response.headers["Cache-Control"] == "no-store"


def test_after_a_request_for_another_host_nothing_names_it(app, client, published):
    """The regression test of finding 3: no page, feed, sitemap, API answer, PDF or QR code names evil.example."""
    for path in SURFACES:
        response = client.get(path, headers={"Host": EVIL, "X-Forwarded-Host": EVIL})
        assert response.status_code == 400, path
    # Nothing was stored for the other host: the 400 came before the page cache.
    assert not app.extensions.get("page_cache") or not app.extensions["page_cache"].pages

    for path in SURFACES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        body = text_of(response)
        assert EVIL not in body, path
        # Every absolute URL is on the public site.
        allowed = (PUBLIC + "/", *NAMESPACES, *FILING_REGISTERS, app.config["DATA_LICENCE_URL"])
        foreign = [url for url in _URL.findall(body) if not url.startswith(allowed)]
        assert foreign == [], (path, foreign)
    cached = [page for page, _ in app.extensions["page_cache"].pages.values()]
    assert cached and not any(EVIL.encode() in page for page in cached)


def test_absolute_urls_use_the_public_base_url(app, client, published):
    home = client.get("/?lang=en").get_data(as_text=True)
    assert f'<link rel="canonical" href="{PUBLIC}/?lang=en">' in home
    assert f'hreflang="zh-CN" href="{PUBLIC}/?lang=zh"' in home
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in client.get("/robots.txt").get_data(as_text=True)
    assert f"<loc>{PUBLIC}/sitemaps/orgs-1.xml</loc>" in client.get("/sitemap.xml").get_data(as_text=True)
    assert f"<loc>{PUBLIC}/org/{FOUNDATION}</loc>" in client.get("/sitemaps/orgs-1.xml").get_data(as_text=True)
    feed = client.get(f"/org/{FOUNDATION}/feed.atom").get_data(as_text=True)
    assert f'href="{PUBLIC}/org/{FOUNDATION}/feed.atom"' in feed and f'href="{PUBLIC}/org/{FOUNDATION}"' in feed
    assert client.get("/api/v1/openapi.json").get_json()["servers"] == [{"url": f"{PUBLIC}/api/v1"}]
    organisation = client.get(f"/api/v1/organisations/{FOUNDATION}").get_json()["organisation"]
    assert organisation["report_url"] == f"{PUBLIC}/org/{FOUNDATION}"
    assert organisation["api_url"] == f"{PUBLIC}/api/v1/organisations/{FOUNDATION}"
    listing = client.get("/api/v1/organisations?limit=1").get_json()
    assert listing["next"].startswith(f"{PUBLIC}/api/v1/organisations?cursor=")

    printable = client.get(f"/org/{FOUNDATION}/report/print?lang=en").get_data(as_text=True)
    with app.app_context():
        number = db.session.scalar(select(IssuedReport.report_number).where(IssuedReport.language == "en"))
    verify_url = f"{PUBLIC}/verify/{number}?lang=en"
    assert verify_url in printable
    # The QR code encodes exactly that address.
    qr_code = segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2, dark="#000000", light="#ffffff")
    assert qr_code in printable.replace("&#39;", "'").replace("&amp;", "&")
    pdf = pdf_text_and_links(client.get(f"/org/{FOUNDATION}/report.pdf?lang=en").data)
    assert verify_url in pdf.replace("\n", "")


# -- configuration -----------------------------------------------------------------------------------


def production_config(app, **settings):
    return {
        "ENV_NAME": "production",
        "SECRET_KEY": "a-real-secret",
        "COMPLAINT_CONTACT_KEY": crypto.generate_key(),
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SCORING_DATABASE_URL": app.config["SCORING_DATABASE_URL"],
        "SESSION_COOKIE_SECURE": True,
        **settings,
    }


def test_production_refuses_to_start_without_a_public_base_url(app, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(production_config(app, PUBLIC_BASE_URL=""))
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app()


@pytest.mark.parametrize("value", ["credit.example.gov.cn", "ftp://credit.example.gov.cn", f"{PUBLIC}/?a=1",
                                   f"{PUBLIC}/#top", "https://user@credit.example.gov.cn", "https://"])
def test_a_public_base_url_that_is_not_an_address_stops_the_start(app, value):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(production_config(app, PUBLIC_BASE_URL=value))


def test_production_answers_its_own_hosts_only(app, published):
    production = create_app(
        production_config(app, PUBLIC_BASE_URL=PUBLIC + "/", TRUSTED_HOSTS="www.credit.example.gov.cn, .cdn.example")
    )
    assert production.config["PUBLIC_BASE_URL"] == PUBLIC
    assert production.config["TRUSTED_HOSTS"] == ["credit.example.gov.cn", "www.credit.example.gov.cn", ".cdn.example"]
    client = production.test_client()
    for host, status in [("credit.example.gov.cn", 200), ("www.credit.example.gov.cn", 200), ("a.cdn.example", 200),
                         ("localhost", 400), ("127.0.0.1:8000", 400), (EVIL, 400)]:
        assert client.get("/about", headers={"Host": host}).status_code == status, host
    with production.app_context():
        db.session.remove()
        db.engine.dispose()


def test_development_defaults_to_the_bound_address_not_the_request(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    for bind, expected in [(None, "http://127.0.0.1:8000"), ("127.0.0.1:5001", "http://127.0.0.1:5001"),
                           ("0.0.0.0:8080", "http://127.0.0.1:8080"), ("unix:/run/portal.sock", "http://127.0.0.1:8000")]:
        if bind is None:
            monkeypatch.delenv("PORTAL_BIND", raising=False)
        else:
            monkeypatch.setenv("PORTAL_BIND", bind)
        made = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                           "INDEX_DIR": str(tmp_path)})
        assert made.config["PUBLIC_BASE_URL"] == expected
        assert {"localhost", "127.0.0.1"} <= set(made.config["TRUSTED_HOSTS"])
