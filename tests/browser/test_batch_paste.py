"""The batch check's paste box in Chromium: a list typed or pasted, one code or name a line, answered on the page
in the visitor's order (without JavaScript, on a desktop and on a phone), or downloaded as CSV; the templates;
axe on the result page in both languages and both views."""

import csv
import io
import json

import pytest

from portal.opendata.batch import EXAMPLE_USCC
from portal.testing.live_server import BLUE_SKY_ELDERLY_CARE
from tests.browser import layout_checks
from tests.browser.conftest import new_page
from tests.browser.test_accessibility import PUBLIC_BLOCKING, new_audit_context, require_axe, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.fixture(scope="module")
def hidden_uscc(live_server):
    """A code of the demo data that is not published (rated C or D, or cancelled)."""
    return live_server.portal_rows("SELECT uscc FROM organisations WHERE NOT is_published ORDER BY uscc LIMIT 1")[0][0]


def pasted_lines(youth_foundation, hidden_uscc):
    """(line, expected result) of the list the tests paste."""
    return [
        (youth_foundation[0], "published"),
        (hidden_uscc, "not_public"),
        (youth_foundation[0], "published"),  # a duplicate keeps its place
        ("", "empty"),
        (BLUE_SKY_ELDERLY_CARE, "published"),
        (EXAMPLE_USCC, "not_public"),  # valid, and no organisation's: the same answer as an unpublished one
        ("北京市没有这个名字的协会", "unknown_name"),
    ]


def check_pasted(page, lines, output=None):
    page.goto("/batch")
    page.locator("#batch-values").fill("\n".join(line for line, _ in lines))
    if output:
        page.locator(f"label[for='batch-output-{output}']").click()
    return page.locator("form.batch-form button[type=submit]")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_pasted_list_is_answered_in_its_order_without_javascript(browser, base_url, youth_foundation, hidden_uscc,
                                                                   device):
    context, page = new_page(browser, base_url, viewport=VIEWPORTS[device], java_script_enabled=False,
                             is_mobile=device == "phone", has_touch=device == "phone")
    try:
        lines = pasted_lines(youth_foundation, hidden_uscc)
        with page.expect_navigation():
            check_pasted(page, lines).click()
        assert page.url.endswith("/batch#batch-result")
        rows = page.locator("table:has(#batch-results-caption) tbody tr")
        assert rows.count() == len(lines)
        assert [rows.nth(index).get_attribute("data-result") for index in range(rows.count())] == [
            code for _, code in lines
        ]
        assert [rows.nth(index).locator("th").inner_text().strip() for index in range(rows.count())] == [
            str(number) for number in range(1, len(lines) + 1)
        ]
        # An unpublished organisation's code and a code nobody has read the same, apart from the input itself.
        cells = [rows.nth(index).locator("td").all_inner_texts()[1:] for index in range(rows.count())]
        assert cells[1] == cells[5]
        assert rows.nth(0).locator(f"a[href='/org/{youth_foundation[0]}']").count() == 1
        assert youth_foundation[0] in page.locator("#batch-values").input_value()
        if device == "phone":
            assert layout_checks.horizontal_overflow(page) == 0
            assert layout_checks.text_smaller_than(page, 16) == []
            assert layout_checks.targets_smaller_than(page, 44) == []
        assert page.browsing_errors == []
    finally:
        context.close()


def test_a_pasted_list_downloads_as_csv_with_its_provenance(page, youth_foundation, hidden_uscc):
    lines = pasted_lines(youth_foundation, hidden_uscc)
    with page.expect_download() as download_info:
        check_pasted(page, lines, output="csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("beijing-social-org-credit-batch-check-")
    with open(download.path(), "rb") as file:
        rows = list(csv.reader(io.StringIO(file.read().decode("utf-8-sig"), newline="")))
    header, *checked = rows
    assert header[:3] == ["行号", "代码或名称", "结果代码"] and header[-2:] == ["数据截至（协调世界时）", "公示版本"]
    assert [(row[0], row[2]) for row in checked] == [(str(number), code) for number, (_, code) in enumerate(lines, 1)]
    # The same publication as the API names.
    api = page.request.post("/api/v1/batch-check", data=json.dumps({"values": [youth_foundation[0]]}),
                            headers={"Content-Type": "application/json"}).json()
    assert {(row[-2], row[-1]) for row in checked} == {(api["data_as_of"], str(api["publication_version"]))}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_templates_download_from_the_batch_page(page, kind):
    page.goto("/batch")
    with page.expect_download() as download_info:
        page.locator(f"main a[href='/batch/template.{kind}']").click()
    assert download_info.value.suggested_filename == f"beijing-social-org-credit-batch-template.{kind}"


@pytest.mark.parametrize("mode", ["standard", "large-text"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_result_page_passes_axe(browser, base_url, youth_foundation, hidden_uscc, language, mode):
    require_axe()
    context = new_audit_context(browser, base_url, language)
    try:
        page = context.new_page()
        page.goto(f"/batch?lang={language}&large={'1' if mode == 'large-text' else '0'}")
        page.locator("#batch-values").fill("\n".join(line for line, _ in pasted_lines(youth_foundation, hidden_uscc)))
        with page.expect_navigation():
            page.locator("form.batch-form button[type=submit]").click()
        assert page.locator("#batch-result").count() == 1
        blocking = [v for v in run_axe(page) if v["impact"] in PUBLIC_BLOCKING]
        assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)
    finally:
        context.close()
