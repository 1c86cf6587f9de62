"""Every download says which data it holds: the data-as-of time and the publication version, in the file itself
(a column of every row, a comment row, or fields beside the data), and the same in X-Data-As-Of and
X-Publication-Version; every file named by the portal carries the Beijing date of its data.

One table of every download the public can make, after one sync at 23:30 UTC on 6 December 2026 (07:30 on the
7th in Beijing), the first publication (version 1).
"""

import csv
import io
import json
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from portal.opendata import downloads
from portal.stats.views import TABLES
from tests.synced_portal import ScoringOrganisation, sync_at

DATA_AS_OF = "2026-12-06T23:30:00Z"
VERSION = "1"
BEIJING_DATE = "2026-12-07"
ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", grade="A", score="97.50"),
    ScoringOrganisation(2, "北京市贝塔基金会", org_type="foundation", grade="B", score="88.00"),
    ScoringOrganisation(3, "北京市丙级测试协会", grade="C", score="70.00"),
]


@pytest.fixture
def portal(app, scoring, monkeypatch):
    for organisation in ORGS:
        organisation.write(scoring)
    sync_at(app, monkeypatch, datetime(2026, 12, 6, 23, 30), update_index=True)
    with app.app_context():
        downloads.export_downloads()
    return app


def csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data):
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def last_two_columns(rows):
    return {tuple(row[-2:]) for row in rows[1:]}


def by_column_name(rows):
    header = rows[0]
    return {(row[header.index("data_as_of")], row[header.index("publication_version")]) for row in rows[1:]}


def comment_row(data):
    first = data.decode("utf-8-sig").split("\r\n", 1)[0]
    return {re.search(r"data_as_of=(\S+); publication_version=(\d+);", first).groups()}


def json_fields(data):
    body = json.loads(data)
    return {(body["data_as_of"], str(body["publication_version"]))}


def json_lines(data):
    return {(item["data_as_of"], str(item["publication_version"])) for item in map(json.loads, data.decode().splitlines())}


def upload(kind):
    content = "uscc\r\n" + ORGS[0].uscc + "\r\n" + ORGS[2].uscc + "\r\n"
    if kind == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        for line in content.split():
            workbook.active.append([line])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return {"file": (io.BytesIO(buffer.getvalue()), "list.xlsx")}
    return {"file": (io.BytesIO(content.encode()), "list.csv")}


#: name: (method, path, request options, what the file says, whether the portal names the file by date)
DOWNLOADS = {
    "bulk csv": ("GET", "/data/organisations.csv", {}, lambda data: by_column_name(csv_rows(data)), True),
    "bulk json lines": ("GET", "/data/organisations.jsonl", {}, json_lines, True),
    "bulk manifest": ("GET", "/data/manifest.json", {}, json_fields, False),
    "changes csv": ("GET", "/changes.csv", {}, comment_row, True),
    "changes json": ("GET", "/changes.json", {}, json_fields, True),
    **{
        f"statistics {name}": ("GET", f"/stats/{name}.csv", {}, lambda data: last_two_columns(csv_rows(data)), True)
        for name in TABLES
    },
    "search csv": ("GET", "/search.csv?q=%E5%8D%8F%E4%BC%9A", {}, lambda data: last_two_columns(csv_rows(data)), True),
    "batch file csv": ("POST", "/batch", {"data": lambda: upload("csv"), "content_type": "multipart/form-data"},
                       lambda data: last_two_columns(csv_rows(data)), False),
    "batch file xlsx": ("POST", "/batch", {"data": lambda: upload("xlsx"), "content_type": "multipart/form-data"},
                        lambda data: last_two_columns(xlsx_rows(data)), False),
    "batch paste csv": ("POST", "/batch", {"data": lambda: {"values": ORGS[0].uscc, "output": "csv"}},
                        lambda data: last_two_columns(csv_rows(data)), True),
    "batch paste xlsx": ("POST", "/batch", {"data": lambda: {"values": ORGS[1].name, "output": "xlsx"}},
                         lambda data: last_two_columns(xlsx_rows(data)), True),
    "api batch check": ("POST", "/api/v1/batch-check", {"json": lambda: {"values": [ORGS[0].uscc]}}, json_fields, False),
}


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_every_download_names_its_data_as_of_time_and_publication_version(client, portal, name):
    method, path, options, said_in_file, dated_name = DOWNLOADS[name]
    options = {key: value() if callable(value) else value for key, value in options.items()}
    response = client.open(path, method=method, **options)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert said_in_file(response.data) == {(DATA_AS_OF, VERSION)}
    assert (response.headers["X-Data-As-Of"], response.headers["X-Publication-Version"]) == (DATA_AS_OF, VERSION)
    if dated_name:
        disposition = response.headers["Content-Disposition"]
        assert re.search(rf'filename="?beijing-social-org-credit-[a-z-]+-{BEIJING_DATE}\.[a-z]+"?', disposition), disposition
