"""Open data: bulk downloads, Atom feeds, the batch check, sitemap.xml and robots.txt.

Data goes in through the real sync from a scoring database written by the
test builder, over nights that move organisations across the boundary of
the public list.
"""

import csv
import hashlib
import io
import json
import os
import re
from datetime import date, datetime, timedelta
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.opendata import batch, downloads
from portal.publication.models import Organisation
from portal.publication.state import publication_state
from tests.scoring_builder import make_uscc
from tests.synced_portal import ScoringOrganisation, sync_at, sync_three_nights
from tests.conftest import has_inline_script

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

# Social groups of the municipality, as the builder writes them by default.
ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", grade="A", score="97.50"),
    ScoringOrganisation(2, "北京市贝塔基金会", grade="B", score="88.00"),
    ScoringOrganisation(3, "北京市（朝阳）测试服务中心", grade="B", score="81.00"),
    ScoringOrganisation(4, "北京市海淀区科技协会", grade="A", score="120.00"),
    ScoringOrganisation(5, "北京市东城区文化促进会", grade="B", score="94.99"),
    ScoringOrganisation(6, "北京市丙级测试协会", grade="C", score="70.00"),
    ScoringOrganisation(7, "北京市丁级测试协会", grade="D", score="40.00"),
    ScoringOrganisation(8, "北京市注销测试协会", grade="A", score="99.00", status="cancelled"),
]
NIGHTS = [datetime(2026, 11, 2, 18, 30) + timedelta(days=n) for n in range(4)]


def uscc_of(number):
    return make_uscc(number)


@pytest.fixture
def app_config_overrides():
    """Sitemap chunks of two organisations, so that the published ones take several."""
    return {"SITEMAP_CHUNK_SIZE": 2}


@pytest.fixture
def portal(app, scoring, monkeypatch):
    """Night 1: 1-5 published. Night 2: 2 drops to C, 3 becomes A. Night 3: 2 back to B, 5 cancelled, 6 up to B."""
    for organisation in ORGS:
        organisation.write(scoring)

    def six_rises_to_b():
        scoring.score(uscc_of(6), "B", "85.00")

    return sync_three_nights(app, scoring, monkeypatch, NIGHTS, ORGS, third_night_changes=six_rises_to_b)


def published_codes(app):
    with app.app_context():
        return sorted(db.session.scalars(select(Organisation.uscc).where(Organisation.is_published.is_(True))))


def unpublished_codes(app):
    with app.app_context():
        return sorted(db.session.scalars(select(Organisation.uscc).where(Organisation.is_published.is_(False))))


def manifest_of(app):
    with app.app_context():
        return downloads.read_manifest()


def read_csv_rows(raw):
    assert raw.startswith(b"\xef\xbb\xbf"), "the CSV must start with a UTF-8 byte order mark"
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


# -- bulk downloads -----------------------------------------------------------------


def test_export_after_sync_writes_csv_jsonl_and_manifest(portal):
    manifest = manifest_of(portal)
    expected = published_codes(portal)
    assert len(expected) == 5  # 1, 2, 3, 4 and 6; 5 was cancelled
    with portal.app_context():
        state = publication_state()
        assert manifest["publication_version"] == state.version
        assert manifest["data_as_of"] == state.data_as_of.isoformat(timespec="seconds") + "Z"
        assert manifest["sync_run_id"] == state.last_run_id
    files = {item["format"]: item for item in manifest["files"]}
    assert set(files) == {"csv", "jsonl"}

    with open(os.path.join(manifest["directory"], "organisations.csv"), "rb") as handle:
        raw_csv = handle.read()
    rows = read_csv_rows(raw_csv)
    assert rows[0] == list(downloads.COLUMNS)
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [record["uscc"] for record in records] == expected
    first = records[0]
    assert first["name"] == "北京市阿尔法协会" and first["grade"] == "A" and first["score"] == "97.50"
    assert first["org_type"] == "social_group" and first["org_type_zh"] == "社会团体"
    assert first["district_code"] == "110000" and first["district_zh"] == "北京市"
    assert first["evaluation_level"] == "4A" and first["registered_on"] == "2010-01-01"
    assert first["published_since"] == "2026-11-02T18:30:00Z"
    assert {record["data_as_of"] for record in records} == {"2026-11-04T18:30:00Z"}
    # Every row says which publication it belongs to, so a copy of the file still tells.
    assert {record["publication_version"] for record in records} == {str(manifest["publication_version"])}
    assert files["csv"]["rows"] == 5 and files["csv"]["size"] == len(raw_csv)
    assert files["csv"]["sha256"] == hashlib.sha256(raw_csv).hexdigest()

    with open(os.path.join(manifest["directory"], "organisations.jsonl"), "rb") as handle:
        raw_jsonl = handle.read()
    lines = raw_jsonl.decode("utf-8").splitlines()
    assert len(lines) == 5
    objects = [json.loads(line) for line in lines]
    assert [item["uscc"] for item in objects] == expected
    assert objects[0]["score"] == 97.5 and objects[0]["grade"] == "A"
    assert {item["publication_version"] for item in objects} == {manifest["publication_version"]}  # a number
    assert set(objects[0]) == set(downloads.COLUMNS)
    assert files["jsonl"]["sha256"] == hashlib.sha256(raw_jsonl).hexdigest()


def test_downloads_are_regenerated_after_each_sync(portal, scoring, monkeypatch):
    before = manifest_of(portal)
    scoring.tick(days=1)
    scoring.score(uscc_of(1), "C", "60.00")
    sync_at(portal, monkeypatch, NIGHTS[3])
    after = manifest_of(portal)
    assert after["publication_version"] == before["publication_version"] + 1
    assert after["directory"] != before["directory"]
    client = portal.test_client()
    body = client.get("/data/organisations.csv").data
    codes = [row[0] for row in read_csv_rows(body)[1:]]
    assert uscc_of(1) not in codes and codes == published_codes(portal)
    # Only the current generation is kept: an older one lists organisation 1.
    generations = [name for name in os.listdir(portal.config["DOWNLOADS_DIR"]) if name.startswith("gen-")]
    assert generations == [os.path.basename(after["directory"])]


def test_download_endpoints_are_conditional_and_ranged(client, portal):
    manifest = manifest_of(portal)
    response = client.get("/data/organisations.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv; charset=utf-8")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Publication-Version"] == str(manifest["publication_version"])
    assert hashlib.sha256(response.data).hexdigest() == manifest["files"][0]["sha256"]
    etag, last_modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert client.get("/data/organisations.csv", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/data/organisations.csv", headers={"If-Modified-Since": last_modified}).status_code == 304
    ranged = client.get("/data/organisations.csv", headers={"Range": "bytes=0-2"})
    assert ranged.status_code == 206 and ranged.data == b"\xef\xbb\xbf"

    jsonl = client.get("/data/organisations.jsonl")
    assert jsonl.status_code == 200 and jsonl.mimetype == "application/jsonl"
    assert all(json.loads(line)["grade"] in ("A", "B") for line in jsonl.data.decode().splitlines())
    listed = client.get("/data/manifest.json").get_json()
    assert listed["files"][0]["sha256"] == manifest["files"][0]["sha256"]
    assert "directory" not in listed
    assert client.get("/data/other.csv").status_code == 404
    assert client.get("/data/..%2Fportal.db").status_code == 404


def test_stale_downloads_are_not_served(portal, scoring, monkeypatch):
    portal.config["DOWNLOADS_AFTER_SYNC"] = False
    scoring.tick(days=1)
    scoring.score(uscc_of(1), "D", "30.00")
    sync_at(portal, monkeypatch, NIGHTS[3])
    client = portal.test_client()
    # The old file still lists organisation 1, which is no longer published.
    assert_unavailable(client, "/data/organisations.csv", {
        "zh": "正在按最新一次更新重新生成下载文件，请几分钟后再试。",
        "en": "The downloads are being regenerated for the latest update. Please try again in a few minutes.",
    })
    page = client.get("/data?lang=en").get_data(as_text=True)
    assert "being generated again" in page and 'href="/data/organisations.csv' not in page
    with portal.app_context():
        assert downloads.catch_up() is not None
        assert downloads.catch_up() is None
    assert client.get("/data/organisations.csv").status_code == 200


def assert_unavailable(client, path, messages):
    """``path`` answers a 503 with Retry-After, in each language its message of ``messages``, and no file."""
    for language, message in messages.items():
        response = client.get(path, query_string={"lang": language})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "120"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == "text/html"
        body = response.get_data(as_text=True)
        assert message in body
        assert uscc_of(1) not in body


def test_no_downloads_before_the_first_export(client):
    for name in ("organisations.csv", "organisations.jsonl", "manifest.json"):
        assert_unavailable(client, f"/data/{name}", {
            "zh": "下载文件尚未生成，请稍后再试。",
            "en": "The downloads have not been generated yet. Please try again later.",
        })
    page = client.get("/data?lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "The downloads have not been generated yet. They are generated after each update of the published data." in body
    assert 'href="/data/organisations.csv' not in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_data_page_shows_files_hashes_and_columns(client, portal, language):
    manifest = manifest_of(portal)
    response = client.get("/data", query_string={"lang": language})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for item in manifest["files"]:
        assert item["sha256"] in body
    for column in downloads.COLUMNS:
        assert f'<span class="code" translate="no">{column}</span>' in body
    assert 'href="/data/organisations.csv' in body and 'href="/feeds/changes.atom' in body
    assert "<caption" in body and 'scope="col"' in body
    # No inline script or style: only the header's search suggestions, a deferred file (the page works without it).
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/js/autocomplete.js" defer>']
    assert " style=" not in body and "<style" not in body


def test_cli_export_prints_a_summary(runner, portal):
    result = runner.invoke(args=["opendata", "export"])
    assert result.exit_code == 0, result.output
    assert "export of publication version" in result.output and "5 organisations" in result.output
    assert manifest_of(portal)["files"][0]["sha256"] in result.output
    status = runner.invoke(args=["opendata", "status"])
    assert status.exit_code == 0 and "5 rows" in status.output


def test_export_streams_in_chunks(portal):
    seen = []
    with portal.app_context():
        result = downloads.export_downloads(progress=seen.append, chunk_size=2)
    assert seen == [2, 2, 1] and result.rows == 5 and result.replaced


def test_an_older_export_never_replaces_a_newer_one(portal):
    with portal.app_context():
        folder = portal.config["DOWNLOADS_DIR"]
        current = downloads.read_manifest()["directory"]
        generation = os.path.join(folder, "gen-old")
        os.makedirs(generation)
        assert not downloads.make_current(folder, generation, (0, None))
        assert downloads.read_manifest()["directory"] == current


# -- feeds -------------------------------------------------------------------------------


def parse_feed(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/atom+xml"
    return ElementTree.fromstring(response.data)


def entries_of(feed):
    return [
        {
            "id": entry.findtext(f"{ATOM}id"),
            "title": entry.findtext(f"{ATOM}title"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "category": entry.find(f"{ATOM}category").get("term"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "updated": entry.findtext(f"{ATOM}updated"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]


def test_changes_feed_is_valid_atom_with_stable_ids(client, portal):
    feed = parse_feed(client.get("/feeds/changes.atom"))
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id").startswith("urn:uuid:")
    assert feed.findtext(f"{ATOM}updated") == "2026-11-04T18:30:00Z"
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == "http://localhost/feeds/changes.atom"
    assert links["alternate"] == "http://localhost/changes"
    assert feed.findtext("{urn:x-beijing-social-organisation-credit-portal:feed}dataAsOf") == "2026-11-04T18:30:00Z"
    entries = entries_of(feed)
    # Night 1: the first publication (five entries, one line); night 2: one exit, one grade change;
    # night 3: two entries, one exit.
    assert len(entries) == 6
    assert len({entry["id"] for entry in entries}) == 6
    english = entries_of(parse_feed(client.get("/feeds/changes.atom?lang=en")))
    assert [entry["id"] for entry in english] == [entry["id"] for entry in entries]
    assert [entry["id"] for entry in entries_of(parse_feed(client.get("/feeds/changes.atom")))] == [
        entry["id"] for entry in entries
    ]
    exits = [entry for entry in english if entry["category"] == "exit"]
    assert len(exits) == 2
    for entry in exits:
        assert "left the public list" in entry["title"]
        # The public reason says "C or D", never which grade the organisation left with.
        text = (entry["title"] + entry["summary"]).replace("grade C or D", "")
        for grade in ("A", "B", "C", "D"):
            assert f"rated {grade}" not in text
            assert f"grade {grade}" not in text
    exit_of_5 = next(entry for entry in exits if "东城区文化促进会" in entry["title"])
    assert exit_of_5["link"] == "http://localhost/changes?type=exit&lang=en"
    grade_change = next(entry for entry in english if entry["category"] == "grade_change")
    assert "from B to A" in grade_change["title"]


def test_changes_feed_by_type(client, portal):
    feed = parse_feed(client.get("/feeds/changes.atom?type=entry"))
    entries = entries_of(feed)
    assert len(entries) == 3 and {entry["category"] for entry in entries} == {"entry", "first_publication"}
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == "http://localhost/feeds/changes.atom?type=entry"
    assert client.get("/feeds/changes.atom?type=secret").status_code == 400


def test_feeds_answer_304_for_the_same_publication(client, portal, scoring, monkeypatch):
    response = client.get("/feeds/changes.atom")
    etag = response.headers["ETag"]
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert client.get("/feeds/changes.atom", headers={"If-None-Match": etag}).status_code == 304
    org = client.get(f"/org/{uscc_of(1)}/feed.atom")
    assert client.get(f"/org/{uscc_of(1)}/feed.atom", headers={"If-None-Match": org.headers["ETag"]}).status_code == 304
    scoring.tick(days=1)
    scoring.score(uscc_of(4), "B", "90.00")
    sync_at(portal, monkeypatch, NIGHTS[3])
    assert client.get("/feeds/changes.atom", headers={"If-None-Match": etag}).status_code == 200


def test_organisation_feed_follows_one_organisation(client, portal):
    feed = parse_feed(client.get(f"/org/{uscc_of(2)}/feed.atom?lang=en"))
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == f"http://localhost/org/{uscc_of(2)}/feed.atom?lang=en"
    assert links["alternate"] == f"http://localhost/org/{uscc_of(2)}?lang=en"
    entries = entries_of(feed)
    # Newest first: back in the list at 88.00; out of the list (no score, no grade); first published.
    assert [entry["category"] for entry in entries] == ["entry", "exit", "entry"]
    assert "entered the public list, rated B" in entries[2]["title"]
    assert "rated B" in entries[0]["title"] and "again" in entries[0]["summary"] and "88.00" in entries[0]["summary"]
    assert "70.00" not in "".join(entry["title"] + entry["summary"] for entry in entries)
    assert "C" not in entries[1]["title"].replace("北京市", "")
    again = entries_of(parse_feed(client.get(f"/org/{uscc_of(2)}/feed.atom")))
    assert [entry["id"] for entry in again] == [entry["id"] for entry in entries]
    regraded = entries_of(parse_feed(client.get(f"/org/{uscc_of(3)}/feed.atom?lang=en")))
    assert regraded[0]["category"] == "grade_change" and "from B to A" in regraded[0]["title"]


@pytest.mark.parametrize("number", [5, 6 + 1, 8, 99])
def test_organisation_feed_is_404_unless_published(client, portal, number):
    # 5 left the list, 7 is rated D, 8 is cancelled, 99 does not exist: the same answer.
    response = client.get(f"/org/{uscc_of(number)}/feed.atom")
    assert response.status_code == 404
    assert uscc_of(number) not in response.get_data(as_text=True).replace(f"/org/{uscc_of(number)}/feed.atom", "")


def test_organisation_feed_rejects_bad_codes_and_normalises(client, portal):
    assert client.get("/org/123/feed.atom").status_code == 400
    bad_check = uscc_of(1)[:-1] + ("0" if uscc_of(1)[-1] != "0" else "1")
    assert client.get(f"/org/{bad_check}/feed.atom").status_code == 400
    response = client.get(f"/org/{uscc_of(1).lower()}/feed.atom")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/org/{uscc_of(1)}/feed.atom")


# -- the batch check --------------------------------------------------------------------------


def post_file(client, name, content, lang=None, **headers):
    """POST ``content`` as the file ``name`` to the batch check, in ``lang`` if given (public pages are Chinese first)."""
    return client.post(
        "/batch" + (f"?lang={lang}" if lang else ""), data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data", headers=headers,
    )


BAD_CHECK = uscc_of(1)[:-1] + ("0" if uscc_of(1)[-1] != "0" else "1")


def batch_rows():
    """(value, expected result code) after the portal fixture's three nights."""
    return [
        (uscc_of(1), "published"),
        (uscc_of(1).lower()[:6] + " " + uscc_of(1)[6:], "published"),  # spaces and case are normalised
        (uscc_of(7), "not_public"),  # D
        (uscc_of(8), "not_public"),  # cancelled
        (uscc_of(5), "not_public"),  # left the list
        (uscc_of(99), "not_public"),  # unknown but valid
        (BAD_CHECK, "invalid_code"),
        ("12345678901234", "invalid_code"),
        ("北京市阿尔法协会", "published"),
        ("北京市 阿尔法协会", "published"),
        ("北京市(朝阳)测试服务中心", "published"),  # half-width brackets match the stored full-width ones
        ("北京市丙级测试协会", "published"),  # 6 rose to B on night 3
        ("北京市丁级测试协会", "unknown_name"),  # rated D: the same answer as an unknown name
        ("北京市注销测试协会", "unknown_name"),
        ("北京市不存在协会", "unknown_name"),
        ("", "empty"),
    ]


def test_check_values_service(portal):
    rows = batch_rows()
    with portal.app_context():
        results = batch.check_values([value for value, _ in rows])
    assert [item["result"] for item in results] == [expected for _, expected in rows]
    assert results[0] == {
        "input": uscc_of(1), "kind": "uscc", "result": "published", "uscc": uscc_of(1),
        "name": "北京市阿尔法协会", "grade": "A", "score": "97.50",
    }
    assert results[2] == {"input": uscc_of(7), "kind": "uscc", "result": "not_public", "uscc": uscc_of(7)}
    assert results[10]["uscc"] == uscc_of(3) and results[10]["grade"] == "A"
    for item in results:
        if item["result"] != "published":
            assert "grade" not in item and "score" not in item and "name" not in item


def test_check_values_uses_one_query_per_chunk(portal):
    values = [uscc_of(number) for number in range(1, 1201)] + [f"北京市第{number}号协会" for number in range(600)]
    statements = []
    with portal.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        results = batch.check_values(values)
    assert len(results) == 1800
    assert sum(item["result"] == "published" for item in results) == 5
    # 1,200 codes in chunks of 500, and 600 names (up to three keys each) in chunks of 500 keys.
    assert len([sql for sql in statements if "organisations" in sql]) <= 3 + 4


def test_batch_csv_with_header_returns_the_same_rows(client, portal):
    rows = batch_rows()
    text = "序号,统一社会信用代码\r\n" + "".join(f"{index},{value}\r\n" for index, (value, _) in enumerate(rows, 1))
    response = post_file(client, "名单.csv", text.encode("utf-8"), lang="en")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Input-Encoding"] == "utf-8"
    out = read_csv_rows(response.data)
    assert out[0][:2] == ["序号", "统一社会信用代码"] and out[0][2:] == [
        "Result code", "Result", "Grade", "Score", "Unified social credit code (matched)", "Name (matched)",
        "Data as of (UTC)", "Publication version",
    ]
    assert len(out) == len(rows) + 1
    for (value, expected), row in zip(rows, out[1:]):
        assert row[1] == value and row[2] == expected
    assert out[1][3:7] == ["Published: grade A, score 97.50", "A", "97.50", uscc_of(1)]
    assert out[3][3] == "Not in the public list" and out[3][4:8] == ["", "", "", ""]  # nothing about an unpublished organisation
    # Every row names the data it was checked against.
    assert {tuple(row[8:]) for row in out[1:]} == {("2026-11-04T18:30:00Z", "3")}
    assert response.headers["X-Data-As-Of"] == "2026-11-04T18:30:00Z" and response.headers["X-Publication-Version"] == "3"


def test_batch_csv_without_header_checks_the_first_column(client, portal):
    text = f"{uscc_of(1)},note\n北京市阿尔法协会,x\n{uscc_of(7)}\n"
    response = post_file(client, "list.csv", text.encode("utf-8-sig"))
    out = read_csv_rows(response.data)
    assert len(out) == 3
    assert [row[2] if len(row) > 3 and row[1] == "note" else row[-8] for row in out] == [
        "published", "published", "not_public",
    ]
    assert out[0][:2] == [uscc_of(1), "note"]


def test_batch_accepts_gbk_csv_and_says_so(client, portal):
    text = "名称\r\n北京市阿尔法协会\r\n北京市丁级测试协会\r\n"
    response = post_file(client, "gbk.csv", text.encode("gbk"))
    assert response.status_code == 200
    assert response.headers["X-Input-Encoding"] == "gb18030"
    out = read_csv_rows(response.data)  # returned as UTF-8 with a BOM
    assert out[0][0] == "名称" and out[1][1] == "published" and out[2][1] == "unknown_name"


def test_batch_xlsx_returns_xlsx(client, portal):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "核查"
    sheet.append(["name", "uscc"])
    sheet.append(["随便", uscc_of(2)])
    sheet.append(["北京市海淀区科技协会", None])
    sheet.append([None, None])
    sheet.append([None, BAD_CHECK])
    sheet.append([None, 12345678901234567])  # a code typed as a number
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post_file(client, "check.xlsx", buffer.getvalue())
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    result = load_workbook(io.BytesIO(response.data), read_only=True)
    assert result.sheetnames == ["核查"]
    out = [list(row) for row in result.worksheets[0].iter_rows(values_only=True)]
    assert len(out) == 6
    assert [row[2] for row in out[1:]] == ["published", "published", "empty", "invalid_code", "invalid_code"]
    assert out[1][4:7] == ["B", 88, uscc_of(2)]  # the score is a numeric cell


# Bad and hostile files: tests/opendata/test_batch_bad_input.py.


def test_batch_rejects_5001_rows_csv_and_xlsx(client, portal):
    text = "uscc\n" + "\n".join(uscc_of(number) for number in range(1, 5002)) + "\n"
    response = post_file(client, "big.csv", text.encode(), lang="en")
    assert response.status_code == 400
    assert "The file has more than 5,000 rows. Check at most 5,000 rows at a time: split the file." in (
        response.get_data(as_text=True)
    )
    exactly = "uscc\n" + "\n".join(uscc_of(number) for number in range(1, 5001)) + "\n"
    response = post_file(client, "ok.csv", exactly.encode())
    assert response.status_code == 200 and response.mimetype == "text/csv"
    out = read_csv_rows(response.data)
    with portal.app_context():
        published = set(db.session.scalars(select(Organisation.uscc).where(Organisation.is_published)))
    codes = [uscc_of(number) for number in range(1, 5001)]
    assert published and published < set(codes)
    assert [row[0] for row in out[1:]] == codes  # every row, in order
    assert [row[1] for row in out[1:]] == ["published" if code in published else "not_public" for code in codes]
    workbook = Workbook()
    for number in range(1, 5002):
        workbook.active.append([uscc_of(number)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post_file(client, "big.xlsx", buffer.getvalue(), lang="zh")
    assert response.status_code == 400
    assert "文件超过 5,000 行。每次最多核查 5,000 行，请拆分文件。" in response.get_data(as_text=True)


def test_batch_page_and_missing_file(client, portal):
    page = client.get("/batch?lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in body and '<label for="batch-file">' in body
    response = client.post("/batch?lang=en", data={})
    assert response.status_code == 400 and "Choose a CSV or XLSX file" in response.get_data(as_text=True)


def test_batch_rejects_a_file_too_large(client, portal):
    portal.config["BATCH_MAX_BYTES"] = 1000
    response = post_file(client, "large.csv", b"x" * 2000, lang="en")
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)


def test_batch_is_rate_limited(rate_limited_app):
    client = rate_limited_app(WTF_CSRF_ENABLED=False, BATCH_RATE_LIMIT="2 per minute").test_client()
    for _ in range(2):
        response = post_file(client, "a.csv", f"{uscc_of(1)}\n".encode())
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "2"
        assert read_csv_rows(response.data)[0][:2] == [uscc_of(1), "not_public"]
    response = post_file(client, "a.csv", f"{uscc_of(1)}\n".encode(), lang="en")
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60
    assert "You have made too many requests in a short time. Please wait a moment and try again." in (
        response.get_data(as_text=True)
    )
    # Reading the page is not limited.
    page = client.get("/batch?lang=en")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)


# -- sitemap and robots ---------------------------------------------------------------------------


def sitemap_urls(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return ElementTree.fromstring(response.data)


def test_sitemap_index_and_chunks_list_published_organisations(client, portal):
    index = sitemap_urls(client, "/sitemap.xml")
    assert index.tag == f"{SITEMAP}sitemapindex"
    locations = [element.findtext(f"{SITEMAP}loc") for element in index.findall(f"{SITEMAP}sitemap")]
    # Five published organisations in chunks of two.
    assert locations == [
        "http://localhost/sitemaps/pages.xml",
        "http://localhost/sitemaps/orgs-1.xml",
        "http://localhost/sitemaps/orgs-2.xml",
        "http://localhost/sitemaps/orgs-3.xml",
    ]
    pages = sitemap_urls(client, "/sitemaps/pages.xml")
    page_urls = {element.findtext(f"{SITEMAP}loc") for element in pages}
    assert {"http://localhost/", "http://localhost/orgs", "http://localhost/methodology", "http://localhost/data"} <= page_urls
    listed = []
    for number in (1, 2, 3):
        chunk = sitemap_urls(client, f"/sitemaps/orgs-{number}.xml")
        for url in chunk.findall(f"{SITEMAP}url"):
            listed.append(url.findtext(f"{SITEMAP}loc").rsplit("/", 1)[1])
            assert url.findtext(f"{SITEMAP}lastmod").endswith("Z")
    assert listed == published_codes(portal)
    assert client.get("/sitemaps/orgs-4.xml").status_code == 404
    assert client.get("/sitemaps/orgs-0.xml").status_code == 404
    assert client.get("/sitemaps/secret.xml").status_code == 404
    etag = client.get("/sitemaps/orgs-1.xml").headers["ETag"]
    assert client.get("/sitemaps/orgs-1.xml", headers={"If-None-Match": etag}).status_code == 304


def test_sitemap_lastmod_follows_publication_changes(client, portal):
    chunk = sitemap_urls(client, "/sitemaps/orgs-1.xml")
    lastmods = {
        url.findtext(f"{SITEMAP}loc").rsplit("/", 1)[1]: url.findtext(f"{SITEMAP}lastmod")
        for url in chunk.findall(f"{SITEMAP}url")
    }
    assert lastmods[uscc_of(1)] == "2026-11-02T18:30:00Z"  # unchanged since night 1
    assert lastmods[uscc_of(2)] == "2026-11-04T18:30:00Z"  # back in the list on night 3


def test_sitemap_is_regenerated_after_a_sync(client, portal, scoring, monkeypatch):
    assert uscc_of(1).encode() in client.get("/sitemaps/orgs-1.xml").data
    cached = os.path.join(portal.config["DOWNLOADS_DIR"], "sitemaps")
    assert os.listdir(cached)
    scoring.tick(days=1)
    scoring.score(uscc_of(1), "C", "60.00")
    sync_at(portal, monkeypatch, NIGHTS[3])
    # The export after the sync removes the previous publication's sitemaps.
    assert not os.path.exists(cached)
    body = b"".join(client.get(f"/sitemaps/orgs-{number}.xml").data for number in (1, 2))
    assert uscc_of(1).encode() not in body


def test_robots_txt(client, portal):
    response = client.get("/robots.txt?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "User-agent: *" in body
    for path in ("/staff", "/complaints/", "/search", "/org/*/report.pdf"):
        assert f"Disallow: {path}\n" in body
    assert "Sitemap: http://localhost/sitemap.xml\n" in body


# -- nothing unpublished, anywhere ----------------------------------------------------------------------


def test_no_unpublished_organisation_in_any_output(client, portal, scoring, monkeypatch):
    # One more night: 1 falls to C, 4 is cancelled; 2 and 6 stay, 5 stays out.
    scoring.tick(days=1)
    scoring.score(uscc_of(1), "C", "60.00")
    scoring.update_organisation(uscc_of(4), registration_status="cancelled")
    sync_at(portal, monkeypatch, NIGHTS[3])
    hidden = unpublished_codes(portal)
    shown = published_codes(portal)
    assert set(hidden) == {uscc_of(number) for number in (1, 4, 5, 7, 8)}
    with portal.app_context():
        hidden_names = set(db.session.scalars(select(Organisation.name).where(Organisation.uscc.in_(hidden))))

    csv_rows = read_csv_rows(client.get("/data/organisations.csv").data)[1:]
    assert [row[0] for row in csv_rows] == shown
    jsonl = [json.loads(line) for line in client.get("/data/organisations.jsonl").data.decode().splitlines()]
    assert [item["uscc"] for item in jsonl] == shown

    sitemap_text = b"".join(
        client.get(path).data for path in ("/sitemap.xml", "/sitemaps/pages.xml", "/sitemaps/orgs-1.xml", "/sitemaps/orgs-2.xml")
    ).decode()
    assert client.get("/sitemaps/orgs-3.xml").status_code == 404
    for code in hidden:
        assert code not in sitemap_text
        assert client.get(f"/org/{code}/feed.atom").status_code == 404

    for language in ("zh", "en"):
        entries = entries_of(parse_feed(client.get(f"/feeds/changes.atom?lang={language}")))
        for entry in entries:
            if any(name in entry["title"] for name in hidden_names) and entry["category"] == "exit":
                # The public reason says "C or D", never the grade the organisation left with.
                text = (entry["title"] + entry["summary"]).replace("grade C or D", "")
                assert not any(
                    f"{word} {grade}" in text
                    for word in ("rated", "grade", "等级", "评为")
                    for grade in "ABCD"
                )
            # A link to a report only for organisations that are published now.
            if "/org/" in entry["link"]:
                assert entry["link"].split("?")[0].rsplit("/", 1)[1] in shown

    with portal.app_context():
        results = batch.check_values(hidden + sorted(hidden_names))
    assert {item["result"] for item in results} <= {"not_public", "unknown_name"}
    assert not any("grade" in item or "score" in item for item in results)
    out = read_csv_rows(post_file(client, "hidden.csv", "\n".join(hidden + sorted(hidden_names)).encode()).data)
    assert not any(cell in ("A", "B", "C", "D") for row in out for cell in row[2:])


def test_the_sync_does_not_fail_when_the_export_fails(app, scoring, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app.config["DOWNLOADS_DIR"] = str(blocker)
    scoring.organisation(1, uscc=uscc_of(1))
    result = sync_at(app, monkeypatch, NIGHTS[0])
    assert result.status == "succeeded"
    assert client_of(app).get("/data/organisations.csv").status_code == 503


def client_of(app):
    return app.test_client()


def test_feeds_before_any_sync(client):
    feed = parse_feed(client.get("/feeds/changes.atom"))
    assert feed.findall(f"{ATOM}entry") == []
    assert feed.findtext(f"{ATOM}updated")
    assert client.get("/sitemap.xml").status_code == 200


def test_registered_before(portal):
    # The fixture's dates, so that the CSV test's expectations stay honest.
    with portal.app_context():
        org = db.session.get(Organisation, uscc_of(1))
        assert org.registered_on == date(2010, 1, 1)
