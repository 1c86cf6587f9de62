"""The reconciliation preview in a real browser: OpenRefine's page, on another origin, frames it; no other page may be.

OpenRefine shows a candidate's preview (``/api/reconcile/preview?id=``) in a
frame of its own page. Here that page is served by Playwright on an origin of
its own (no network), with one frame of the preview and one of the credit
report: the preview loads, the report is refused (frame-ancestors 'none').
The card passes axe-core in both languages, like every public page.
"""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.playwright_expect import expect
from tests.browser.test_accessibility import PUBLIC_BLOCKING, new_audit_context, require_axe, run_axe

pytestmark = pytest.mark.browser



@contextmanager
def openrefine_origin(body):
    """Serve ``body`` on 127.0.0.1 at a port of its own: another origin, on loopback as OpenRefine (localhost:3333).

    Chromium lets no public page, nor one Playwright fulfils without a connection, frame a loopback address.
    """

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def openrefine_page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_openrefine_may_frame_the_preview_and_nothing_else(openrefine_page, base_url, youth_foundation):
    uscc = youth_foundation[0]
    page = openrefine_page
    body = (
        f'<!doctype html><title>OpenRefine</title>'
        f'<iframe id="preview" src="{base_url}/api/reconcile/preview?id={uscc}" width="420" height="200"></iframe>'
        f'<iframe id="report" src="{base_url}/org/{uscc}" width="420" height="200"></iframe>'
    )
    with openrefine_origin(body) as openrefine:
        assert not openrefine.startswith(base_url)
        page.goto(openrefine)
        preview = page.frame_locator("#preview")
        expect(preview.locator("h1")).to_have_text("北京市青少年发展基金会")
        expect(preview.locator(f"a[href$='/org/{uscc}']")).to_have_count(1)
        page.wait_for_load_state("load")
        report_frame = page.locator("#report").element_handle().content_frame()
        # The report refuses to be framed: the browser shows its own error page in the frame instead.
        assert report_frame.url.startswith("chrome-error://"), report_frame.url
        assert page.locator("#preview").element_handle().content_frame().url.startswith(base_url)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("published", [True, False], ids=["published", "not-published"])
def test_the_preview_card_is_accessible(browser, base_url, youth_foundation, live_server, language, published):
    require_axe()
    if published:
        uscc, status = youth_foundation[0], 200
    else:
        uscc = live_server.portal_rows("SELECT uscc FROM organisations WHERE NOT is_published LIMIT 1")[0][0]
        status = 404
    context = new_audit_context(browser, base_url, language)
    try:
        page = context.new_page()
        response = page.goto(f"{base_url}/api/reconcile/preview?id={uscc}&lang={language}")
        assert response.status == status
        assert page.locator("html").get_attribute("lang") == ("zh-CN" if language == "zh" else "en")
        blocking = [v for v in run_axe(page) if v["impact"] in PUBLIC_BLOCKING]
        assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)
    finally:
        context.close()
