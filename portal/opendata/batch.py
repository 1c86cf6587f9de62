"""The batch check: many codes or names at once, against the public list only.

``check_values`` is the service (the /batch page and the JSON API call it);
``read_upload`` and ``write_result`` turn CSV and XLSX files into values and
back (``portal.opendata.uploads`` reads them within hard limits);
``read_pasted`` does the same for a list pasted into the page, one value a
line, and ``template_file`` writes the CSV and XLSX templates. A code that is valid but not published gets ``not_public`` whatever the
reason (C or D, cancelled, never registered): the answer must not tell them
apart. Names are matched against published organisations only, so an
unpublished organisation's name gets the same ``unknown_name`` as a name that
does not exist.
"""

import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from portal import spreadsheets
from portal.chinese import name_pinyin
from portal.extensions import db
from portal.opendata import uploads
from portal.opendata.uploads import BatchFileError
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.uscc import check_uscc, valid_uscc

MAX_ROWS = 5000
#: Characters of one value: no code or name is this long (the pasted lines, the API's values).
MAX_VALUE_CHARS = 500
#: Values per query: one query per chunk, never one per row.
CHUNK_SIZE = 500

RESULT_PUBLISHED = "published"
RESULT_NOT_PUBLIC = "not_public"
RESULT_INVALID_CODE = "invalid_code"
RESULT_UNKNOWN_NAME = "unknown_name"
RESULT_AMBIGUOUS_NAME = "ambiguous_name"
RESULT_EMPTY = "empty"
RESULTS = (
    RESULT_PUBLISHED,
    RESULT_NOT_PUBLIC,
    RESULT_INVALID_CODE,
    RESULT_UNKNOWN_NAME,
    RESULT_AMBIGUOUS_NAME,
    RESULT_EMPTY,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Header cells that name the column to check (compared after normalising).
CODE_HEADERS = {"uscc", "统一社会信用代码", "社会信用代码", "信用代码", "code"}
NAME_HEADERS = {"name", "名称", "组织名称", "社会组织名称", "单位名称"}

_SPACES = re.compile(r"\s+")
_LONG_LINE = re.compile(r"[^\n]{%d}" % (MAX_VALUE_CHARS + 1))
_CODE_LIKE = re.compile(r"[0-9A-Za-z\-\s]+")
# Full-width forms of the ASCII characters names use, for matching stored names.
_TO_FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}
_PARENTHESES_TO_FULL_WIDTH = {ord("("): "（", ord(")"): "）"}


def normalise_name(text):
    """Fold full-width forms to half-width, drop every space, ignore case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text or "")).casefold()


def _is_code_like(text):
    """Whether a value is meant as a code: ASCII letters and digits (with spaces or hyphens), many digits."""
    folded = unicodedata.normalize("NFKC", text)
    return bool(_CODE_LIKE.fullmatch(folded)) and sum(character.isdigit() for character in folded) >= 6


def _name_keys(text):
    """Return the ``name_pinyin`` values a stored name equal to ``text`` (normalised) may have."""
    half = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    variants = {half, half.translate(_PARENTHESES_TO_FULL_WIDTH), half.translate(_TO_FULL_WIDTH)}
    return {name_pinyin(variant) for variant in variants}


def _published(rows):
    return {
        "uscc": rows.uscc,
        "name": rows.name,
        "grade": rows.grade,
        "score": f"{rows.score:.2f}",
    }


def check_values(values):
    """Check codes or names against the public list; return one dict per value, in order.

    Each dict has ``input`` (the value as given), ``kind`` (``"uscc"``,
    ``"name"`` or ``"empty"``) and ``result`` (one of RESULTS). A published
    match adds ``uscc``, ``name``, ``grade`` and ``score`` (a string with two
    decimals); ``not_public`` and ``invalid_code`` add the normalised ``uscc``;
    ``ambiguous_name`` adds ``matches``, a list of such published matches.
    """
    results = []
    codes, names = {}, {}
    for value in values:
        text = "" if value is None else _printable(str(value)).strip()
        if not text:
            results.append({"input": value, "kind": "empty", "result": RESULT_EMPTY})
        elif _is_code_like(text):
            code = valid_uscc(text)
            if code is not None:
                item = {"input": value, "kind": "uscc", "uscc": code}
                codes.setdefault(code, []).append(item)
            else:
                item = {"input": value, "kind": "uscc", "uscc": check_uscc(text).code, "result": RESULT_INVALID_CODE}
            results.append(item)
        else:
            item = {"input": value, "kind": "name"}
            names.setdefault(normalise_name(text), []).append(item)
            results.append(item)
    _check_codes(codes)
    _check_names(names)
    return results


def _printable(text):
    """Drop control, surrogate and private-use characters: no name or code has them, and a NUL
    cannot even be sent to PostgreSQL in a query."""
    return "".join(character for character in text if unicodedata.category(character) not in ("Cc", "Cs", "Co"))


def _chunks(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _columns():
    return select(Organisation.uscc, Organisation.name, Organisation.grade, Organisation.score)


def _check_codes(codes):
    found = {}
    for chunk in _chunks(codes, CHUNK_SIZE):
        # By primary key only: with "is_published AND uscc IN (500 codes)"
        # SQLite's planner scans the published index instead (80× slower).
        # Rows that are not published are dropped here, before anything reads them.
        rows = db.session.execute(_columns().add_columns(Organisation.is_published).where(Organisation.uscc.in_(chunk)))
        for row in rows:
            if row.is_published:
                found[row.uscc] = _published(row)
    for code, items in codes.items():
        for item in items:
            if code in found:
                item.update(found[code], result=RESULT_PUBLISHED)
            else:
                item.update(result=RESULT_NOT_PUBLIC)


def _check_names(names):
    # Stored names are found through the indexed pinyin column, then compared
    # exactly after normalising: the database has no normalised name column.
    keys = {}
    for normalised, items in names.items():
        for key in _name_keys(_printable(str(items[0]["input"]))):
            keys.setdefault(key, set()).add(normalised)
    matches = {normalised: {} for normalised in names}
    for chunk in _chunks(keys, CHUNK_SIZE):
        rows = db.session.execute(
            _columns()
            .where(PUBLISHED, Organisation.name_pinyin.in_(chunk))
            .order_by(Organisation.uscc)
        )
        for row in rows:
            normalised = normalise_name(row.name)
            if normalised in matches:
                matches[normalised][row.uscc] = _published(row)
    for normalised, items in names.items():
        found = list(matches[normalised].values())
        for item in items:
            if len(found) == 1:
                item.update(found[0], result=RESULT_PUBLISHED)
            elif found:
                item.update(result=RESULT_AMBIGUOUS_NAME, matches=found)
            else:
                item.update(result=RESULT_UNKNOWN_NAME)


# -- files -----------------------------------------------------------------------


@dataclass
class BatchFile:
    """An uploaded table: its rows (lists of cell values), and where the values to check are."""

    kind: str  # "csv" or "xlsx"
    rows: list
    has_header: bool
    code_column: int | None
    name_column: int | None
    encoding: str | None = None  # CSV only: "utf-8" or "gb18030"
    sheet_title: str | None = None
    delimiter: str = ","
    notes: list = field(default_factory=list)

    @property
    def data_rows(self):
        return self.rows[1:] if self.has_header else self.rows

    def values(self):
        """Return the value to check of each data row: the code column, else the name column, else the first."""
        values = []
        for row in self.data_rows:
            value = None
            for column in (self.code_column, self.name_column):
                if column is not None and column < len(row) and _cell_text(row[column]):
                    value = _cell_text(row[column])
                    break
            if value is None and self.code_column is None and self.name_column is None and row:
                value = _cell_text(row[0])
            values.append(value or "")
        return values


def _cell_text(value):
    """Return a cell's value as text; whole numbers without a decimal point (codes typed as numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_columns(first_row):
    code_column = name_column = None
    for index, cell in enumerate(first_row):
        header = normalise_name(_cell_text(cell))
        if header in CODE_HEADERS and code_column is None:
            code_column = index
        elif header in NAME_HEADERS and name_column is None:
            name_column = index
    return code_column, name_column


def _table(kind, rows, **extra):
    while rows and not any(_cell_text(cell) for cell in rows[-1]):
        rows.pop()  # trailing blank lines are not rows
    if not rows:
        raise BatchFileError("empty")
    code_column, name_column = _find_columns(rows[0])
    table = BatchFile(kind, rows, code_column is not None or name_column is not None, code_column, name_column, **extra)
    if not table.data_rows:
        raise BatchFileError("empty")
    if len(table.data_rows) > MAX_ROWS:
        raise BatchFileError("too_many_rows", limit=MAX_ROWS)
    return table


def read_upload(filename, stream, max_bytes):
    """Return the BatchFile of an uploaded file; raise BatchFileError if it cannot be checked.

    ``stream`` is the seekable upload (a spooled temporary file). Nothing is
    read whole: see ``portal.opendata.uploads`` for the limits on the way.
    """
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > max_bytes:
        raise BatchFileError("too_large", limit=max_bytes)
    if not size:
        raise BatchFileError("empty")
    head = stream.read(8)
    stream.seek(0)
    extension = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if head[:4] == b"PK\x03\x04" or extension == "xlsx":
        rows, title = uploads.read_xlsx_rows(stream, MAX_ROWS + 1)
        return _table("xlsx", rows, sheet_title=title)
    if head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or extension == "xls":
        raise BatchFileError("xls")
    if extension not in ("csv", "txt", ""):
        raise BatchFileError("file_type", extension=extension)
    rows, encoding, delimiter = uploads.read_csv_rows(stream, max_bytes, MAX_ROWS + 1)
    return _table("csv", rows, encoding=encoding, delimiter=delimiter)


def read_pasted(text, max_bytes):
    """Return the lines of a pasted list as (line number, value) pairs; raise BatchFileError if it cannot be checked.

    The text is bounded before it is split: its size in bytes, its number of
    lines, the length of its longest line. One value a line; a line pasted
    from a spreadsheet (cells separated by tabs) gives its first filled cell.
    A first line that names a column (uscc, 统一社会信用代码, name, 名称 ...) is
    a heading and is skipped. Blank lines keep their place, as empty rows, so
    that the result's line numbers are the visitor's; trailing ones are dropped.
    """
    text = text or ""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise BatchFileError("too_large", limit=max_bytes)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    if not text:
        raise BatchFileError("empty")
    if text.count("\n") + 1 > MAX_ROWS + 1:  # one more: the first line may be a heading
        raise BatchFileError("too_many_rows", limit=MAX_ROWS)
    long_line = _LONG_LINE.search(text)
    if long_line:
        raise BatchFileError("value_too_long", line=text.count("\n", 0, long_line.start()) + 1, limit=MAX_VALUE_CHARS)
    lines = [(number, _first_cell(line)) for number, line in enumerate(text.split("\n"), start=1)]
    if normalise_name(lines[0][1]) in CODE_HEADERS | NAME_HEADERS:
        lines = lines[1:]
    if not any(value for _number, value in lines):
        raise BatchFileError("empty")
    if len(lines) > MAX_ROWS:
        raise BatchFileError("too_many_rows", limit=MAX_ROWS)
    return lines


def _first_cell(line):
    for cell in line.split("\t"):
        if cell.strip():
            return cell.strip()
    return ""


def pasted_table(kind, lines, header_labels, sheet_title):
    """Return the BatchFile that ``write_result`` turns into a file: a heading, then (line number, value) rows."""
    return BatchFile(kind, [list(header_labels), *map(list, lines)], True, None, None, sheet_title=sheet_title)


def write_result(table, results, header_labels, result_text, stamp=()):
    """Return (bytes, media type, extension): the uploaded rows with the result columns added.

    ``header_labels`` are the names of the added columns (used only if the
    file had a header row); ``result_text(item)`` describes a result in the
    visitor's language; ``stamp`` holds values added to every row after the
    results (the data-as-of time and the publication version checked against).
    """
    added = []
    for item in results:
        matches = item.get("matches") or []
        added.append(
            [
                item["result"],
                result_text(item),
                item.get("grade") or "",
                # A number in both files (a numeric cell in XLSX), not text.
                Decimal(item["score"]) if item.get("score") else "",
                # The matched published organisation only: never echo a code that is not in the list.
                (item.get("uscc") if item["result"] == RESULT_PUBLISHED else "")
                or "; ".join(match["uscc"] for match in matches),
                item.get("name") or "",
                *stamp,
            ]
        )
    width = max((len(row) for row in table.rows), default=0)
    out_rows = []
    if table.has_header:
        out_rows.append(_padded(table.rows[0], width) + list(header_labels))
    for row, extra in zip(table.data_rows, added):
        out_rows.append(_padded(row, width) + extra)
    if table.kind == "xlsx":
        return _xlsx_bytes(out_rows, table.sheet_title, {width + 3: "0.00"}), XLSX_TYPE, "xlsx"
    buffer = io.StringIO()
    # Every cell, the uploaded ones too, is neutralised: no formula reaches the visitor's spreadsheet.
    writer = spreadsheets.csv_writer(buffer, delimiter=table.delimiter, lineterminator="\r\n")
    writer.writerows(out_rows)
    # Always UTF-8 with a BOM: Excel opens it correctly, whatever the upload's encoding.
    return buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8", "csv"


#: The code of the templates' example row: its check character is valid, and it spells EXAMPLE.
EXAMPLE_USCC = "51110000EXAMPLE00K"


def template_file(kind, rows, sheet_title):
    """Return (bytes, media type) of the batch template: ``rows`` (a heading and an example) as CSV or XLSX.

    The CSV is UTF-8 with a byte order mark; in the XLSX the first column
    (the codes) is formatted as text, so that Excel keeps every digit of the
    codes typed under it.
    """
    if kind == "xlsx":
        widths = [max(len(str(row[column])) for row in rows if column < len(row)) for column in range(len(rows[0]))]
        return _xlsx_bytes(rows, sheet_title, {}, text_columns=(0,), widths=widths), XLSX_TYPE
    buffer = io.StringIO()
    spreadsheets.csv_writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"


def _padded(row, width):
    return list(row) + [None] * (width - len(row))


def _xlsx_bytes(rows, title, number_formats, text_columns=(), widths=()):
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title or "Sheet1")
    for index in text_columns:
        sheet.column_dimensions[get_column_letter(index + 1)].number_format = "@"
    for index, width in enumerate(widths):
        # Chinese characters are about two Latin ones wide.
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(2 * width + 2, 80)
    for row in rows:
        # Text is always a string cell (never a formula), numbers numeric cells.
        sheet.append(spreadsheets.xlsx_row(sheet, row, number_formats))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
