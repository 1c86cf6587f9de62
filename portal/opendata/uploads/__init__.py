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

- limits.py: every limit, the error, and the counter of rows, columns and cells;
- csv_file.py: the CSV reader;
- zip_checks.py: the ZIP end record and central directory, checked before anything is unpacked;
- xlsx_parts.py: the streaming XML parser and the small parts (shared strings, styles);
- xlsx_sheet.py: the worksheet streamed into rows;
- xlsx_file.py: the XLSX reader, from the package's content types to its first worksheet.
"""

from portal.opendata.uploads.csv_file import read_csv_rows
from portal.opendata.uploads.limits import (
    MAX_BLANK_ROWS_AFTER,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_PART_BYTES,
    MAX_RATIO,
    MAX_RATIO_FLOOR,
    MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_SHEETS,
    MAX_UNPACKED_BYTES,
    BatchFileError,
)
from portal.opendata.uploads.xlsx_file import read_xlsx_rows

__all__ = [
    "MAX_BLANK_ROWS_AFTER",
    "MAX_CELL_CHARS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_MEMBER_BYTES",
    "MAX_MEMBERS",
    "MAX_PART_BYTES",
    "MAX_RATIO",
    "MAX_RATIO_FLOOR",
    "MAX_SHARED_STRINGS",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_SHEETS",
    "MAX_UNPACKED_BYTES",
    "BatchFileError",
    "read_csv_rows",
    "read_xlsx_rows",
]
