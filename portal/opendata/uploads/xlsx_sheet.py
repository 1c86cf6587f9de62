"""An XLSX worksheet streamed into rows, refused at the first limit it passes."""

import re

from portal.opendata.uploads.limits import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    SHEET_COLUMNS,
    SHEET_ROWS,
    BatchFileError,
    TableCounter,
)
from portal.opendata.uploads.xlsx_parts import ELEMENTS, PartHandler

_CELL_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_COLUMN_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{0,7})")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")


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


class SheetHandler(PartHandler):
    """A worksheet streamed into rows (lists of values, at their row number), refused at the first limit passed."""

    def __init__(self, shared_strings, date_styles, date1904, max_rows):
        super().__init__()
        self.shared_strings = shared_strings
        self.date_styles = date_styles
        self.date1904 = date1904
        self.max_rows = max_rows
        self.counter = TableCounter(max_rows)
        self.rows = []
        self.row_number = self.column = self.cells = self.all_cells = self.phonetic = 0
        self.values = {}
        self.cell = None  # the attributes of the open <c>
        self.value_text = None
        self.inline = None

    def start(self, name, attributes):
        local = ELEMENTS.get(name)
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
        local = ELEMENTS.get(name)
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
