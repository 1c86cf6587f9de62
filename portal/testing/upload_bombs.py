"""Hostile uploads, built by the tests and bench/upload_bombs.py (no binary files in the repository).

Each builder returns the bytes of a file small enough to upload (a few KB to
a few hundred KB) that asks a careless reader for far more: a declared
dimension of 17 billion cells, a shared-strings table that unpacks to 100 MB,
a thousand sheets, one cell of 10 MB, a ZIP archive that is no workbook, a
PNG of 49 megapixels in 160 KB. Large parts are written in chunks, so
building them never holds them whole. ``csv_with_one_long_line`` yields its
bytes chunk by chunk for the same reason, and ``StreamedBody`` sends such
chunks as a request body.
"""

import io
import zipfile

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CODE = "53110000500000001X"  # the shape of a code; whether it checks out does not matter here


def content_types(sheet_count, shared_strings=False):
    overrides = [
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    ]
    overrides += [
        f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{WORKSHEET_TYPE}"/>'
        for number in range(1, sheet_count + 1)
    ]
    if shared_strings:
        overrides.append(
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>"
    )


ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Relationships xmlns="{PACKAGE_REL_NS}">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)


def workbook_xml(sheet_count):
    sheets = "".join(
        f'<sheet name="Sheet{number}" sheetId="{number}" r:id="rId{number}"/>' for number in range(1, sheet_count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{sheets}</sheets></workbook>'
    )


def workbook_rels(sheet_count, shared_strings=False):
    relations = [
        f'<Relationship Id="rId{number}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{number}.xml"/>'
        for number in range(1, sheet_count + 1)
    ]
    if shared_strings:
        relations.append(f'<Relationship Id="rIdS" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{PACKAGE_REL_NS}">' + "".join(relations) + "</Relationships>"
    )


def sheet_xml(rows_xml, dimension=None):
    dimension_xml = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{dimension_xml}<sheetData>{rows_xml}</sheetData></worksheet>'
    )


def inline_cell(reference, text):
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def _write(archive, name, content):
    """Write a member from text, bytes, or an iterable of byte chunks (never held whole)."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if isinstance(content, bytes):
        archive.writestr(name, content)
        return
    with archive.open(name, "w", force_zip64=True) as member:
        for chunk in content:
            member.write(chunk)


def workbook(sheets, shared_strings=None):
    """Return the bytes of an XLSX package: ``sheets`` are worksheet XML (text, bytes or chunks)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _write(archive, "[Content_Types].xml", content_types(len(sheets), shared_strings is not None))
        _write(archive, "_rels/.rels", ROOT_RELS)
        _write(archive, "xl/workbook.xml", workbook_xml(len(sheets)))
        _write(archive, "xl/_rels/workbook.xml.rels", workbook_rels(len(sheets), shared_strings is not None))
        for number, sheet in enumerate(sheets, start=1):
            _write(archive, f"xl/worksheets/sheet{number}.xml", sheet)
        if shared_strings is not None:
            _write(archive, "xl/sharedStrings.xml", shared_strings)
    return buffer.getvalue()


def plain_workbook(codes=(CODE,)):
    """A small, honest workbook: a header and one code per row, as inline strings."""
    rows = [f'<row r="1">{inline_cell("A1", "uscc")}</row>']
    rows += [f'<row r="{number}">{inline_cell(f"A{number}", code)}</row>' for number, code in enumerate(codes, start=2)]
    return workbook([sheet_xml("".join(rows), dimension=f"A1:A{len(codes) + 1}")])


def dimension_bomb():
    """A sheet that declares A1:XFD1048576 (17 billion cells), and has a header, a code and its corner cell: 1.6 KB."""
    rows = (
        f'<row r="1">{inline_cell("A1", "uscc")}</row><row r="2">{inline_cell("A2", CODE)}</row>'
        f'<row r="1048576">{inline_cell("XFD1048576", "x")}</row>'
    )
    return workbook([sheet_xml(rows, dimension="A1:XFD1048576")])


def row_far_below():
    """A header, one code, and one more code in the sheet's last row (1,048,576): no dimension to warn."""
    rows = (
        f'<row r="1">{inline_cell("A1", "uscc")}</row><row r="2">{inline_cell("A2", CODE)}</row>'
        f'<row r="1048576">{inline_cell("A1048576", CODE)}</row>'
    )
    return workbook([sheet_xml(rows)])


def wide_row(cells=16384):
    """One row of ``cells`` cells (the widest a sheet can be), each a short number."""
    from openpyxl.utils import get_column_letter

    cells_xml = "".join(f'<c r="{get_column_letter(column)}1"><v>1</v></c>' for column in range(1, cells + 1))
    return workbook([sheet_xml(f'<row r="1">{cells_xml}</row>')])


def shared_strings_bomb(megabytes=100):
    """A shared-strings table that unpacks to ``megabytes`` MB of one repeated string (about 100 KB packed)."""
    item = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    count = megabytes * 1024 * 1024 // len(item)

    def chunks():
        yield (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<sst xmlns="{MAIN_NS}" count="{count}" uniqueCount="{count}">'
        ).encode()
        block = item * 1024
        for _ in range(count // 1024):
            yield block
        yield item * (count % 1024)
        yield b"</sst>"

    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return workbook([sheet_xml(rows)], shared_strings=chunks())


def many_sheets(count=1000):
    """A workbook of ``count`` sheets of one cell each."""
    sheet = sheet_xml(f'<row r="1">{inline_cell("A1", CODE)}</row>')
    return workbook([sheet] * count)


def big_cell(megabytes=10):
    """One inline-string cell of ``megabytes`` MB of text, after a header."""
    text = b"A" * (megabytes * 1024 * 1024)
    head, tail = sheet_xml("@").encode().split(b"@")

    def chunks():
        yield head
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>uscc</t></is></c></row>'
        yield b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
        for start in range(0, len(text), 1 << 20):
            yield text[start : start + (1 << 20)]
        yield b"</t></is></c></row>"
        yield tail

    return workbook([chunks()])


def long_cell(characters=40000):
    """One cell longer than Excel allows (32,767 characters), of text that does not compress much."""
    import random

    generator = random.Random(7)
    text = "".join(generator.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(characters))
    rows = f'<row r="1">{inline_cell("A1", "uscc")}</row><row r="2">{inline_cell("A2", text)}</row>'
    return workbook([sheet_xml(rows)])


def zip_of_something_else():
    """A ZIP archive of a text file, named .xlsx."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def document_not_workbook():
    """A word-processing package (.docx parts), named .xlsx: a valid OOXML package, but no workbook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("_rels/.rels", ROOT_RELS.replace("xl/workbook.xml", "word/document.xml"))
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document '
            'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>',
        )
    return buffer.getvalue()


def entity_expansion():
    """A sheet with a DTD that defines nested entities (the "billion laughs")."""
    dtd = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + level)} "{("&" + chr(97 + level) + ";") * 10}">' for level in range(8))
        + "]>"
    )
    body = sheet_xml(f'<row r="1">{inline_cell("A1", "&i;")}</row>').split("?>", 1)[1]
    return workbook([dtd + body])


def csv_with_one_long_line(megabytes=100, chunk=1 << 20):
    """Yield a CSV of a header and one line of ``megabytes`` MB (no line break), chunk by chunk."""
    yield b"uscc\r\n"
    block = b"A" * chunk
    for _ in range(megabytes * (1 << 20) // chunk):
        yield block


class StreamedBody(io.RawIOBase):
    """A request body made of byte chunks produced on demand, never held whole.

    It reports its total length (for a Content-Length header) when ``length``
    is given, and is sent chunked otherwise.
    """

    def __init__(self, chunks, length=None):
        self.chunks = iter(chunks)
        self.length = length
        self.pending = b""
        self.sent = 0
        self.at_end = False

    def readable(self):
        return True

    def seekable(self):
        return self.length is not None

    def tell(self):
        return self.length if self.at_end else self.sent

    def seek(self, offset, whence=io.SEEK_SET):
        # The test client asks for the length (seek to the end, tell, seek back): answer without reading.
        self.at_end = whence == io.SEEK_END
        return self.tell()

    def readinto(self, buffer):
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        self.sent += size
        return size


def solid_png(width, height):
    """A PNG of one colour, ``width`` × ``height`` pixels (RGB), packed small: 49 megapixels take about 150 KB.

    Written row by row through zlib, so neither the pixels nor the image are ever held whole.
    """
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x2a\x6e\xb5" * width  # filter "none", then the pixels
    packed = [compressor.compress(row) for _ in range(height)]
    packed.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(packed)) + chunk(b"IEND", b"")
