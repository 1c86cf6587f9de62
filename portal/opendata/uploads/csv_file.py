"""Read a CSV upload in chunks, within the byte, line, row, column and cell limits."""

import codecs
import csv
import io

from portal.opendata.uploads.limits import MAX_LINE_BYTES, READ_SIZE, BatchFileError, TableCounter

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
    rows, counter = [], TableCounter(max_rows)
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
        chunk = stream.read(READ_SIZE)
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
