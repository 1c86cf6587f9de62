"""Read the first worksheet of an XLSX upload: from the package's content types to its rows."""

import posixpath
import zipfile

from portal.opendata.uploads.limits import MAX_MEMBER_BYTES, MAX_SHEETS, BatchFileError
from portal.opendata.uploads.xlsx_parts import local_name, parse_part, read_date_styles, read_shared_strings, small_part
from portal.opendata.uploads.xlsx_sheet import SheetHandler
from portal.opendata.uploads.zip_checks import check_end_record, checked_members

WORKBOOK_CONTENT_TYPES = frozenset(
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml "
    "application/vnd.ms-excel.template.macroEnabled.main+xml".split()
)
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def read_xlsx_rows(file, max_rows):
    """Return (rows, sheet title) of the first worksheet of the XLSX workbook in the seekable ``file``."""
    check_end_record(file)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise BatchFileError("malformed") from exc
    with archive:
        members = checked_members(archive)
        workbook_path = _workbook_part(archive, members)
        sheets, date1904 = _sheets(archive, members, workbook_path)
        relations = _relationships(archive, members, workbook_path)
        sheet_title, sheet_path = _first_worksheet(sheets, relations, members)
        if sheet_path is None:
            raise BatchFileError("empty")
        strings_path = _related_part(relations, "sharedStrings")
        shared_strings = read_shared_strings(archive, members[strings_path]) if strings_path in members else []
        styles_path = _related_part(relations, "styles")
        date_styles = read_date_styles(archive, members[styles_path]) if styles_path in members else {}
        sheet = SheetHandler(shared_strings, date_styles, date1904, max_rows)
        parse_part(archive, members[sheet_path], MAX_MEMBER_BYTES, sheet)
        rows = sheet.rows
    return rows, sheet_title


def _workbook_part(archive, members):
    """Return the workbook's part name, as [Content_Types].xml declares it; refuse a package with none."""
    types = small_part(archive, members, "[Content_Types].xml")
    if types is None:
        raise BatchFileError("not_workbook")
    for element in types:
        if local_name(element.tag) == "Override" and element.get("ContentType") in WORKBOOK_CONTENT_TYPES:
            name = (element.get("PartName") or "").lstrip("/")
            if name in members:
                return name
    raise BatchFileError("not_workbook")


def _relationships(archive, members, part):
    """Return {id: (type, target part name)} of a part's relationships."""
    folder, name = posixpath.split(part)
    root = small_part(archive, members, posixpath.join(folder, "_rels", name + ".rels"))
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
    workbook = small_part(archive, members, workbook_path)
    date1904, sheets = False, []
    for element in workbook:
        tag = local_name(element.tag)
        if tag == "workbookPr":
            date1904 = element.get("date1904") in ("1", "true")
        elif tag == "sheets":
            sheets = [sheet for sheet in element if local_name(sheet.tag) == "sheet"]
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
