"""Formula injection (issue 14, finding 4): no CSV or XLSX the portal writes runs a formula.

Hostile names go in through the scoring database and the real sync, and as
batch-check input; every spreadsheet output is read back: the bulk CSV (and
the JSON Lines, which keeps values exactly), the statistics CSVs, and the
batch result as CSV and as XLSX. Scores stay numbers, negative ones too.
"""

import csv
import io
import json
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from portal import spreadsheets
from tests.scoring_builder import make_uscc
from tests.synced_portal import sync_at

HYPERLINK = '=HYPERLINK("http://x","点我")'
COMMAND = "-2+3+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+北京市民政局"
NIGHT = datetime(2026, 11, 2, 18, 30)
#: A rule set whose B band is negative, so that a published score is negative.
NEGATIVE_RULES = "negative-1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1+1", "'+1+1"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("=", "'="),
        # Plain decimal numbers are not formulas: they stay numbers.
        ("-5.00", "-5.00"),
        ("+3.25", "+3.25"),
        ("-1e3", "-1e3"),
        ("97.50", "97.50"),
        # Anything else is left alone.
        ("北京市阿尔法协会", "北京市阿尔法协会"),
        (" =1+1", " =1+1"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (Decimal("-5.00"), Decimal("-5.00")),
        (-3, -3),
        (-2.5, -2.5),
    ],
)
def test_csv_cell(value, expected):
    assert spreadsheets.csv_cell(value) == expected


def test_xlsx_cells_are_never_formulas():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    values = [HYPERLINK, "=1+1", "#N/A", "plain", "控制\x01字符", None, Decimal("-5.00"), -3, 2.5]
    sheet.append(spreadsheets.xlsx_row(sheet, values, {6: "0.00"}))
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert b"<f>" not in zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml")
    cells = list(load_workbook(buffer).active.iter_rows())[0]
    assert [cell.data_type for cell in cells] == ["s", "s", "s", "s", "s", "n", "n", "n", "n"]
    assert [cell.value for cell in cells] == [HYPERLINK, "=1+1", "#N/A", "plain", "控制字符", None, -5, -3, 2.5]
    assert [bool(cell.quotePrefix) for cell in cells[:4]] == [True, True, False, False]
    assert cells[6].number_format == "0.00"


# -- through the sync, on every output -------------------------------------------------------------


@pytest.fixture
def hostile(app, scoring, monkeypatch):
    """Published organisations with hostile names, authority and district; one with a negative score."""
    scoring.rule_set(
        NEGATIVE_RULES,
        bands={"A": ("0.00", "200.00"), "B": ("-100.00", "-0.01"), "C": ("-200.00", "-100.01"), "D": ("-999.00", "-200.01")},
    )
    scoring.organisation(1, name=HYPERLINK, grade="A", score="97.50")
    scoring.organisation(2, name=COMMAND, grade="B", score="88.00", registration_authority=PLUS)
    scoring.organisation(3, name=AT_SUM, grade="A", score="99.00", district_code="=1+1")
    scoring.organisation(4, name="北京市负分测试协会", grade=None)
    scoring.score(make_uscc(4), "B", "-5.00", insert=True, rule_set_version=NEGATIVE_RULES)
    sync_at(app, monkeypatch, NIGHT)
    return app


def read_csv(raw):
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def test_bulk_download_csv_neutralises_and_jsonl_keeps_values(client, hostile):
    rows = read_csv(client.get("/data/organisations.csv").data)
    records = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert records[make_uscc(1)]["name"] == "'" + HYPERLINK
    assert records[make_uscc(2)]["name"] == "'" + COMMAND
    assert records[make_uscc(2)]["registration_authority"] == "'" + PLUS
    assert records[make_uscc(3)]["name"] == "'" + AT_SUM
    assert records[make_uscc(3)]["district_code"] == "'=1+1"
    assert records[make_uscc(4)]["score"] == "-5.00"  # a number, not quoted
    assert records[make_uscc(1)]["score"] == "97.50"
    for row in rows[1:]:
        for cell in row:
            assert not spreadsheets.is_formula_like(cell), (row, cell)
    # JSON Lines is not a spreadsheet: exact values.
    lines = [json.loads(line) for line in client.get("/data/organisations.jsonl").data.decode().splitlines()]
    by_code = {line["uscc"]: line for line in lines}
    assert by_code[make_uscc(1)]["name"] == HYPERLINK
    assert by_code[make_uscc(3)]["district_code"] == "=1+1"
    assert by_code[make_uscc(4)]["score"] == -5.0


def test_statistics_csvs_neutralise_text_and_keep_numbers(client, hostile):
    for language in ("zh", "en"):
        districts = read_csv(client.get(f"/stats/districts.csv?lang={language}").data)
        codes = [row[0] for row in districts[1:]]
        assert "'=1+1" in codes and "=1+1" not in codes
        labels = [row[1] for row in districts[1:]]
        assert "'=1+1" in labels
        scores = read_csv(client.get(f"/stats/scores.csv?lang={language}").data)
        lowest = scores[1]
        assert Decimal(lowest[0]) < 0 and not lowest[0].startswith("'")
        for table in ("grades", "types", "districts", "evaluation-levels", "scores", "changes-by-month"):
            for row in read_csv(client.get(f"/stats/{table}.csv?lang={language}").data):
                for cell in row:
                    assert not spreadsheets.is_formula_like(cell), (table, row)


def post_file(client, name, content):
    return client.post("/batch", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


BATCH_INPUT = [HYPERLINK, "=1+2", "@cmd", COMMAND, "北京市负分测试协会", "-5"]


def test_batch_result_csv_neutralises_input_and_matches(client, hostile):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["名称", "备注"])
    for value in BATCH_INPUT:
        writer.writerow([value, "=1+1"])
    response = post_file(client, "hostile.csv", buffer.getvalue().encode("utf-8"))
    assert response.status_code == 200
    rows = read_csv(response.data)
    for row in rows:
        for cell in row:
            assert not spreadsheets.is_formula_like(cell), row
    data = rows[1:]
    assert [row[0] for row in data] == ["'" + HYPERLINK, "'=1+2", "'@cmd", "'" + COMMAND, "北京市负分测试协会", "-5"]
    assert {row[1] for row in data} == {"'=1+1"}
    assert data[0][2] == "published" and data[0][7] == "'" + HYPERLINK  # the matched name, neutralised
    assert data[4][2] == "published" and data[4][4:6] == ["B", "-5.00"]  # a negative score stays a number
    assert data[1][2] == "unknown_name"


def test_batch_result_xlsx_has_no_formula_and_numeric_scores(client, hostile):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["名称", "备注"])
    for value in BATCH_INPUT:
        cell_row = [value, "note"]
        sheet.append(cell_row)
    for row in sheet.iter_rows(min_row=2):
        row[0].data_type = "s"  # the values as typed text, not formulas of the upload
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post_file(client, "hostile.xlsx", buffer.getvalue())
    assert response.status_code == 200
    for member in zipfile.ZipFile(io.BytesIO(response.data)).namelist():
        if member.startswith("xl/worksheets/"):
            assert b"<f>" not in zipfile.ZipFile(io.BytesIO(response.data)).read(member)
    result = load_workbook(io.BytesIO(response.data)).active
    rows = list(result.iter_rows())
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str) and spreadsheets.is_formula_like(cell.value):
                assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.value)
    data = rows[1:]
    assert [row[0].value for row in data] == BATCH_INPUT  # exact text, shown as text
    assert data[0][2].value == "published" and data[0][7].value == HYPERLINK and data[0][7].quotePrefix
    negative = data[4]
    assert negative[2].value == "published" and negative[4].value == "B"
    assert negative[5].data_type == "n" and negative[5].value == -5 and negative[5].number_format == "0.00"
    assert data[0][5].data_type == "n" and data[0][5].value == 97.5
