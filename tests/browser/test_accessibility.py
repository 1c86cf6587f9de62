"""axe-core on every distinct page template, in Chinese and in English: no serious or critical violation.

axe-core comes from npm (tests/browser/axe/package.json, installed by
`make test` with `npm ci`). It is injected into each page as it is served by
gunicorn; the context bypasses the page's CSP only so that the audit script
can be added. The rules are those of WCAG 2.0/2.1 A and AA plus axe's best
practices; the results of the last run are written to
test-results/accessibility.json for docs/accessibility.md.
"""

import json
from pathlib import Path

import pytest

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.server import IN_CI

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "accessibility.json"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")

#: One URL per distinct template (and state of it), {uscc} and {hidden} filled in by the fixture.
PAGES = {
    "home": "/",
    "list": "/orgs",
    "list-filtered": "/orgs?grade=A&sort=score_desc",
    "report": "/org/{uscc}",
    "report-not-published": "/org/{hidden}",
    "report-invalid-code": "/org/123",
    "changes": "/changes",
    "methodology": "/methodology",
    "about": "/about",
    "status": "/status",
    "search-results": "/search?q=%E5%9F%BA%E9%87%91%E4%BC%9A",
    "search-nothing-found": "/search?q=%E9%BE%98%E9%BE%98%E9%BE%98",
    "search-empty": "/search?q=",
    "error-404": "/no/such/page",
    "error-400": "/orgs?grade=Z",
    "complaint-form": "/complaints/new",
    "complaint-status": "/complaints/status",
    "complaint-privacy": "/complaints/privacy",
    "staff-login": "/staff/login",
    "api-docs": "/api",
    "open-data": "/data",
    "batch-check": "/batch",
    "statistics": "/stats",
    "verify": "/verify",
    "report-print": "/org/{uscc}/report/print",
}
#: Pages of features that may not be on a branch yet: audited when they answer (none at present).
OPTIONAL_PAGES = {}


def require_axe():
    if not AXE.exists():
        message = "axe-core is not installed: make test runs `npm ci` in tests/browser/axe"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def hidden_uscc(live_server):
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{live_server.folder / 'portal.db'}")
    with engine.connect() as connection:
        uscc = connection.scalar(sa.text("SELECT uscc FROM organisations WHERE NOT is_published LIMIT 1"))
    engine.dispose()
    return uscc


@pytest.fixture(scope="module")
def audit_page(browser, base_url):
    require_axe()
    context = browser.new_context(base_url=base_url, bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def results():
    collected = {}
    yield collected
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(collected, ensure_ascii=False, indent=1))


def audit(page, url):
    response = page.goto(url)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')), count: v.nodes.length})); }",
        TAGS,
    )
    return response.status, found


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES) + list(OPTIONAL_PAGES))
def test_no_serious_accessibility_violations(audit_page, base_url, youth_foundation, hidden_uscc, results, name,
                                            language):
    path = {**PAGES, **OPTIONAL_PAGES}[name].format(uscc=youth_foundation[0], hidden=hidden_uscc)
    separator = "&" if "?" in path else "?"
    status, violations = audit(audit_page, f"{base_url}{path}{separator}lang={language}")
    if name in OPTIONAL_PAGES and status == 404:
        pytest.skip(f"{path} is not served on this branch")
    results[f"{name} ({language})"] = {"path": path, "status": status, "violations": violations}
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)
