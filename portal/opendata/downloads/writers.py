"""Write the published rows to the CSV and JSON Lines files at once, formatting each value once."""

import csv
import hashlib
import os
from json.encoder import encode_basestring

from portal import spreadsheets
from portal.opendata.downloads.layout import COLUMNS, CSV_FILE, CSV_TEXT_COLUMNS, JSONL_FILE, iso_utc
from portal.reference import DISTRICT_NAMES_ZH, ORG_TYPE_NAMES_ZH

class _FormattedValues(dict):
    """A cache of formatted values: ``cache[value]`` formats a value once."""

    def __init__(self, format_value):
        super().__init__()
        self.format_value = format_value

    def __missing__(self, value):
        formatted = self[value] = self.format_value(value)
        return formatted


def _iso_date(value):
    if value is None:
        return ""
    return value[:10] if isinstance(value, str) else value.isoformat()


def _iso_time(value):
    if value is None:
        return ""
    if isinstance(value, str):  # SQLite: "2026-11-02 18:30:00.000000"
        return value[:19].replace(" ", "T") + "Z"
    return iso_utc(value)


def _score(value):
    return "%.2f" % float(value)


def _json_text(value):
    return encode_basestring(value) if value else "null"


_JSON_LINE = "{" + ",".join(f'"{column}":%s' for column in COLUMNS) + "}\n"


class ExportWriters:
    """Write rows to the CSV and JSON Lines files at once."""

    def __init__(self, folder, data_as_of, formats, publication_version):
        self.data_as_of = iso_utc(data_as_of)
        # Every row says which publication it belongs to, so that a copy of the file still tells.
        self.publication_version = int(publication_version)
        self.csv_file = self.jsonl_file = None
        self.dates = _FormattedValues(_iso_date)
        self.times = _FormattedValues(_iso_time)
        self.scores = _FormattedValues(_score)
        self.strings = _FormattedValues(_json_text)
        if "csv" in formats:
            self.csv_file = open(os.path.join(folder, CSV_FILE), "w", encoding="utf-8", newline="", buffering=1 << 20)
            # The byte order mark makes Excel read the file as UTF-8 (Chinese
            # text is garbled without it). Written once: the utf-8-sig codec
            # is a Python-level encoder, 3× slower per row than utf-8.
            self.csv_file.write("\ufeff")
            self.csv_writer = csv.writer(self.csv_file, lineterminator="\r\n")
            self.csv_writer.writerow(COLUMNS)
        if "jsonl" in formats:
            self.jsonl_file = open(
                os.path.join(folder, JSONL_FILE), "w", encoding="utf-8", newline="\n", buffering=1 << 20
            )

    def write(self, rows):
        data_as_of, version = self.data_as_of, self.publication_version
        types, districts = ORG_TYPE_NAMES_ZH, DISTRICT_NAMES_ZH
        dates, times, scores = self.dates, self.times, self.scores
        values = [
            (
                uscc,
                name,
                grade,
                scores[score],
                org_type,
                types.get(org_type, ""),
                district,
                districts.get(district, ""),
                f"{level}A" if level else "",
                dates[valid_until],
                authority,
                dates[registered],
                times[since],
                data_as_of,
                version,
            )
            for uscc, name, grade, score, org_type, district, level, valid_until, authority, registered, since in rows
        ]
        if self.csv_file is not None:
            # The name, district code and registration authority are the
            # scoring database's text: one that a spreadsheet would run as a
            # formula gets a leading quote. The other columns are codes the
            # sync validated and values formatted here (the score stays a number).
            self.csv_writer.writerows(spreadsheets.safe_csv_rows(values, CSV_TEXT_COLUMNS))
        if self.jsonl_file is not None:
            strings = self.strings
            line = _JSON_LINE
            # Built from a template: json.dumps of a dict per row was 3× the CSV's cost.
            # Every text value goes through the JSON string encoder (cached for
            # the columns with few distinct values, so memory stays flat); the
            # score is a number with two decimals; empty values are null.
            self.jsonl_file.write(
                "".join(
                    [
                        line
                        % (
                            encode_basestring(row[0]),
                            encode_basestring(row[1]),
                            strings[row[2]],
                            row[3],
                            strings[row[4]],
                            strings[row[5]],
                            strings[row[6]],
                            strings[row[7]],
                            strings[row[8]],
                            strings[row[9]],
                            encode_basestring(row[10] or ""),
                            strings[row[11]],
                            strings[row[12]],
                            strings[row[13]],
                            row[14],
                        )
                        for row in values
                    ]
                )
            )

    def close(self):
        for handle in (self.csv_file, self.jsonl_file):
            if handle is not None:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()


def sha256_of(path, block=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()
