"""The parts of an XLSX package: small parts parsed whole, large ones streamed through expat, never a DTD."""

import zipfile
import zlib
from xml.parsers import expat

from defusedxml.ElementTree import ParseError, fromstring

from portal.opendata.uploads.limits import (
    MAX_CELL_CHARS,
    MAX_PART_BYTES,
    MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES,
    READ_SIZE,
    BatchFileError,
)
from portal.opendata.uploads.zip_checks import open_member

#: Number formats 14 to 22 and 45 to 47 are dates and times, and so are the Chinese ones (27 to 36, 50 to 58).
_BUILT_IN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_TIMEDELTA_FORMATS = frozenset([46])


def small_part(archive, members, name):
    """Return the parsed XML of a small part, or None if the package has no such part."""
    info = members.get(name)
    if info is None:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise BatchFileError("unpacked_too_large")
    try:
        with open_member(archive, info) as member:
            return fromstring(member.read(MAX_PART_BYTES + 1), forbid_dtd=True)
    except (ParseError, ValueError, LookupError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise BatchFileError("malformed") from exc


def local_name(tag):
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parse_part(archive, info, limit, handler):
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
        with open_member(archive, info) as member:
            while not handler.done:
                chunk = member.read(READ_SIZE)
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
ELEMENTS = {
    f"{namespace}{local}": local
    for namespace in (
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
        "http://purl.oclc.org/ooxml/spreadsheetml/main}",
        "",
    )
    for local in ("sst", "si", "t", "rPh", "c", "v", "row", "dimension", "sheetData", "numFmt", "cellXfs", "xf")
}


class PartHandler:
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


class _SharedStrings(PartHandler):
    """The workbook's shared strings: the text of each <si>, without its phonetic runs (<rPh>)."""

    def __init__(self):
        super().__init__()
        self.strings = []
        self.item = None
        self.item_length = 0
        self.phonetic = 0

    def start(self, name, attributes):
        local = ELEMENTS.get(name)
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
        local = ELEMENTS.get(name)
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


def read_shared_strings(archive, info):
    if info.file_size > MAX_SHARED_STRINGS_BYTES:
        raise BatchFileError("unpacked_too_large")
    handler = _SharedStrings()
    parse_part(archive, info, MAX_SHARED_STRINGS_BYTES, handler)
    return handler.strings


class _Styles(PartHandler):
    """The number format of each cell style (``cellXfs``), and the workbook's own formats."""

    def __init__(self):
        super().__init__()
        self.custom = {}
        self.formats = []
        self.in_cell_formats = False

    def start(self, name, attributes):
        local = ELEMENTS.get(name)
        if local == "numFmt":
            self.custom[attributes.get("numFmtId")] = attributes.get("formatCode") or ""
        elif local == "cellXfs":
            self.in_cell_formats = True
        elif local == "xf" and self.in_cell_formats:
            self.formats.append(attributes.get("numFmtId") or "0")
            if len(self.formats) > 65_536:
                raise BatchFileError("malformed")

    def end(self, name):
        if ELEMENTS.get(name) == "cellXfs":
            self.in_cell_formats = False


def read_date_styles(archive, info):
    """Return {cell style index: True for a duration, False for a date} of the styles part."""
    from openpyxl.styles.numbers import is_date_format, is_timedelta_format

    if info.file_size > MAX_PART_BYTES:
        raise BatchFileError("unpacked_too_large")
    handler = _Styles()
    parse_part(archive, info, MAX_PART_BYTES, handler)
    styles = {}
    for index, number_format in enumerate(handler.formats):
        if number_format in handler.custom:
            code = handler.custom[number_format]
            if is_date_format(code):
                styles[index] = is_timedelta_format(code)
        elif number_format.isdigit() and int(number_format) in _BUILT_IN_DATE_FORMATS:
            styles[index] = int(number_format) in _TIMEDELTA_FORMATS
    return styles
