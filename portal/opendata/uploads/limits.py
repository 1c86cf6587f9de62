"""The limits of an uploaded table, the error that refuses it, and the counter that applies them as rows stream past."""

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

READ_SIZE = 64 * 1024


class BatchFileError(Exception):
    """A file that cannot be checked; ``code`` says why, ``details`` fills the message."""

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


class TableCounter:
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
