"""Read an uploaded table (CSV, or the first sheet of an XLSX workbook) within hard limits.

An upload of a few kilobytes can ask a careless reader for gigabytes: a ZIP
member that unpacks to 1 GB, a shared-strings table of millions of entries, a
``<dimension>`` that declares 17 billion cells (openpyxl's read-only mode pads
rows to it), a row numbered 1,048,576, a cell of 10 MB, a CSV line of 100 MB.
So every limit here is checked before the memory it protects is used: the
ZIP end record before the central directory is read, the central directory
(sizes and compression ratios) before any member is unpacked, the declared
dimension before any row is read, and rows, columns, cells and bytes while a
part streams past. XML is parsed with defusedxml, which refuses any DTD: no
entity expansion, no external entity. Memory and time are bounded by these
limits whatever the file says about itself.

Both readers return plain rows (lists of cell values) and raise
``BatchFileError`` with a ``code`` the pages turn into a message.
"""

import codecs
import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from xml.parsers import expat

from defusedxml.ElementTree import ParseError, fromstring

#: Columns a row may have (CSV fields, XLSX columns A to IV, the old .xls width).
MAX_COLUMNS = 256
#: Characters in one cell: Excel's own limit, so nothing Excel writes is refused.
MAX_CELL_CHARS = 32_767
#: Cells in the whole table (with a value, or in XLSX any cell element): 5,000 rows of 50 columns.
MAX_CELLS = 250_000
#: Bytes of one CSV line: Excel's longest cell, in Chinese, with room for other columns.
MAX_LINE_BYTES = 256 * 1024

#: Members of an XLSX archive: a workbook of 100 sheets has about 320; 1,000 sheets are refused as sheets.
MAX_MEMBERS = 2000
#: Sheets in a workbook (only the first is read).
MAX_SHEETS = 100
#: Unpacked bytes of one member, and of all members together.
MAX_MEMBER_BYTES = 32 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Compression ratio (unpacked / packed) allowed for a member larger than MAX_RATIO_FLOOR bytes.
#: Spreadsheet XML packs 5 to 30 times; the shared-strings bomb of the attack packed 1,000 times.
MAX_RATIO = 100
MAX_RATIO_FLOOR = 1024 * 1024
#: Entries and unpacked bytes of the shared-strings table (the whole workbook's text).
MAX_SHARED_STRINGS = 100_000
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
#: Bytes of the package's small parts: content types, relationships, workbook, styles.
MAX_PART_BYTES = 4 * 1024 * 1024
#: Row elements after the allowed rows: blank rows that hold only formatting.
MAX_BLANK_ROWS_AFTER = 5000
#: Excel's grid.
SHEET_ROWS, SHEET_COLUMNS = 1_048_576, 16_384

_READ_SIZE = 64 * 1024

WORKBOOK_CONTENT_TYPES = frozenset(
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml "
    "application/vnd.ms-excel.template.macroEnabled.main+xml".split()
)
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_COLUMN_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{0,7})")
#: Number formats 14 to 22 and 45 to 47 are dates and times, and so are the Chinese ones (27 to 36, 50 to 58).
_BUILT_IN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_TIMEDELTA_FORMATS = frozenset([46])
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")


class BatchFileError(Exception):
    """A file that cannot be checked; ``code`` says why, ``details`` fills the message."""

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


# -- CSV ----------------------------------------------------------------------------------


def read_csv_rows(stream, max_bytes, max_rows):
    """Return (rows, encoding, delimiter) of a CSV upload read from ``stream``.

    Reads in chunks, so that a line longer than MAX_LINE_BYTES is refused
    after at most MAX_LINE_BYTES + 64 KB, however long it is; at most
    ``max_bytes`` bytes are read. Rows after the ``max_rows``-th are not kept: a blank one
    is skipped, and one with a value refuses the file.
    """
    content = _read_lines(stream, max_bytes)
    text, encoding = _decode_csv(content)
    del content
    if "\x00" in text:
        raise BatchFileError("malformed")
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    rows, counter = [], _TableCounter(max_rows)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for number, row in enumerate(reader, start=1):
            if counter.add(number, row):
                rows.append(row)
    except csv.Error as exc:
        raise BatchFileError("malformed") from exc
    return rows, encoding, delimiter


def _read_lines(stream, max_bytes):
    """Return the bytes of ``stream``, read in chunks, refusing a line longer than MAX_LINE_BYTES as soon as it is."""
    parts, total, line, line_length = [], 0, 1, 0
    while True:
        chunk = stream.read(_READ_SIZE)
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > max_bytes:
            raise BatchFileError("too_large", limit=max_bytes)
        # A chunk is shorter than the limit, so only a line that runs across chunks can be too long.
        first = chunk.find(b"\n")
        if first < 0:
            line_length += len(chunk)
        else:
            if line_length + first > MAX_LINE_BYTES:
                raise BatchFileError("line_too_long", line=line, limit=MAX_LINE_BYTES // 1024)
            line += chunk.count(b"\n")
            line_length = len(chunk) - chunk.rfind(b"\n") - 1
        if line_length > MAX_LINE_BYTES:
            raise BatchFileError("line_too_long", line=line, limit=MAX_LINE_BYTES // 1024)
        parts.append(chunk)


def _decode_csv(content):
    # Excel on Chinese Windows saves "CSV" as GBK: after UTF-8 (with or
    # without a BOM), read it as GB18030, the superset of GBK and GB2312.
    try:
        return codecs.decode(content, "utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return codecs.decode(content, "gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise BatchFileError("encoding") from exc


class _TableCounter:
    """Count rows, columns and cells as they are read; raise as soon as one is over its limit."""

    def __init__(self, max_rows):
        self.max_rows = max_rows
        self.filled = 0
        self.skipped = 0

    def add(self, number, row):
        """Check row ``number`` (1-based) with its values; return whether to keep it."""
        if len(row) > MAX_COLUMNS:
            raise BatchFileError("too_many_columns", row=number, limit=MAX_COLUMNS)
        filled = 0
        for column, value in enumerate(row, start=1):
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise BatchFileError("cell_too_long", row=number, column=column, limit=MAX_CELL_CHARS)
                filled += bool(value.strip())
            else:
                filled += value is not None
        if number > self.max_rows:
            if filled:
                raise BatchFileError("too_many_rows")
            self.skipped += 1
            if self.skipped > MAX_BLANK_ROWS_AFTER:
                raise BatchFileError("too_many_rows")
            return False
        self.filled += filled
        if self.filled > MAX_CELLS:
            raise BatchFileError("too_many_cells", limit=MAX_CELLS)
        return True


# -- XLSX: the package ------------------------------------------------------------------------


def read_xlsx_rows(file, max_rows):
    """Return (rows, sheet title) of the first worksheet of the XLSX workbook in the seekable ``file``."""
    _check_end_record(file)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise BatchFileError("malformed") from exc
    with archive:
        members = _checked_members(archive)
        workbook_path = _workbook_part(archive, members)
        sheets, date1904 = _sheets(archive, members, workbook_path)
        relations = _relationships(archive, members, workbook_path)
        sheet_title, sheet_path = _first_worksheet(sheets, relations, members)
        if sheet_path is None:
            raise BatchFileError("empty")
        strings_path = _related_part(relations, "sharedStrings")
        shared_strings = _shared_strings(archive, members[strings_path]) if strings_path in members else []
        styles_path = _related_part(relations, "styles")
        date_styles = _date_styles(archive, members[styles_path]) if styles_path in members else {}
        sheet = _Sheet(shared_strings, date_styles, date1904, max_rows)
        _parse_part(archive, members[sheet_path], MAX_MEMBER_BYTES, sheet)
        rows = sheet.rows
    return rows, sheet_title


def _check_end_record(file):
    """Refuse an archive whose end record announces too many members, before zipfile reads their entries."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_size = min(size, 22 + 65535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    file.seek(0)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or len(tail) - position < 22:
        raise BatchFileError("malformed")
    entries, directory_size = struct.unpack("<xxxxxxxxxxHI", tail[position : position + 16])
    # 0xFFFF means "see the ZIP64 record": no workbook has that many parts.
    if entries > MAX_MEMBERS or directory_size > MAX_MEMBERS * 1024:
        raise BatchFileError("unpacked_too_large")


def _checked_members(archive):
    """Return {name: ZipInfo}, after checking every member's declared sizes against the limits.

    zipfile never unpacks more than a member's declared size (and checks its
    CRC), so the central directory's sizes bound what unpacking can produce.
    """
    members, total = {}, 0
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BatchFileError("unpacked_too_large")
    for info in infos:
        if info.filename in members or info.flag_bits & 0x1:
            raise BatchFileError("malformed")  # a duplicate name, or an encrypted member
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BatchFileError("malformed")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if (
            info.file_size > MAX_MEMBER_BYTES
            or total > MAX_UNPACKED_BYTES
            or (info.file_size > MAX_RATIO_FLOOR and ratio > MAX_RATIO)
        ):
            raise BatchFileError("unpacked_too_large")
        members[info.filename] = info
    return members


def _open_member(archive, info):
    try:
        return archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, ValueError) as exc:
        raise BatchFileError("malformed") from exc


def _small_part(archive, members, name):
    """Return the parsed XML of a small part, or None if the package has no such part."""
    info = members.get(name)
    if info is None:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise BatchFileError("unpacked_too_large")
    try:
        with _open_member(archive, info) as member:
            return fromstring(member.read(MAX_PART_BYTES + 1), forbid_dtd=True)
    except (ParseError, ValueError, LookupError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise BatchFileError("malformed") from exc


def _local(tag):
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _workbook_part(archive, members):
    """Return the workbook's part name, as [Content_Types].xml declares it; refuse a package with none."""
    types = _small_part(archive, members, "[Content_Types].xml")
    if types is None:
        raise BatchFileError("not_workbook")
    for element in types:
        if _local(element.tag) == "Override" and element.get("ContentType") in WORKBOOK_CONTENT_TYPES:
            name = (element.get("PartName") or "").lstrip("/")
            if name in members:
                return name
    raise BatchFileError("not_workbook")


def _relationships(archive, members, part):
    """Return {id: (type, target part name)} of a part's relationships."""
    folder, name = posixpath.split(part)
    root = _small_part(archive, members, posixpath.join(folder, "_rels", name + ".rels"))
    relations = {}
    for element in root if root is not None else ():
        target = element.get("Target") or ""
        if element.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        relations[element.get("Id")] = (element.get("Type") or "", path)
    return relations


def _related_part(relations, kind):
    for relation_type, path in relations.values():
        if relation_type.rpartition("/")[2] == kind:
            return path
    return None


def _sheets(archive, members, workbook_path):
    """Return (the workbook's <sheet> elements, whether its dates count from 1904); refuse too many sheets."""
    workbook = _small_part(archive, members, workbook_path)
    date1904, sheets = False, []
    for element in workbook:
        tag = _local(element.tag)
        if tag == "workbookPr":
            date1904 = element.get("date1904") in ("1", "true")
        elif tag == "sheets":
            sheets = [sheet for sheet in element if _local(sheet.tag) == "sheet"]
    if len(sheets) > MAX_SHEETS:
        raise BatchFileError("too_many_sheets", count=len(sheets), limit=MAX_SHEETS)
    return sheets, date1904


def _first_worksheet(sheets, relations, members):
    """Return (title, part name) of the first worksheet, or (None, None) if the workbook has none."""
    for sheet in sheets:
        relation_type, path = relations.get(sheet.get(_RELATIONSHIP_ID), ("", None))
        # Chart sheets and dialog sheets have no cells: the first worksheet is the table.
        if relation_type.rpartition("/")[2] == "worksheet" and path in members:
            return (sheet.get("name") or "Sheet1")[:31], path
    return None, None


def _parse_part(archive, info, limit, handler):
    """Stream a part through expat into ``handler`` (its start, end and text methods), refusing any DTD.

    No tree is built: the handler keeps what it needs, so memory is what it
    keeps. Refusing a DOCTYPE (as defusedxml's forbid_dtd does) leaves no way
    to declare an entity, so none can expand. Text is delivered in pieces and
    the handler counts them: a cell of 10 MB is refused after MAX_CELL_CHARS.
    """
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    parser.StartDoctypeDeclHandler = _refuse_declaration
    parser.EntityDeclHandler = _refuse_declaration
    parser.UnparsedEntityDeclHandler = _refuse_declaration
    parser.ExternalEntityRefHandler = _refuse_declaration
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    total = 0
    try:
        with _open_member(archive, info) as member:
            while not handler.done:
                chunk = member.read(_READ_SIZE)
                total += len(chunk)
                if total > limit:
                    raise BatchFileError("unpacked_too_large")
                parser.Parse(chunk, not chunk)
                if not chunk:
                    break
    except (expat.ExpatError, ValueError, LookupError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise BatchFileError("malformed") from exc


def _refuse_declaration(*_arguments):
    raise BatchFileError("malformed")


#: The elements read, by their names as expat gives them (namespace}name), in both of the
#: format's namespaces (transitional and strict): one dictionary look-up per element.
_ELEMENTS = {
    f"{namespace}{local}": local
    for namespace in (
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
        "http://purl.oclc.org/ooxml/spreadsheetml/main}",
        "",
    )
    for local in ("sst", "si", "t", "rPh", "c", "v", "row", "dimension", "sheetData", "numFmt", "cellXfs", "xf")
}


class _PartHandler:
    """Collects text of the elements ``collect`` names, refusing more than MAX_CELL_CHARS of it at once."""

    done = False

    def __init__(self):
        self.pieces = None
        self.length = 0

    def collect(self):
        self.pieces, self.length = [], 0

    def collected(self):
        text, self.pieces = "".join(self.pieces), None
        return text

    def text(self, data):
        if self.pieces is not None:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise self.too_long()
            self.pieces.append(data)

    def too_long(self):
        return BatchFileError("cell_too_long", row=None, column=None, limit=MAX_CELL_CHARS)


class _SharedStrings(_PartHandler):
    """The workbook's shared strings: the text of each <si>, without its phonetic runs (<rPh>)."""

    def __init__(self):
        super().__init__()
        self.strings = []
        self.item = None
        self.item_length = 0
        self.phonetic = 0

    def start(self, name, attributes):
        local = _ELEMENTS.get(name)
        if local == "t":
            if self.item is not None and not self.phonetic:
                self.collect()
        elif local == "si":
            self.item, self.item_length = [], 0
        elif local == "rPh":
            self.phonetic += 1
        elif local == "sst":
            # The declared count may lie (the entries are counted too), but an honest one saves the reading.
            declared = attributes.get("uniqueCount") or ""
            if declared.isdigit() and int(declared) > MAX_SHARED_STRINGS:
                raise BatchFileError("too_many_strings", limit=MAX_SHARED_STRINGS)

    def end(self, name):
        local = _ELEMENTS.get(name)
        if local == "t" and self.pieces is not None:
            self.item_length += self.length
            if self.item_length > MAX_CELL_CHARS:
                raise self.too_long()
            self.item.append(self.collected())
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si" and self.item is not None:
            self.strings.append("".join(self.item))
            self.item = None
            if len(self.strings) > MAX_SHARED_STRINGS:
                raise BatchFileError("too_many_strings", limit=MAX_SHARED_STRINGS)


def _shared_strings(archive, info):
    if info.file_size > MAX_SHARED_STRINGS_BYTES:
        raise BatchFileError("unpacked_too_large")
    handler = _SharedStrings()
    _parse_part(archive, info, MAX_SHARED_STRINGS_BYTES, handler)
    return handler.strings


class _Styles(_PartHandler):
    """The number format of each cell style (``cellXfs``), and the workbook's own formats."""

    def __init__(self):
        super().__init__()
        self.custom = {}
        self.formats = []
        self.in_cell_formats = False

    def start(self, name, attributes):
        local = _ELEMENTS.get(name)
        if local == "numFmt":
            self.custom[attributes.get("numFmtId")] = attributes.get("formatCode") or ""
        elif local == "cellXfs":
            self.in_cell_formats = True
        elif local == "xf" and self.in_cell_formats:
            self.formats.append(attributes.get("numFmtId") or "0")
            if len(self.formats) > 65_536:
                raise BatchFileError("malformed")

    def end(self, name):
        if _ELEMENTS.get(name) == "cellXfs":
            self.in_cell_formats = False


def _date_styles(archive, info):
    """Return {cell style index: True for a duration, False for a date} of the styles part."""
    from openpyxl.styles.numbers import is_date_format, is_timedelta_format

    if info.file_size > MAX_PART_BYTES:
        raise BatchFileError("unpacked_too_large")
    handler = _Styles()
    _parse_part(archive, info, MAX_PART_BYTES, handler)
    styles = {}
    for index, number_format in enumerate(handler.formats):
        if number_format in handler.custom:
            code = handler.custom[number_format]
            if is_date_format(code):
                styles[index] = is_timedelta_format(code)
        elif number_format.isdigit() and int(number_format) in _BUILT_IN_DATE_FORMATS:
            styles[index] = int(number_format) in _TIMEDELTA_FORMATS
    return styles


# -- XLSX: the sheet ---------------------------------------------------------------------------


def _column_number(letters):
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _dimension(reference):
    """Return (last row, last column) of a dimension such as "A1:XFD1048576", or None if unreadable."""
    corners = []
    for part in (reference or "").split(":")[:2]:
        match = _COLUMN_REFERENCE.fullmatch(part.strip())
        if match is None:
            return None
        corners.append((int(match.group(2) or SHEET_ROWS), _column_number(match.group(1))))
    if not corners:
        return None
    return max(row for row, _ in corners), max(column for _, column in corners)


class _Sheet(_PartHandler):
    """A worksheet streamed into rows (lists of values, at their row number), refused at the first limit passed."""

    def __init__(self, shared_strings, date_styles, date1904, max_rows):
        super().__init__()
        self.shared_strings = shared_strings
        self.date_styles = date_styles
        self.date1904 = date1904
        self.max_rows = max_rows
        self.counter = _TableCounter(max_rows)
        self.rows = []
        self.row_number = self.column = self.cells = self.all_cells = self.phonetic = 0
        self.values = {}
        self.cell = None  # the attributes of the open <c>
        self.value_text = None
        self.inline = None

    def start(self, name, attributes):
        local = _ELEMENTS.get(name)
        if local == "c":
            self.cells += 1
            self.all_cells += 1
            if self.all_cells > MAX_CELLS:
                raise BatchFileError("too_many_cells", limit=MAX_CELLS)
            self.column = self._column(attributes.get("r"), self.column)
            if self.cells > MAX_COLUMNS or self.column > MAX_COLUMNS:
                raise BatchFileError("too_many_columns", row=self.row_number, limit=MAX_COLUMNS)
            self.cell, self.value_text, self.inline = attributes, None, []
        elif self.cell is not None:
            if local == "v":
                self.collect()
            elif local == "t" and not self.phonetic:
                self.collect()
            elif local == "rPh":
                self.phonetic += 1
        elif local == "row":
            self.row_number = self._row_number(attributes.get("r"), self.row_number)
            self.column = self.cells = 0
            self.values = {}
        elif local == "dimension":
            self._check_dimension(attributes.get("ref"))

    def end(self, name):
        local = _ELEMENTS.get(name)
        if self.cell is not None:
            if local == "c":
                value = self._value(self.cell, self.value_text, "".join(self.inline))
                if value is not None and value != "":
                    self.values[self.column] = value
                self.cell = None
            elif self.pieces is not None and local in ("v", "t"):
                text = self.collected()
                if local == "v":
                    self.value_text = text
                else:
                    self.inline.append(text)
                    if sum(map(len, self.inline)) > MAX_CELL_CHARS:
                        raise self.too_long()
            elif local == "rPh":
                self.phonetic -= 1
        elif local == "row":
            self._keep(self.row_number, self.values)
        elif local == "sheetData":
            self.done = True  # what follows (merged cells, hyperlinks, formatting) is not needed

    def too_long(self):
        return BatchFileError("cell_too_long", row=self.row_number, column=self.column, limit=MAX_CELL_CHARS)

    def _keep(self, number, values):
        row = [None] * max(values, default=0)
        for column, value in values.items():
            row[column - 1] = value
        if self.counter.add(number, row):
            self.rows.extend([] for _ in range(number - 1 - len(self.rows)))
            self.rows.append(row)

    @staticmethod
    def _row_number(reference, previous):
        if reference is None:
            return previous + 1
        if not reference.isdigit() or not previous < int(reference) <= SHEET_ROWS:
            raise BatchFileError("malformed")  # rows are numbered, in order, within the grid
        return int(reference)

    @staticmethod
    def _column(reference, previous):
        if reference is None:
            return previous + 1
        match = _CELL_REFERENCE.fullmatch(reference)
        if match is None or _column_number(match.group(1)) > SHEET_COLUMNS:
            raise BatchFileError("malformed")
        return _column_number(match.group(1))

    def _check_dimension(self, reference):
        # The declared size drives nothing here, but one larger than the limits is no list of codes:
        # say so at once rather than read a sheet built to make readers allocate 17 billion cells.
        size = _dimension(reference)
        if size is not None and (size[0] > self.max_rows or size[1] > MAX_COLUMNS):
            raise BatchFileError("dimension", range=(reference or "")[:40], rows=self.max_rows, columns=MAX_COLUMNS)

    def _value(self, cell, text, inline):
        """Return a cell's value: text, a number, a boolean, or a date, as openpyxl would."""
        kind = cell.get("t") or "n"
        if kind == "inlineStr":
            return inline
        if text is None:
            return None
        if kind == "s":
            if not text.strip().isdigit() or int(text) >= len(self.shared_strings):
                raise BatchFileError("malformed")
            return self.shared_strings[int(text)]
        if kind in ("str", "e", "d"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        text = text.strip()
        if not text:
            return None
        if not _NUMBER.fullmatch(text):
            raise BatchFileError("malformed")
        number = float(text) if any(mark in text for mark in ".eE") else int(text)
        style = cell.get("s")
        if style and style.isdigit() and int(style) in self.date_styles:
            from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

            try:
                return from_excel(
                    number, MAC_EPOCH if self.date1904 else WINDOWS_EPOCH, timedelta=self.date_styles[int(style)]
                )
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
