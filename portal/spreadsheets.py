"""Cells of the CSV and XLSX files we write, which no spreadsheet program runs as a formula.

A text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is read as a formula by Excel, LibreOffice and others when a file is opened
(OWASP: CSV injection): an organisation named ``=HYPERLINK("http://x","点我")``
in the scoring database, or a value typed into a batch-check file, would
become a link or a command in a journalist's spreadsheet. Every CSV and XLSX
writer of the portal goes through this module:

- CSV: such a text gets a leading single quote (``'=HYPERLINK(...)``), the
  only way a CSV file can say "this is text";
- XLSX: such a text is written as a string cell (never ``data_type="f"``, which
  openpyxl would choose for a string starting with ``=``) with Excel's own
  quote prefix (``quotePrefix``), so the cell shows the exact text and stays
  text even when someone edits it; characters that XML cannot carry are
  dropped (openpyxl would refuse the whole file);
- numbers stay numbers: ``int``, ``float`` and ``Decimal`` values are written
  as they are (numeric cells in XLSX, negative ones included), and a text that
  is exactly a decimal number (``-5``, ``+3.25``, ``1e3``) is not a formula and
  is left alone.

The JSON outputs (JSON Lines, the API) keep every value exactly: they are not
spreadsheets.
"""

import csv
import re
from datetime import date, datetime, time
from decimal import Decimal

from portal.characters import xml_text

#: First characters that make a spreadsheet read a text as a formula.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
QUOTE = "'"
#: The longest text an XLSX cell holds.
XLSX_TEXT_MAXIMUM = 32767

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_formula_like(text):
    """Tell whether a spreadsheet would read ``text`` as a formula (a plain decimal number is not one)."""
    return text[:1] in FORMULA_TRIGGERS and _NUMBER.fullmatch(text) is None


def csv_cell(value):
    """Return ``value`` as a CSV writer should get it: formula-like text quoted, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return QUOTE + value if is_formula_like(value) else value
    return value


def csv_row(values):
    """Return a row of ``csv_cell`` values."""
    return [csv_cell(value) for value in values]


def safe_csv_rows(rows, text_columns):
    """Return ``rows`` (tuples) with the texts in ``text_columns`` made safe; other columns are left alone.

    For large exports whose other columns are codes, dates and numbers the
    portal formats itself: a row that needs nothing is passed on as it is.
    """
    triggers = FORMULA_TRIGGERS
    safe = []
    for row in rows:
        for column in text_columns:
            if (row[column] or "")[:1] in triggers:
                row = tuple(csv_cell(value) if index in text_columns else value for index, value in enumerate(row))
                break
        safe.append(row)
    return safe


class SafeCsvWriter:
    """A ``csv.writer`` whose every cell goes through ``csv_cell``."""

    def __init__(self, handle, **options):
        self._writer = csv.writer(handle, **options)

    def writerow(self, values):
        return self._writer.writerow(csv_row(values))

    def writerows(self, rows):
        for values in rows:
            self._writer.writerow(csv_row(values))


def csv_writer(handle, **options):
    """Return a CSV writer (``csv.writer`` options) that neutralises formula-like text."""
    return SafeCsvWriter(handle, **options)


def xlsx_cell(sheet, value, number_format=None):
    """Return a write-only cell of ``sheet`` for ``value``: text is always a string cell, never a formula.

    Numbers (``int``, ``float``, ``Decimal``) are numeric cells, with
    ``number_format`` if given (``"0.00"`` for scores); dates are dates.
    Formula-like text gets Excel's quote prefix and keeps its exact value.
    """
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, (bool, int, float, Decimal, datetime, date, time)):
        cell = WriteOnlyCell(sheet, value=value)
        if number_format and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            cell.number_format = number_format
        return cell
    # An XLSX sheet is XML: what XML cannot carry is dropped (openpyxl would refuse the whole file).
    text = xml_text(str(value))[:XLSX_TEXT_MAXIMUM]
    cell = WriteOnlyCell(sheet)
    # Assigned directly: WriteOnlyCell(value=...) makes a string that starts with "=" a formula.
    cell._value = text
    cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell


def xlsx_row(sheet, values, number_formats=None):
    """Return a row of ``xlsx_cell`` cells; ``number_formats`` maps a column index to its number format."""
    number_formats = number_formats or {}
    return [xlsx_cell(sheet, value, number_formats.get(index)) for index, value in enumerate(values)]
