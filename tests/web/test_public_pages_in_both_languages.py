"""The public pages, in both languages, through the test client."""

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import abort
from sqlalchemy.exc import OperationalError

from portal import web
from portal.extensions import db
from portal.publication.models import Organisation, PublicationState
from portal.sync.models import SyncRun

#: Production serves these pages from the page cache: every test runs with it off and on.
pytestmark = pytest.mark.cached_and_uncached

DATA_AS_OF = datetime(2024, 5, 1, 18, 30)  # naive UTC: 2024-05-02 02:30 in Beijing

PORTAL_NAME = {"zh": "北京市社会组织信用信息公示平台", "en": "Beijing Social Organisation Credit Information Portal"}
HTML_LANG = {"zh": '<html lang="zh-CN">', "en": '<html lang="en">'}
DATA_AS_OF_TEXT = {"zh": "数据截至", "en": "Data as of"}
DATA_AS_OF_TIME = {"zh": "2024年5月2日 02:30:00", "en": "May 2, 2024, 2:30:00\u202fAM"}
NO_DATA_YET = {"zh": "尚未公示任何数据。", "en": "No data has been published yet."}

ROUTES = {
    "/": {"zh": "北京市社会组织信用信息", "en": "Credit information of Beijing social organisations"},
    "/orgs": {"zh": "统一社会信用代码", "en": "Unified social credit code"},
    "/status": {"zh": "最近的数据同步记录", "en": "Recent synchronisation runs"},
}

PUBLISHED = [
    # (uscc, name, pinyin, grade)
    ("53110000500000001A", "北京市朝阳区青少年发展基金会", "bei jing shi chao yang qu", "A"),
    ("51110000500000002B", "北京海淀科技协会", "bei jing hai dian ke ji", "B"),
    ("52110000500000003C", "北京东城社区服务中心", "bei jing dong cheng she qu", "A"),
]
HIDDEN = [
    # Rated C: not published.
    ("51110000500000009X", "北京丙级隐藏协会", "bei jing bing ji", "C", "normal"),
    # Rated A, but its registration is cancelled: not published.
    ("51110000500000008Y", "北京已注销促进会", "bei jing yi zhu xiao", "A", "cancelled"),
]


def add_organisation(uscc, name, pinyin, grade, published, registration_status="normal"):
    db.session.add(
        Organisation(
            uscc=uscc,
            name=name,
            name_pinyin=pinyin,
            org_type={"51": "social_group", "52": "social_service", "53": "foundation"}[uscc[:2]],
            registration_authority="北京市民政局",
            district_code="110105",
            registration_status=registration_status,
            grade=grade,
            is_published=published,
        )
    )


def add_run(started_at, status="succeeded", error=None, error_code=None, **counts):
    run = SyncRun(
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=65),
        status=status,
        mode="incremental",
        trigger="scheduler",
        error=error,
        error_code=error_code,
        **counts,
    )
    db.session.add(run)
    db.session.flush()
    return run


@pytest.fixture
def published(app):
    """A portal after one successful sync: three published organisations and two hidden ones."""
    with app.app_context():
        for uscc, name, pinyin, grade in PUBLISHED:
            add_organisation(uscc, name, pinyin, grade, True)
        for uscc, name, pinyin, grade, registration_status in HIDDEN:
            add_organisation(uscc, name, pinyin, grade, False, registration_status)
        run = add_run(DATA_AS_OF, rows_read=5, rows_changed=5, published=3, rejected=1)
        db.session.add(
            PublicationState(id=1, version=7, data_as_of=DATA_AS_OF, published_count=3, last_run_id=run.id)
        )
        db.session.commit()
    return app


def text_of(response):
    return response.get_data(as_text=True)


def assert_language(response, language):
    body = text_of(response)
    assert HTML_LANG[language] in body
    assert PORTAL_NAME[language] in body
    other = "en" if language == "zh" else "zh"
    assert PORTAL_NAME[other] not in body


def assert_varies_by_language(response):
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path", list(ROUTES))
def test_every_page_in_both_languages(client, published, path, language):
    response = client.get(f"{path}?lang={language}")
    assert response.status_code == 200
    assert_language(response, language)
    assert_varies_by_language(response)
    body = text_of(response)
    assert ROUTES[path][language] in body
    assert f"{DATA_AS_OF_TEXT[language]} " in body
    assert DATA_AS_OF_TIME[language] in body
    assert 'datetime="2024-05-01T18:30:00Z"' in body


def test_chinese_is_the_default(client, published):
    for path in ROUTES:
        assert_language(client.get(path), "zh")


def test_chinese_whatever_accept_language_says(client, published):
    # Chinese first (issue 18): English only by an explicit choice (?lang=en or the remembered switch).
    for accept_language, language in [
        ("en-US,en;q=0.9", "zh"),
        ("en-GB,fr;q=0.5", "zh"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("zh-TW", "zh"),
        ("fr-FR", "zh"),
        ("*", "zh"),
    ]:
        response = client.get("/orgs", headers={"Accept-Language": accept_language})
        assert_language(response, language)
        assert_varies_by_language(response)


def test_query_beats_cookie_beats_accept_language(client, published):
    client.set_cookie("lang", "zh")
    assert_language(client.get("/", headers={"Accept-Language": "en"}), "zh")
    assert_language(client.get("/?lang=en", headers={"Accept-Language": "zh"}), "en")
    client.set_cookie("lang", "fr")  # not a catalog: ignored
    assert_language(client.get("/", headers={"Accept-Language": "en"}), "zh")
    assert_language(client.get("/?lang=fr"), "zh")


def test_language_switch_persists_in_a_cookie(client, published):
    response = client.get("/lang/en?next=/orgs")
    assert response.status_code == 303
    assert response.headers["Location"] == "/orgs"
    cookie = client.get_cookie("lang")
    assert cookie.value == "en"
    assert cookie.expires is not None  # persistent, not a session cookie
    for path in ROUTES:
        assert_language(client.get(path), "en")

    client.get("/lang/zh?next=/status")
    for path in ROUTES:
        assert_language(client.get(path, headers={"Accept-Language": "en"}), "zh")


def test_switch_link_returns_to_the_same_page_without_lang(client, published):
    body = text_of(client.get("/orgs?page=1&lang=en"))
    assert 'href="/lang/zh?next=/orgs?page%3D1"' in body
    response = client.get("/lang/zh?next=/orgs?page%3D1%26lang%3Den")
    assert response.headers["Location"] == "/orgs?page=1"


OTHER_SITES = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\t/evil.example",
    "",
]


def test_language_switch_refuses_other_sites(client, published):
    for next_url in OTHER_SITES:
        response = client.get("/lang/en", query_string={"next": next_url})
        assert response.status_code == 303, next_url
        assert response.headers["Location"] == "/", next_url
        assert client.get_cookie("lang").value == "en"


def test_language_switch_to_an_unknown_language_is_404(client, published):
    response = client.get("/lang/fr?next=/")
    assert response.status_code == 404
    assert client.get_cookie("lang") is None


def test_links_keep_an_explicit_language(client, published):
    body = text_of(client.get("/?lang=en"))
    assert 'href="/orgs?lang=en"' in body
    assert 'href="/status?lang=en"' in body
    assert 'rel="canonical" href="http://localhost/?lang=en"' in body
    assert 'hreflang="zh-CN" href="http://localhost/?lang=zh"' in body
    # Without ?lang= the links leave the choice to the cookie and the browser.
    assert 'href="/orgs"' in text_of(client.get("/"))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_hidden_organisations_never_appear(client, published, language):
    pages = ["/", "/orgs", "/orgs?page=2", "/status", "/no-such-page", "/healthz"]
    for path in pages:
        body = text_of(client.get(path + ("&" if "?" in path else "?") + f"lang={language}"))
        for uscc, name, *_ in HIDDEN:
            assert name not in body, path
            assert uscc not in body, path


def test_list_shows_every_published_organisation_in_pinyin_order(client, published):
    body = text_of(client.get("/orgs?lang=zh"))
    positions = [body.index(name) for _, name, _, _ in sorted(PUBLISHED, key=lambda row: row[2])]
    assert positions == sorted(positions)
    for uscc, _, _, _ in PUBLISHED:
        assert uscc in body
    assert "共公示 3 家社会组织。" in body
    assert "基金会" in body and "社会服务机构" in body  # types are labelled
    english = text_of(client.get("/orgs?lang=en"))
    assert "3 organisations are published." in english
    assert "Social service organisation" in english
    assert '<th scope="col">Credit grade</th>' in english
    assert "<caption" in english


def test_home_counts_published_organisations_by_grade(client, published):
    body = text_of(client.get("/?lang=en"))
    assert "<dt>In total</dt>\n      <dd>3</dd>" in body
    assert 'grade--a">A</span></dt>\n      <dd>2</dd>' in body
    assert 'grade--b">B</span></dt>\n      <dd>1</dd>' in body
    assert 'href="/orgs?lang=en"' in body


def test_pagination(app, client, published):
    app.config["LIST_PAGE_SIZE"] = 2
    first = text_of(client.get("/orgs?lang=en"))
    assert '<nav class="pagination" aria-label="Pagination">' in first
    assert re.search(r'<a href="/orgs\?(lang=en&amp;page=1|page=1&amp;lang=en)" aria-current="page"', first)
    assert re.search(r'<a href="/orgs\?(lang=en&amp;page=2|page=2&amp;lang=en)" rel="next"', first)
    assert "This is page 1 of 2." in first
    ordered = sorted(PUBLISHED, key=lambda row: row[2])
    assert ordered[0][1] in first and ordered[1][1] in first and ordered[2][1] not in first

    second = text_of(client.get("/orgs?page=2&lang=zh"))
    assert 'aria-label="分页"' in second
    assert re.search(r'<a href="/orgs\?(lang=zh&amp;page=2|page=2&amp;lang=zh)" aria-current="page"', second)
    assert ordered[2][1] in second and ordered[0][1] not in second
    assert "当前为第 2 页，共 2 页。" in second


def test_single_page_has_no_pagination(client, published):
    assert 'class="pagination"' not in text_of(client.get("/orgs"))


BAD_PAGES = [
    ("abc", 400),
    ("-1", 400),
    ("0", 400),
    ("1.5", 400),
    ("", 400),
    (" 2", 400),
    ("\u0661", 400),  # Arabic-Indic digit one, which int() would accept
    ("99999999999999999999", 400),
    ("2", 404),
    ("999999", 404),
]


@pytest.mark.parametrize("language, titles", [("en", ("Bad request", "Page not found")), ("zh", ("请求有误", "页面不存在"))])
def test_bad_page_numbers_are_a_clear_4xx(client, published, language, titles):
    for page, status in BAD_PAGES:
        response = client.get("/orgs", query_string={"page": page, "lang": language})
        assert response.status_code == status, page
        assert titles[0 if status == 400 else 1] in text_of(response)
        assert_language(response, language)


def test_page_past_the_end_says_how_many_pages_there_are(client, published):
    assert "There is no page 9: the list has 1 page." in text_of(client.get("/orgs?page=9&lang=en"))
    assert "不存在第 9 页：名单共 1 页。" in text_of(client.get("/orgs?page=9&lang=zh"))
    assert "页码必须是从 1 开始的整数。" in text_of(client.get("/orgs?page=x"))


def test_before_the_first_sync(client):
    for language in ("zh", "en"):
        for path in ROUTES:
            response = client.get(path, query_string={"lang": language})
            assert response.status_code == 200
            assert NO_DATA_YET[language] in text_of(response)
    assert "目前尚无公示的社会组织。" in text_of(client.get("/orgs"))
    assert "No synchronisation has run yet." in text_of(client.get("/status?lang=en"))
    assert "<dt>In total</dt>\n      <dd>0</dd>" in text_of(client.get("/?lang=en"))


def test_status_shows_recent_runs(app, client, published):
    with app.app_context():
        start = DATA_AS_OF + timedelta(days=1)
        for day in range(24):
            add_run(start + timedelta(days=day), rows_read=1000 + day)
        add_run(
            start + timedelta(days=30),
            status="failed",
            error_code="scoring_unavailable",
            error=(
                "Traceback (most recent call last):\n"
                '  File "portal/sync/service.py", line 1, in run\n'
                "    connect()\n"
                "OperationalError: could not connect to postgresql://scoring:secret@10.0.0.5/scoring"
            ),
        )
        db.session.commit()

    english = text_of(client.get("/status?lang=en"))
    assert "<dd>7</dd>" in english  # the publication version
    assert english.count('<th scope="row">') == 20
    assert "1,023" in english  # the newest successful run
    assert ">1,004<" not in english  # older than the 20 most recent
    assert "Failed" in english and "Succeeded" in english and "Scheduler" in english
    assert "1 min 5 s" in english
    assert "The credit assessment database could not be reached." in english
    assert "Traceback" not in english and "secret" not in english and "10.0.0.5" not in english
    assert "OperationalError" not in english

    chinese = text_of(client.get("/status?lang=zh"))
    assert "失败" in chinese and "成功" in chinese and "定时任务" in chinese and "增量" in chinese
    assert "1 分 5 秒" in chinese


@pytest.mark.parametrize("language, title", [("zh", "页面不存在"), ("en", "Page not found")])
def test_404_page_is_friendly(client, published, language, title):
    response = client.get("/no/such/page", query_string={"lang": language})
    assert response.status_code == 404
    body = text_of(response)
    assert f"<h1>{title}</h1>" in body
    assert_language(response, language)
    assert_varies_by_language(response)
    assert DATA_AS_OF_TIME[language] in body
    assert '<meta name="robots" content="noindex">' in body


@pytest.fixture
def failing_routes(app):
    """Routes that end in each handled error; added before the app serves its first request."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def crash():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/test/crash", "test_crash", crash)
    for code in (400, 413, 429):
        app.add_url_rule(f"/test/{code}", f"test_{code}", lambda code=code: abort(code))
    return app


@pytest.mark.parametrize(
    "method, path, status, zh_title, en_title",
    [
        ("get", "/test/400", 400, "请求有误", "Bad request"),
        ("post", "/orgs", 405, "不允许的请求", "Request not allowed"),
        ("get", "/test/413", 413, "请求内容过大", "Request too large"),
        ("get", "/test/429", 429, "请求过于频繁", "Too many requests"),
        ("get", "/test/crash", 500, "系统出错", "Something went wrong"),
    ],
)
def test_error_pages_are_friendly_in_both_languages(
    failing_routes, client, published, method, path, status, zh_title, en_title
):
    for language, title in [("zh", zh_title), ("en", en_title)]:
        response = getattr(client, method)(path, query_string={"lang": language})
        assert response.status_code == status
        body = text_of(response)
        assert f"<h1>{title}</h1>" in body
        assert_language(response, language)
        assert DATA_AS_OF_TEXT[language] in body
        assert "Traceback" not in body and "secret internal detail" not in body
        # Werkzeug's own English explanations are not shown.
        assert "The browser (or proxy) sent a request" not in body
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_error_page_renders_when_the_database_is_down(failing_routes, client, monkeypatch):
    def unavailable():
        raise OperationalError("SELECT 1", {}, Exception("database is down"))

    monkeypatch.setattr(web, "read_publication", unavailable)
    response = client.get("/test/crash?lang=en")
    assert response.status_code == 500
    body = text_of(response)
    assert "Something went wrong" in body
    assert "Information on the published data is temporarily unavailable." in body
    assert client.get("/healthz").status_code == 503


def test_publication_is_read_once_per_request(client, published, monkeypatch):
    calls = []
    original = web.read_publication

    def counting():
        calls.append(1)
        return original()

    monkeypatch.setattr(web, "read_publication", counting)
    client.get("/status")
    assert len(calls) == 1


def test_security_headers(client, published):
    for path in [*ROUTES, "/no-such-page", "/static/css/portal.css", "/healthz", "/lang/en"]:
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        response.close()


def test_pages_are_accessible_and_have_no_inline_code(client, published):
    for path in [*ROUTES, "/no-such-page"]:
        body = text_of(client.get(path))
        # Scripts are the site's own files only (the header's search suggestions), never inline code.
        assert re.sub(r'<script src="/static/js/[a-z]+\.js" defer></script>', "", body).count("<script") == 0
        assert "<style" not in body and " style=" not in body
        assert 'class="skip-link" href="#main"' in body
        assert '<main id="main"' in body
        assert '<meta name="description"' in body
        assert '<link rel="stylesheet" href="/static/css/portal.css">' in body


def test_healthz(client, published):
    response = client.get("/healthz")
    assert response.status_code == 200
    # No search index in this fixture: the node serves, degraded (search cannot answer).
    assert response.json == {
        "ok": True, "status": "degraded", "publication_version": 7, "data_as_of": "2024-05-01T18:30:00Z",
        "index_version": None, "index_behind": None,
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_stylesheet_is_served(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"' in text_of(response)
    response.close()
