"""A journalist's journey in a real browser: what changed, the whole list, a feed and a batch check.

The journalist reads the changes to the public list, downloads the list as
CSV, subscribes to the changes feed the page advertises, and checks a few
organisations of their own at once with the batch check. Every file is
compared with the portal's database: the public gets exactly the published
organisations, no more, no fewer.
"""

import codecs
import csv
import io
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.playwright_expect import expect
from portal.testing.live_server import BLUE_SKY_ELDERLY_CARE

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"
ORG_PATH = re.compile(r"/org/([0-9A-Z]{18})$")


def published(live_server):
    """{USCC: (name, grade)} of the published organisations."""
    rows = live_server.portal_rows("SELECT uscc, name, grade FROM organisations WHERE is_published")
    return {uscc: (name, grade) for uscc, name, grade in rows}


def bad_check_digit(uscc):
    """``uscc`` with its last (check) character changed."""
    return uscc[:-1] + ("1" if uscc[-1] != "1" else "2")


def read_csv(data):
    """Check the BOM (Excel needs it to read UTF-8) and return the rows as dictionaries."""
    assert data.startswith(codecs.BOM_UTF8), "the CSV must start with a UTF-8 byte order mark"
    return list(csv.DictReader(io.StringIO(data[len(codecs.BOM_UTF8) :].decode("utf-8"), newline="")))


def test_changes_csv_feed_and_batch_check(page, live_server, youth_foundation, blue_sky):
    public = published(live_server)
    assert public and all(grade in ("A", "B") for _, grade in public.values())

    # 1. The changes to the public list, from the site's navigation.
    page.goto("/")
    with page.expect_navigation():
        page.locator("header a[href='/changes']:visible, nav a[href='/changes']:visible").first.click()
    assert urlsplit(page.url).path == "/changes"
    expect(page.locator("main h1")).to_be_visible()
    # The first sync's entries are one line, "首次发布：N 家"; the count is of every other change.
    first_run = "(SELECT min(sync_run_id) FROM list_changes WHERE change_type = 'entry')"
    first_entries = live_server.portal_rows(
        f"SELECT count(*) FROM list_changes WHERE change_type = 'entry' AND sync_run_id = {first_run}"
    )[0][0]
    other_changes = live_server.portal_rows("SELECT count(*) FROM list_changes")[0][0] - first_entries
    expect(page.locator("main")).to_contain_text(f"首次发布：{first_entries:,} 家")
    expect(page.locator("main")).to_contain_text(f"共 {other_changes:,} 条变动")
    rows = page.locator("main table.data-table tbody tr")
    # The shared live server has had its first sync only: its entries are the one line above.
    assert (rows.count() > 0) == (other_changes > 0)
    for uscc in page.locator("main table.data-table tbody a.org-link").evaluate_all(
        "links => links.map(link => new URL(link.href).pathname.split('/').pop())"
    ):
        assert uscc in public, f"/changes links {uscc}, which is not published"

    # Only the entries, through the filter form.
    page.locator("#change-type").select_option("entry")
    with page.expect_navigation():
        page.locator("main form.filters button[type=submit]").click()
    assert parse_qs(urlsplit(page.url).query).get("type") == ["entry"]
    kinds = rows.evaluate_all("rows => rows.map(row => row.dataset.change)")
    assert set(kinds) <= {"entry"}
    expect(page.locator("main")).to_contain_text(f"首次发布：{first_entries:,} 家")

    # 2. The feed the page advertises, then the whole changes feed.
    feed_link = page.locator("head link[rel=alternate][type='application/atom+xml']")
    expect(feed_link).to_have_count(1)
    feeds = [feed_link.get_attribute("href"), "/feeds/changes.atom"]
    for address in feeds:
        response = page.request.get(address)
        assert response.status == 200, address
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.body())
        assert feed.tag == f"{ATOM}feed"
        assert feed.findtext(f"{ATOM}title")
        assert feed.findtext(f"{ATOM}updated")
        assert feed.find("{urn:x-beijing-social-organisation-credit-portal:feed}dataAsOf") is not None
        entries = feed.findall(f"{ATOM}entry")
        assert entries, address
        for entry in entries:
            assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}title")
            target = urlsplit(entry.find(f"{ATOM}link[@rel='alternate']").get("href"))
            match = ORG_PATH.search(target.path)
            if match:
                assert match.group(1) in public, f"{address} links {match.group(1)}, which is not published"
            else:
                # An exit links to the changes, never to a report that is gone.
                assert target.path == "/changes", target
            if "type=entry" in address:
                assert entry.find(f"{ATOM}category").get("term") == "entry"
    page.browsing_errors.clear()

    # 3. The whole list as CSV, from the open data page.
    page.goto("/data")
    expect(page.locator("main h1")).to_be_visible()
    with page.expect_download() as download_info:
        page.locator("main a[href='/data/organisations.csv']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), "rb") as file:
        records = read_csv(file.read())
    assert {"uscc", "name", "grade", "score", "data_as_of"} <= set(records[0])
    in_csv = {record["uscc"]: (record["name"], record["grade"]) for record in records}
    assert len(in_csv) == len(records), "each organisation once"
    assert in_csv == public, "the CSV must hold exactly the published organisations"
    assert len({record["data_as_of"] for record in records}) == 1

    # 4. A batch check of the journalist's own list, uploaded from the batch page.
    with page.expect_navigation():
        page.locator("main a[href='/batch']").first.click()
    not_public = live_server.portal_rows(
        "SELECT uscc FROM organisations WHERE NOT is_published AND grade = 'C' ORDER BY uscc LIMIT 1"
    )[0][0]
    lines = [
        "uscc,name,note",
        f"{youth_foundation[0]},,ours 1",
        f"{not_public},,ours 2",
        # 18 characters, but the check character is wrong: a mistyped code.
        f"{bad_check_digit(youth_foundation[0])},,ours 3",
        f",{BLUE_SKY_ELDERLY_CARE},ours 4",
    ]
    upload = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    page.locator("#batch-file").set_input_files(
        {"name": "my-list.csv", "mimeType": "text/csv", "buffer": upload}
    )
    with page.expect_download() as download_info:
        page.locator("main form[action='/batch'] button[type=submit]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), "rb") as file:
        result = list(csv.reader(io.StringIO(file.read().decode("utf-8-sig"), newline="")))
    header, *checked = result
    assert header[:3] == ["uscc", "name", "note"]
    assert len(header) == 3 + 8, "eight result columns are added (the last two: data as of, publication version)"
    assert [row[2] for row in checked] == ["ours 1", "ours 2", "ours 3", "ours 4"], "rows keep their order"
    codes = [row[3] for row in checked]
    assert codes == ["published", "not_public", "invalid_code", "published"]
    assert checked[0][5] == youth_foundation[1] and checked[0][7] == youth_foundation[0]
    assert checked[3][5] == blue_sky[1] and checked[3][7] == blue_sky[0]
    # An organisation outside the list: nothing about it, not even its name or grade.
    # (The code column may repeat the normalised code the journalist typed.)
    assert checked[1][5:7] == ["", ""] and checked[1][8] == ""
    assert checked[1][7] in ("", not_public)
    assert page.browsing_errors == []
