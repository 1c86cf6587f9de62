"""A night in the portal's life, then a visitor in a real browser the next morning.

A live server of its own (the session's one is left alone): the demo scoring
database moves on by one night (``flask demo advance-night``), then the job
the scheduler runs at night (``portal.scheduler.sync_job``) runs in a
separate process with the server's environment, as the scheduler's process
would. Without restarting gunicorn, every public surface must show the new
list: pages, search, the API, the feeds and the downloads. An organisation
that fell to grade C is gone from all of them and shows in the changes only
as leaving the list, without its new grade.
"""

import codecs
import csv
import io
import json
import subprocess
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import require_browser
from tests.browser.playwright_expect import expect
from tests.conftest import live_portal_database
from portal.testing.live_server import BIN, ROOT, LiveServer

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

#: The scheduler's nightly job, run once in a process of its own with the server's environment.
SYNC_JOB = """
from portal import create_app
from portal.scheduler import sync_job

result = sync_job(create_app())
print(result.summary())
raise SystemExit(0 if result.status == "succeeded" else 1)
"""


def portal_state(server):
    """{USCC: (name, grade, is_published)} of every organisation in the portal database, and its version."""
    organisations = {
        uscc: (name, grade, bool(is_published))
        for uscc, name, grade, is_published in server.portal_rows(
            "SELECT uscc, name, grade, is_published FROM organisations"
        )
    }
    return organisations, server.portal_rows("SELECT max(version) FROM publication_state")[0][0]


class Night:
    """What the night changed: the portal database before and after, and the server."""

    def __init__(self, server, before, after, version_before, version_after, summary):
        self.server = server
        self.before = before
        self.after = after
        self.version_before = version_before
        self.version_after = version_after
        self.summary = summary

    def published(self, state):
        return {uscc: (name, grade) for uscc, (name, grade, shown) in state.items() if shown}

    @property
    def fallen_to_c(self):
        """Organisations published last night that are graded C now (so no longer published)."""
        return sorted(
            uscc
            for uscc, (_, _, shown) in self.before.items()
            if shown and uscc in self.after and self.after[uscc][1] == "C" and not self.after[uscc][2]
        )

    @property
    def regraded(self):
        """Organisations published before and after whose grade changed (A to B or B to A)."""
        return sorted(
            uscc
            for uscc, (_, grade, shown) in self.before.items()
            if shown and self.after.get(uscc, (None, None, False))[2] and self.after[uscc][1] != grade
        )


@pytest.fixture(scope="module")
def night(live_backend):
    """A live server of its own, one night on: demo data advanced, then the scheduler's sync job."""
    require_browser()
    with live_portal_database(live_backend) as portal_database_url:
        server = LiveServer(
            orgs=600, seed=1, workers=2, log=lambda message: None, portal_database_url=portal_database_url
        )
        server.start()
        try:
            before, version_before = portal_state(server)
            # 10 % of the organisations change tonight: enough for some to fall to C.
            server._flask("demo", "advance-night", "--seed", "2", "--changes-percent", "10")
            completed = subprocess.run(
                [str(BIN / "python"), "-c", SYNC_JOB],
                cwd=ROOT,
                env=server.environment(),
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert completed.returncode == 0, f"the sync job failed:\n{completed.stdout}\n{completed.stderr[-3000:]}"
            after, version_after = portal_state(server)
            yield Night(server, before, after, version_before, version_after, completed.stdout.strip())
        finally:
            server.stop()


@pytest.fixture
def night_page(browser, night):
    context = browser.new_context(base_url=night.server.base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_the_night_changed_the_list(night):
    assert night.version_after == night.version_before + 1, night.summary
    assert night.fallen_to_c, f"the demo night must move some published organisation to C: {night.summary}"
    assert night.regraded, f"the demo night must regrade some published organisation: {night.summary}"


def test_pages_search_and_api_show_the_new_grades(night_page, night):
    page = night_page
    for uscc in night.regraded[:3]:
        name, grade, _ = night.after[uscc]
        response = page.goto(f"/org/{uscc}")
        assert response.status == 200
        expect(page.locator(".report-grade__badge .grade")).to_have_text(grade)

        # Search by name finds it, with its new grade next to it.
        response = page.goto(f"/search?q={name}")
        assert response.status == 200
        hit = page.locator("main li.search-hit").filter(has=page.locator(f"a[href='/org/{uscc}']"))
        expect(hit).to_have_count(1)
        expect(hit.locator(".grade")).to_have_text(grade)

        api = page.request.get(f"/api/v1/organisations/{uscc}")
        assert api.status == 200
        assert api.json()["organisation"]["credit"]["grade"] == grade


def test_fallen_organisation_is_gone_everywhere(night_page, night):
    page = night_page
    uscc = night.fallen_to_c[0]
    name = night.before[uscc][0]

    response = page.goto(f"/org/{uscc}")
    assert response.status == 404
    expect(page.locator(".report-grade__badge")).to_have_count(0)
    assert "grade--c" not in page.content()

    response = page.goto(f"/search?q={name}")
    assert response.status == 200
    expect(page.locator(f"main a[href*='/org/{uscc}']")).to_have_count(0)
    assert uscc not in page.locator("main").inner_text()

    api = page.request.get(f"/api/v1/organisations/{uscc}")
    assert api.status == 404
    assert '"C"' not in api.text() and name not in api.text()
    suggestions = page.request.get(f"/search/suggest?q={name}")
    assert uscc not in suggestions.text() and name not in suggestions.text()

    # The sitemap (every part its index lists).
    index = ET.fromstring(page.request.get("/sitemap.xml").body())
    parts = [urlsplit(loc.text).path for loc in index.iter(f"{SITEMAP}loc")]
    assert "/sitemaps/orgs-1.xml" in parts
    located = set()
    for part in parts:
        response = page.request.get(part)
        assert response.status == 200, part
        located |= {urlsplit(loc.text).path for loc in ET.fromstring(response.body()).iter(f"{SITEMAP}loc")}
    assert f"/org/{uscc}" not in located
    published_now = night.published(night.after)
    assert {f"/org/{code}" for code in published_now} <= located


def test_downloads_hold_the_new_list(night_page, night):
    page = night_page
    published_now = night.published(night.after)
    response = page.request.get("/data/organisations.csv")
    assert response.status == 200
    assert response.headers.get("x-publication-version") == str(night.version_after)
    data = response.body()
    assert data.startswith(codecs.BOM_UTF8)
    records = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert {r["uscc"]: (r["name"], r["grade"]) for r in records} == published_now
    assert not set(night.fallen_to_c) & {r["uscc"] for r in records}

    response = page.request.get("/data/organisations.jsonl")
    assert response.status == 200
    lines = [json.loads(line) for line in response.text().splitlines() if line.strip()]
    codes = {line["uscc"] for line in lines if "uscc" in line}
    assert codes == set(published_now)


def test_changes_and_feeds_show_the_exit_without_the_new_grade(night_page, night):
    page = night_page
    uscc = night.fallen_to_c[0]
    name = night.before[uscc][0]

    page.goto("/changes?type=exit")
    row = page.locator("main table.data-table tbody tr").filter(has_text=uscc)
    expect(row).to_have_count(1)
    # Its report is gone: the exit does not link to it.
    expect(row.locator(f"a[href*='/org/{uscc}']")).to_have_count(0)
    expect(row).to_have_attribute("data-change", "exit")
    expect(row).to_contain_text(name)
    expect(row.locator(".grade")).to_have_count(0)
    # No grade: only the public reason, which names no single grade ("降为C级或D级").
    assert "C" not in row.inner_text().replace(uscc, "").replace("降为C级或D级", "")
    expect(row).to_contain_text("移出公示名单：降为C级或D级")
    assert page.locator("main .grade--c, main .grade--d").count() == 0

    for address in ("/feeds/changes.atom", "/feeds/changes.atom?type=exit"):
        feed = ET.fromstring(page.request.get(address).body())
        # An exit's entry names the organisation; its link cannot lead to a report that is gone.
        matching = [
            entry
            for entry in feed.findall(f"{ATOM}entry")
            if entry.find(f"{ATOM}category").get("term") == "exit" and name in (entry.findtext(f"{ATOM}title") or "")
        ]
        assert len(matching) == 1, address
        entry = matching[0]
        link = urlsplit(entry.find(f"{ATOM}link[@rel='alternate']").get("href"))
        assert link.path == "/changes" and "type=exit" in link.query
        text = (entry.findtext(f"{ATOM}title") or "") + (entry.findtext(f"{ATOM}summary") or "")
        assert "C" not in text.replace(uscc, "").replace("降为C级或D级", ""), f"{address} must not tell the new grade: {text}"
        assert "降为C级或D级" in text, f"{address} gives the public reason of the exit: {text}"

    # The organisation's own feed says nothing of it any more.
    response = page.request.get(f"/org/{uscc}/feed.atom")
    assert response.status == 404
