"""Bad files for the batch check (/batch): each gets a 4xx and a clear message in Chinese and English, in under 1 s.

Hostile files come from portal/testing/upload_bombs.py: a dimension of 17 billion
cells, a shared-strings table that unpacks to 100 MB, 1,000 sheets, a cell of
10 MB, a CSV line of 100 MB, a ZIP archive that is no workbook. Each one is
also posted in a fresh process whose peak RSS must not grow by 50 MB: the
memory is measured where it is honest (the peak of a process that did
nothing else, reset just before), not guessed from inside the test runner.
"""

import functools
import html
import io
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.opendata import batch, uploads
from portal.testing import upload_bombs as bombs

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def multipart_file(name, chunks, boundary):
    """Yield a multipart/form-data body with one file field "file", its content given as chunks."""
    yield (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    yield from chunks
    yield f"\r\n--{boundary}--\r\n".encode()


def post_streamed(client, path, name, chunks, length=None):
    """Post a file to ``path`` from chunks: with a Content-Length if ``length`` is given, else chunked."""
    boundary = uuid.uuid4().hex
    envelope = len(b"".join(multipart_file(name, [], boundary)))
    body = bombs.StreamedBody(multipart_file(name, chunks, boundary), None if length is None else length + envelope)
    environ = {"wsgi.input_terminated": True}
    if length is None:
        environ.update({"wsgi.input": io.BufferedReader(body), "HTTP_TRANSFER_ENCODING": "chunked"})
        response = client.post(path, data=b"", content_type=f"multipart/form-data; boundary={boundary}",
                               environ_overrides=environ)
    else:
        response = client.post(path, input_stream=body, content_type=f"multipart/form-data; boundary={boundary}")
    return response, body.sent


def post_file(client, path, name, content):
    return client.post(path, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data"), len(content)


def zipped_csv_like():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("list.csv", "uscc\r\n")
    return buffer.getvalue()


def too_many_strings(declared=True):
    """A shared-strings table of 100,001 different numbers (packs about 5 times: no bomb, just too many).

    ``declared=False`` leaves out the count that the table declares, so that every entry must be counted.
    """
    count = uploads.MAX_SHARED_STRINGS + 1
    items = "".join(f"<si><t>{number}</t></si>" for number in range(count))
    table = f'<sst xmlns="{bombs.MAIN_NS}"' + (f' uniqueCount="{count}"' if declared else "") + f">{items}</sst>"
    return bombs.workbook([bombs.sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')], shared_strings=table)


def wide_csv():
    return ("," * 300 + "\r\n").encode()


def crowded_csv():
    """5,001 rows of 51 filled columns: 255,051 cells, over the 250,000 that are read."""
    line = ",".join(["x"] * 51) + "\r\n"
    return (line * 5001).encode()


def csv_long_line():
    return b"uscc\r\n" + b"A" * MB + b"\r\n"


@dataclass
class Case:
    id: str
    name: str
    content: object  # bytes, or a function that builds them (cached), or "stream:…" for a 100 MB CSV
    status: int
    en: str
    zh: str
    hostile: bool = False


@functools.cache
def content_of(case_id):
    case = CASES_BY_ID[case_id]
    return case.content() if callable(case.content) else case.content


CASES = [
    Case("empty-csv", "empty.csv", b"", 400, "The file is empty", "文件为空"),
    Case("blank-lines", "blank.csv", b"\r\n\r\n", 400, "The file is empty", "文件为空"),
    Case("header-only", "header-only.csv", "统一社会信用代码\r\n".encode(), 400, "The file is empty", "文件为空"),
    Case("nul-in-csv", "nul.csv", b"a\x00b,c\n", 400, "could not be read", "无法读取该文件"),
    Case("unclosed-quote", "quote.csv", b'"abc,d\n', 400, "could not be read", "无法读取该文件"),
    Case("broken-zip", "broken.xlsx", b"PK\x03\x04 not really a zip", 400, "could not be read", "无法读取该文件"),
    Case("old-xls", "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, 400,
         "Old Excel files", "无法读取旧版 Excel 文件"),
    Case("picture", "picture.png", b"\x89PNG\r\n\x1a\n", 400, "Only CSV and XLSX", "只能核查 CSV 和 XLSX 文件"),
    Case("binary-csv", "binary.csv", bytes(range(128, 256)) * 4, 400,
         "neither UTF-8 nor GB18030", "既不是 UTF-8 也不是 GB18030"),
    # Hostile files: refused before they cost memory or time.
    Case("dimension-bomb", "bomb.xlsx", bombs.dimension_bomb, 400,
         "declares a used range of A1:XFD1048576", "声明的使用区域为 A1:XFD1048576", hostile=True),
    Case("row-1048576", "far.xlsx", bombs.row_far_below, 400, "more than 5,000 rows", "文件超过 5,000 行", hostile=True),
    Case("row-of-16384-cells", "wide.xlsx", bombs.wide_row, 400,
         "Row 1 has more than 256 columns", "第 1 行超过 256 列", hostile=True),
    Case("shared-strings-zip-bomb", "strings.xlsx", bombs.shared_strings_bomb, 400,
         "unpacked, it holds far more than a list of 5,000 rows needs", "解压后的内容远超 5,000 行名单所需", hostile=True),
    Case("1000-sheets", "sheets.xlsx", bombs.many_sheets, 400,
         "The workbook has 1,000 sheets; at most 100", "该工作簿有 1,000 个工作表，最多接受 100 个", hostile=True),
    Case("10-mb-cell", "cell.xlsx", bombs.big_cell, 400,
         "unpacked, it holds far more than a list of 5,000 rows needs", "解压后的内容远超 5,000 行名单所需", hostile=True),
    Case("cell-over-32767-characters", "long.xlsx", bombs.long_cell, 400,
         "row 2, column 1 holds more than 32,767 characters", "第 2 行第 1 列的单元格超过 32,767 个字符", hostile=True),
    Case("too-many-shared-strings", "texts.xlsx", too_many_strings, 400,
         "more than 100,000 different texts", "超过 100,000 条不同的文本", hostile=True),
    Case("entity-expansion", "laughs.xlsx", bombs.entity_expansion, 400, "could not be read", "无法读取该文件",
         hostile=True),
    Case("zip-of-a-text-file", "zip.xlsx", bombs.zip_of_something_else, 400,
         "ZIP archive but not an Excel workbook", "该文件是 ZIP 压缩包，而不是 Excel 工作簿", hostile=True),
    Case("zip-of-a-csv-file", "list.xlsx", zipped_csv_like, 400,
         "ZIP archive but not an Excel workbook", "该文件是 ZIP 压缩包，而不是 Excel 工作簿", hostile=True),
    Case("word-document-as-xlsx", "report.xlsx", bombs.document_not_workbook, 400,
         "ZIP archive but not an Excel workbook", "该文件是 ZIP 压缩包，而不是 Excel 工作簿", hostile=True),
    Case("csv-line-of-1-mb", "line.csv", csv_long_line, 400,
         "Line 2 of the CSV file is longer than 256 KB", "CSV 文件第 2 行超过 256 KB", hostile=True),
    Case("csv-of-300-columns", "wide.csv", wide_csv, 400,
         "Row 1 has more than 256 columns", "第 1 行超过 256 列", hostile=True),
    Case("csv-of-255051-cells", "crowded.csv", crowded_csv, 400,
         "more than 250,000 cells", "单元格超过 250,000 个", hostile=True),
    Case("csv-line-of-100-mb-chunked", "huge.csv", "stream:chunked", 413,
         "The file is too large. Upload at most 5 MB.", "文件太大。上传的文件不能超过 5 MB。", hostile=True),
    Case("csv-line-of-100-mb-with-length", "huge.csv", "stream:length", 413,
         "The file is too large. Upload at most 5 MB.", "文件太大。上传的文件不能超过 5 MB。", hostile=True),
]
CASES_BY_ID = {case.id: case for case in CASES}


def send(client, case, lang):
    """Post the case's file; return (response, bytes the client sent)."""
    path = f"/batch?lang={lang}"
    if case.content == "stream:chunked":
        return post_streamed(client, path, case.name, bombs.csv_with_one_long_line())
    if case.content == "stream:length":
        return post_streamed(client, path, case.name, bombs.csv_with_one_long_line(), length=6 + 100 * MB)
    return post_file(client, path, case.name, content_of(case.id))


@pytest.fixture
def production_like_app(app):
    """The test app with the CSRF check on: it reads the form, so the body limit must come before it."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_file_gets_a_clear_message_quickly(app, case, lang):
    if not str(case.content).startswith("stream:"):
        content_of(case.id)  # built before the clock starts
    client = app.test_client()
    assert client.get(f"/batch?lang={lang}").status_code == 200  # templates compiled, database connected
    started = time.perf_counter()
    response, sent = send(client, case, lang)
    elapsed = time.perf_counter() - started
    if elapsed >= 1.0:
        # Two cores shared with other work: a slow run is timed once more, and the better time counts.
        started = time.perf_counter()
        send(client, case, lang)
        elapsed = min(elapsed, time.perf_counter() - started)
    body = response.get_data(as_text=True)
    assert response.status_code == case.status, body[:2000]
    assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in body
    assert getattr(case, lang) in html.unescape(body)
    assert 'role="alert"' in body and "Traceback" not in body
    assert response.headers["Content-Type"].startswith("text/html")
    assert elapsed < 1.0, f"{case.id} took {elapsed:.2f} s"
    if case.content == "stream:chunked":
        # Refused once the body passed the limit, not after reading 100 MB.
        assert sent < app.config["BATCH_MAX_BYTES"] + 2 * MB


def test_a_chunked_body_over_the_limit_is_refused_before_the_csrf_check_reads_it(production_like_app):
    client = production_like_app.test_client()
    response, sent = post_streamed(client, "/batch?lang=en", "huge.csv", bombs.csv_with_one_long_line())
    assert response.status_code == 413
    assert "The file is too large. Upload at most 5 MB." in response.get_data(as_text=True)
    assert sent < production_like_app.config["BATCH_MAX_BYTES"] + 2 * MB


def test_a_100_mb_csv_line_is_never_read_whole():
    """The CSV reader stops a line at its limit, however much more the stream holds."""
    stream = io.BufferedReader(bombs.StreamedBody(bombs.csv_with_one_long_line()))
    with pytest.raises(batch.BatchFileError) as refused:
        uploads.read_csv_rows(stream, max_bytes=200 * MB, max_rows=batch.MAX_ROWS + 1)
    assert refused.value.code == "line_too_long" and refused.value.details["line"] == 2
    assert stream.raw.sent < uploads.MAX_LINE_BYTES + 2 * MB


def test_the_limits_are_only_limits(client, app):
    """A honest workbook at the limits is read: 5,000 codes, with a header, in a sheet of 256 columns."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["uscc"] + [None] * 254 + ["last column"])
    for number in range(1, 5001):
        sheet.append([bombs.CODE])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response, _sent = post_file(client, "/batch?lang=en", "ok.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.headers["X-Rows-Checked"] == "5000"


# -- memory, measured in a fresh process ------------------------------------------------------

MEASURE = """
import io, json, os, sys, time
sys.path.insert(0, {root!r})
from portal import create_app
from portal.extensions import db
from tests.opendata import test_batch_bad_input as cases

folder = {folder!r}
app = create_app({{
    "TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "portal.db"),
    "SCORING_DATABASE_URL": "sqlite:///" + os.path.join(folder, "scoring.db"),
    "INDEX_DIR": os.path.join(folder, "index"), "DOWNLOADS_DIR": os.path.join(folder, "downloads"),
    "PAGE_CACHE_SIZE": 0,
}})
with app.app_context():
    db.create_all()
client = app.test_client()
# Warm up: modules, templates and the database, with honest files, as a worker that has served a while.
cases.post_file(client, "/batch?lang=en", "warm.xlsx", cases.bombs.plain_workbook())
cases.post_file(client, "/batch?lang=en", "warm.csv", b"uscc\\r\\n53110000500000001X\\r\\n")
for case_id in {case_ids!r}:
    if not str(cases.CASES_BY_ID[case_id].content).startswith("stream:"):
        cases.content_of(case_id)
with app.app_context():
    db.engine.dispose()  # no connection crosses a fork


def status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])


for case_id in {case_ids!r}:
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        # A process that has served one honest file since the fork, and nothing else:
        # its peak RSS starts again from its RSS now.
        os.close(read_end)
        cases.post_file(client, "/batch?lang=en", "warm.xlsx", cases.bombs.plain_workbook())
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
            baseline = status_kb("VmRSS")
        except OSError:
            baseline = status_kb("VmHWM")
        started = time.perf_counter()
        response, sent = cases.send(client, cases.CASES_BY_ID[case_id], "en")
        result = {{"status": response.status_code, "seconds": time.perf_counter() - started,
                   "growth_mb": (status_kb("VmHWM") - baseline) / 1024}}
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        measured = pipe.read()
    os.waitpid(child, 0)
    print(case_id, measured or "{{}}", flush=True)
"""
HOSTILE = [case for case in CASES if case.hostile]


@pytest.fixture(scope="module")
def worker_memory(tmp_path_factory):
    """Post each hostile file in a fresh process forked from one warmed-up app; return {case id: measurement}."""
    folder = tmp_path_factory.mktemp("memory")
    script = MEASURE.format(root=str(ROOT), folder=str(folder), case_ids=[case.id for case in HOSTILE])
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = {}
    for line in result.stdout.splitlines():
        case_id, _, data = line.partition(" ")
        if case_id in CASES_BY_ID:
            measured[case_id] = json.loads(data)
    return measured


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.id)
def test_hostile_file_costs_a_worker_less_than_50_mb(worker_memory, case):
    measured = worker_memory.get(case.id)
    assert measured, f"{case.id} was not measured (the child process failed)"
    assert measured["status"] == case.status, measured
    assert measured["growth_mb"] < 50, measured


def test_the_bounded_reader_reads_what_openpyxl_reads():
    """Texts, numbers, dates, booleans and rich text come out as openpyxl gives them (the results file keeps them)."""
    import datetime

    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    sheet.append(["uscc", "日期", "数", "是否", "富文本"])
    sheet.append([bombs.CODE, datetime.datetime(2026, 5, 17), 12.5, True,
                  CellRichText(["北京市", TextBlock(InlineFont(b=True), "阳光协会")])])
    sheet.append([12345678901234567, datetime.date(2020, 1, 2), 3, False, None, "第六列"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows, title = uploads.read_xlsx_rows(io.BytesIO(buffer.getvalue()), batch.MAX_ROWS + 1)
    expected = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True, data_only=True)
    expected_rows = [list(row) for row in expected.worksheets[0].iter_rows(values_only=True)]
    assert title == "名单"
    assert [row + [None] * (6 - len(row)) for row in rows] == expected_rows


def test_phonetic_runs_are_not_part_of_a_shared_string():
    strings = (
        f'<sst xmlns="{bombs.MAIN_NS}"><si><t>uscc</t></si>'
        '<si><r><t>北京</t></r><r><t>协会</t></r><rPh sb="0" eb="2"><t>ペキン</t></rPh></si></sst>'
    )
    sheet = bombs.sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>')
    rows, _title = uploads.read_xlsx_rows(io.BytesIO(bombs.workbook([sheet], shared_strings=strings)), 5001)
    assert rows == [["uscc"], ["北京协会"]]
