"""/batch: a pasted list (one code or name a line), its result in the visitor's order, the templates, and the
data-as-of time and publication version of every result.

Two nights through the real sync: on the first, 1 to 4 enter the public list; on the second, 4 drops to C and
leaves it. 5 (C), 6 (D) and 7 (cancelled) are never published.
"""

import csv
import html
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from portal.opendata import batch
from portal.uscc import valid_uscc
from tests.scoring_builder import make_uscc
from tests.synced_portal import ScoringOrganisation, sync_at, uscc_lookup

ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", grade="A", score="97.50"),
    ScoringOrganisation(2, "北京市贝塔基金会", grade="B", score="88.00"),
    ScoringOrganisation(3, "北京市（朝阳）测试服务中心", grade="B", score="81.00"),
    ScoringOrganisation(4, "北京市离开测试协会", grade="A", score="95.00"),
    ScoringOrganisation(5, "北京市丙级测试协会", grade="C", score="70.00"),
    ScoringOrganisation(6, "北京市丁级测试协会", grade="D", score="40.00"),
    ScoringOrganisation(7, "北京市注销测试协会", grade="A", score="99.00", status="cancelled"),
]
NIGHTS = [datetime(2026, 12, 5, 23, 30), datetime(2026, 12, 6, 23, 30)]  # 07:30 the next day in Beijing
uscc_of = uscc_lookup(ORGS)
UNKNOWN = make_uscc(987654321)
LABELS_EN = [
    "Result code", "Result", "Grade", "Score", "Unified social credit code (matched)", "Name (matched)",
    "Data as of (UTC)", "Publication version",
]


@pytest.fixture
def portal(app, scoring, monkeypatch):
    for organisation in ORGS:
        organisation.write(scoring)
    sync_at(app, monkeypatch, NIGHTS[0])
    scoring.tick(days=1)
    scoring.score(uscc_of(4), "C", "70.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    return app


def paste(client, text, output=None, lang=None):
    data = {"values": text}
    if output is not None:
        data["output"] = output
    return client.post("/batch" + (f"?lang={lang}" if lang else ""), data=data)


#: (line as pasted, expected result); the heading line is skipped.
LINES = [
    ("统一社会信用代码", None),
    (uscc_of(2), "published"),
    (UNKNOWN, "not_public"),  # a valid code no organisation has
    (uscc_of(1), "published"),
    (uscc_of(5), "not_public"),  # rated C
    (uscc_of(1), "published"),  # a duplicate keeps its place
    ("", "empty"),  # a blank line keeps its place too
    (uscc_of(4), "not_public"),  # left the list on the second night
    ("北京市(朝阳)测试服务中心", "published"),
    ("北京市丙级测试协会", "unknown_name"),  # the name of an unpublished organisation
    ("北京市没有这个协会", "unknown_name"),
    (uscc_of(7), "not_public"),  # cancelled
    (uscc_of(1)[:17] + ("0" if uscc_of(1)[17] != "0" else "1"), "invalid_code"),
    (f"\t{uscc_of(3)}\t备注", "published"),  # a row copied from a spreadsheet: its first filled cell
    (UNKNOWN, "not_public"),
]
PASTED = "\r\n".join(line for line, _ in LINES) + "\r\n\r\n\n"


def first_cell(line):
    return next((cell.strip() for cell in line.split("\t") if cell.strip()), "")


def result_rows(body):
    """Return [(line number, result code, row HTML without the input cell)] of the result table."""
    rows = re.findall(r'<tr data-result="([a-z_]+)">\s*<th scope="row" class="number">(\d+)</th>(.*?)</tr>', body, re.S)
    return [
        (int(number), code, re.sub(r'<td data-label="[^"]*"><span class="batch-input">.*?</span></td>', "", cells, flags=re.S))
        for code, number, cells in rows
    ]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_pasted_list_is_answered_line_by_line_in_its_order(client, portal, language):
    response = paste(client, PASTED, lang=language if language == "en" else None)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    rows = result_rows(body)
    expected = [(number, code) for number, (_, code) in enumerate(LINES, start=1) if code is not None]
    assert [(number, code) for number, code, _ in rows] == expected
    inputs = re.findall(r'<span class="batch-input">(.*?)</span>', body)
    assert [html.unescape(value) for value in inputs] == [first_cell(line) or "—" for line, _ in LINES[1:]]
    by_line = {number: cells for number, _, cells in rows}
    # A code not in the list reads the same whatever the reason: unknown, rated C, left the list, cancelled.
    assert by_line[3] == by_line[5] == by_line[8] == by_line[12] == by_line[15]
    # And so does a name: unpublished or unknown.
    assert by_line[10] == by_line[11]
    assert "北京市丙级测试协会" not in by_line[10] and "70.00" not in body and "C</span>" not in body
    # A published match links to its report.
    assert f'href="/org/{uscc_of(2)}' in by_line[2] and "88.00" in by_line[2]
    if language == "en":
        assert "14 lines checked." in body and "Published: 5." in body and "Codes not in the public list: 5." in body
        assert "Checked against the data as of 2026-12-07 07:30 (Beijing time), publication version 2." in body
    else:
        assert "已核查 14 行。" in body and "数据截至2026-12-07 07:30（北京时间），公示版本2" in body
    # The list stays in the box, to be corrected or checked again.
    box = body.split('<textarea id="batch-values"')[1].split("</textarea>")[0]
    assert uscc_of(2) in box and "北京市没有这个协会" in box


@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_a_pasted_list_downloads_as_csv_or_xlsx_with_its_provenance(client, portal, output):
    response = paste(client, PASTED, output=output, lang="en")
    assert response.status_code == 200
    assert f'filename="beijing-social-org-credit-batch-check-2026-12-07.{output}"' in response.headers["Content-Disposition"]
    assert response.headers["X-Data-As-Of"] == "2026-12-06T23:30:00Z"
    assert response.headers["X-Publication-Version"] == "2"
    assert response.headers["Cache-Control"] == "no-store"
    if output == "csv":
        assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    else:
        workbook = load_workbook(io.BytesIO(response.data), read_only=True)
        assert workbook.sheetnames == ["Batch check"]
        rows = [["" if value is None else str(value) for value in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == ["Line", "Code or name", *LABELS_EN]
    expected = [(number, code) for number, (_, code) in enumerate(LINES, start=1) if code is not None]
    assert [(int(row[0]), row[2]) for row in rows[1:]] == expected
    assert all(row[-2:] == ["2026-12-06T23:30:00Z", "2"] for row in rows[1:])
    first = rows[1]
    assert first[1] == uscc_of(2) and first[4:8] == ["B", "88" if output == "xlsx" else "88.00", uscc_of(2), "北京市贝塔基金会"]
    # Nothing about an organisation outside the list: the unknown code's row and the C-rated one's are alike.
    assert rows[2][2:] == rows[4][2:] == rows[7][2:]
    assert rows[2][4:8] == ["", "", "", ""]


def test_the_same_list_gives_the_same_order_in_the_api(client, portal):
    values = [first_cell(line) for line, _ in LINES[1:]]
    body = client.post("/api/v1/batch-check", json={"values": values}).get_json()
    assert [result["row"] for result in body["results"]] == list(range(1, len(values) + 1))
    assert [result["input"] for result in body["results"]] == values
    assert [result["result"] for result in body["results"]] == [code for _, code in LINES[1:]]


LONG = "北" * (batch.MAX_VALUE_CHARS + 1)


@pytest.mark.parametrize(
    "text, status, english, chinese",
    [
        ("", 400, "Paste at least one unified social credit code or organisation name",
         "请粘贴至少一个统一社会信用代码或组织名称"),
        ("\r\n \r\n\t\r\n", 400, "Paste at least one", "请粘贴至少一个"),
        ("uscc\r\n", 400, "Paste at least one", "请粘贴至少一个"),  # a heading alone
        ("\n".join(["x"] * 5001), 400, "The list has more than 5,000 lines.", "列表超过 5,000 行"),
        (f"{uscc_of(1)}\n{uscc_of(2)}\n{LONG}\n", 400, "Line 3 is longer than 500 characters", "第 3 行超过 500 个字符"),
    ],
    ids=["empty", "blank-lines", "heading-only", "5001-lines", "long-line"],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_bad_paste_is_a_clear_4xx_in_the_visitors_language(client, portal, monkeypatch, text, status, english,
                                                              chinese, language):
    # Refused before anything is checked.
    monkeypatch.setattr(batch, "check_values", lambda values: pytest.fail("a bad list was checked"))
    response = paste(client, text, lang="en" if language == "en" else None)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert (english if language == "en" else chinese) in html.unescape(body)
    assert 'role="alert"' in body and 'id="batch-values"' in body
    assert re.search(r'<textarea id="batch-values"[^>]*aria-invalid="true"', body)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_paste_over_the_size_limit_is_a_413_before_it_is_read(client, portal, language):
    portal.config["BATCH_MAX_BYTES"] = 1024 * 1024
    text = (uscc_of(1) + "\n") * 60_000  # 1.1 MB
    response = paste(client, text, lang="en" if language == "en" else None)
    assert response.status_code == 413
    body = html.unescape(response.get_data(as_text=True))
    assert ("The pasted list is too large: at most 1 MB." if language == "en" else "粘贴的列表过大") in body
    assert uscc_of(1) not in body  # not echoed back


def test_the_limit_is_5000_lines_after_a_heading(client, portal):
    text = "name\n" + "\n".join([uscc_of(1), "北京市贝塔基金会"] * 2500)
    response = paste(client, text, output="csv")
    assert response.status_code == 200 and response.headers["X-Rows-Checked"] == "5000"


def test_an_unknown_output_shows_the_page(client, portal):
    response = paste(client, uscc_of(1), output="pdf")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert [code for _, code, _ in result_rows(response.get_data(as_text=True))] == ["published"]


def test_the_batch_page_has_a_paste_box_and_templates(client, portal):
    body = client.get("/batch?lang=en").get_data(as_text=True)
    assert '<label for="batch-values">Codes or names, one on each line</label>' in body
    assert re.search(r'<textarea id="batch-values" name="values"', body)
    assert 'href="/batch/template.csv?lang=en"' in body and 'href="/batch/template.xlsx?lang=en"' in body
    assert '<input type="radio" id="batch-output-page" name="output" value="page" checked>' in body


@pytest.mark.parametrize(
    "language, heading, note",
    [
        ("zh", ["统一社会信用代码", "名称", "备注"], "示例"),
        ("en", ["uscc", "name", "note"], "Example row, not a real organisation"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_templates_have_a_heading_and_a_labelled_example(client, portal, kind, language, heading, note):
    response = client.get(f"/batch/template.{kind}", query_string={"lang": language})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="beijing-social-org-credit-batch-template.{kind}"'
    if kind == "csv":
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    else:
        workbook = load_workbook(io.BytesIO(response.data))
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        # The code column is text, so that Excel keeps every digit of a code typed into it.
        assert sheet.column_dimensions["A"].number_format == "@"
    assert rows[0] == heading
    assert len(rows) == 2
    code, name, label = rows[1]
    assert code == batch.EXAMPLE_USCC and valid_uscc(code) == code and "EXAMPLE" in code
    assert "示例" in name and note in label
    # Sent back as it is, the template is checked: its example code is in no list.
    upload = client.post(
        "/batch?lang=en", data={"file": (io.BytesIO(response.data), f"template.{kind}")}, content_type="multipart/form-data"
    )
    assert upload.status_code == 200
    if kind == "csv":
        checked = list(csv.reader(io.StringIO(upload.data.decode("utf-8-sig"), newline="")))
    else:
        checked = [list(row) for row in load_workbook(io.BytesIO(upload.data), read_only=True).worksheets[0].iter_rows(values_only=True)]
    assert checked[0][:3] == heading and checked[0][3:] == LABELS_EN
    assert checked[1][3] == "not_public"


def test_an_uploaded_file_comes_back_with_the_data_as_of_and_version_on_every_row(client, portal):
    workbook = Workbook()
    workbook.active.append(["uscc"])
    for number in (1, 5, 2):
        workbook.active.append([uscc_of(number)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post("/batch", data={"file": (io.BytesIO(buffer.getvalue()), "list.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.headers["X-Data-As-Of"] == "2026-12-06T23:30:00Z" and response.headers["X-Publication-Version"] == "2"
    rows = [list(row) for row in load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0].iter_rows(values_only=True)]
    assert rows[0][-2:] == ["数据截至（协调世界时）", "公示版本"]
    assert [row[1] for row in rows[1:]] == ["published", "not_public", "published"]
    assert all(row[-2:] == ["2026-12-06T23:30:00Z", 2] for row in rows[1:])  # the version is a number
