"""Bulk downloads: the full public list as CSV and JSON Lines, regenerated after each sync.

One export reads the published organisations once, ordered by USCC, in
chunks from a server-side cursor (PostgreSQL) or a stepped SQLite cursor,
and writes both files as it goes: memory stays flat in the number of
organisations. The publication version it records is read in the same
read transaction (a REPEATABLE READ snapshot on PostgreSQL, the WAL read
snapshot on SQLite), so a file never mixes two publications.

Each export writes a new *generation* folder under ``DOWNLOADS_DIR``
(``gen-…``) with both files and ``manifest.json``, then swaps the symbolic
link ``current`` to it with an atomic rename. Readers (the views, or nginx
serving ``DOWNLOADS_DIR/current/``) see either the old generation or the
new one, never a half-written file, and the manifest always describes the
files next to it.
"""

import csv
import fcntl
import hashlib
import json
from json.encoder import encode_basestring
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import String, select, type_coerce

from portal import clock, spreadsheets
from portal.extensions import db
from portal.publication.models import Organisation, PublicationState
from portal.publication.state import PUBLISHED
from portal.reference import DISTRICT_NAMES_ZH, ORG_TYPE_NAMES_ZH

log = logging.getLogger(__name__)

CSV_FILE = "organisations.csv"
JSONL_FILE = "organisations.jsonl"
MANIFEST_FILE = "manifest.json"
CURRENT_LINK = "current"
GENERATION_PREFIX = "gen-"
LOCK_FILE = ".export.lock"
#: Generations kept besides the current one. None: an older file may list
#: organisations that are no longer published. A download that started
#: before the swap still finishes (its file stays open after the unlink).
KEEP_PREVIOUS_GENERATIONS = 0
#: Sitemaps cached by ``portal.opendata.sitemap`` (per publication state).
SITEMAPS_FOLDER = "sitemaps"

#: The columns of both files, in order. The names are stable: scripts rely on them.
COLUMNS = (
    "uscc",
    "name",
    "grade",
    "score",
    "org_type",
    "org_type_zh",
    "district_code",
    "district_zh",
    "evaluation_level",
    "evaluation_valid_until",
    "registration_authority",
    "registered_on",
    "published_since",
    "data_as_of",
)

#: Columns of free text from the scoring database (positions in COLUMNS), neutralised in the CSV.
CSV_TEXT_COLUMNS = (COLUMNS.index("name"), COLUMNS.index("district_code"), COLUMNS.index("registration_authority"))

# Dates, times and the score are read without SQLAlchemy's result processing
# (as the driver returns them: ISO strings on SQLite, date objects on
# PostgreSQL) and formatted here, through caches: most rows share a handful
# of publication times and a few thousand dates. It halves the export time.
_SELECTED = (
    Organisation.uscc,
    Organisation.name,
    Organisation.grade,
    type_coerce(Organisation.score, String),
    Organisation.org_type,
    Organisation.district_code,
    Organisation.evaluation_level,
    type_coerce(Organisation.evaluation_valid_until, String),
    Organisation.registration_authority,
    type_coerce(Organisation.registered_on, String),
    type_coerce(Organisation.published_since, String),
)


class ExportUnavailable(Exception):
    """No export has been written yet (or its folder was removed)."""


@dataclass(frozen=True)
class ExportResult:
    publication_version: int
    data_as_of: datetime | None
    rows: int
    files: list
    seconds: float
    replaced: bool

    def summary(self):
        """Return the one-line summary printed by ``flask opendata export``."""
        sizes = ", ".join(f"{item['name']} {item['size']:,} bytes" for item in self.files)
        state = "now current" if self.replaced else "NOT made current (a newer export exists)"
        return (
            f"export of publication version {self.publication_version}: {self.rows:,} organisations "
            f"in {self.seconds:.1f} s ({sizes}); {state}"
        )


def iso_utc(value):
    """Return a naive UTC timestamp as ISO 8601 with a Z, or an empty string."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else ""


def downloads_dir(app=None):
    return (app or current_app).config["DOWNLOADS_DIR"]


# -- reading the published list ------------------------------------------------


@contextmanager
def publication_snapshot(chunk_size):
    """Yield (state, rows): the publication state and an iterator of published rows, from one snapshot.

    ``state`` is (version, data_as_of, last_run_id) or None before the first sync; rows
    are tuples of ``_SELECTED`` in USCC order, fetched ``chunk_size`` at a time.
    """
    engine = db.engine
    options = {}
    if engine.dialect.name == "postgresql":
        # READ COMMITTED would give each statement its own snapshot.
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect() as connection:
        connection = connection.execution_options(**options)
        with connection.begin():
            # On SQLite the first SELECT starts the read snapshot the rows come from.
            state = connection.execute(
                select(PublicationState.version, PublicationState.data_as_of, PublicationState.last_run_id).where(
                    PublicationState.id == 1
                )
            ).first()
            result = connection.execution_options(stream_results=True, yield_per=chunk_size).execute(
                select(*_SELECTED).where(PUBLISHED).order_by(Organisation.uscc)
            )
            try:
                yield (tuple(state) if state else None), result
            finally:
                result.close()


# -- writing -------------------------------------------------------------------


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


class _Writers:
    """Write rows to the CSV and JSON Lines files at once."""

    def __init__(self, folder, data_as_of, formats):
        self.data_as_of = iso_utc(data_as_of)
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
        data_as_of = self.data_as_of
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


@contextmanager
def _export_lock(folder):
    """Serialise exports on this node (the sync's callback and the CLI may overlap)."""
    with open(os.path.join(folder, LOCK_FILE), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def export_downloads(progress=None, formats=("csv", "jsonl"), chunk_size=None, folder=None, swap=True):
    """Write the public list as CSV and JSON Lines and make it the current download. Return an ExportResult.

    ``progress(n)`` is called after each chunk of ``n`` rows. ``swap=False``
    writes a generation without making it current (benchmarks).
    """
    config = current_app.config
    folder = folder or config["DOWNLOADS_DIR"]
    chunk_size = chunk_size or config["DOWNLOADS_CHUNK_SIZE"]
    os.makedirs(folder, exist_ok=True)
    started = time.monotonic()
    with _export_lock(folder):
        generation = os.path.join(
            folder, f"{GENERATION_PREFIX}{clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        )
        os.makedirs(generation + ".tmp")
        try:
            rows = 0
            with publication_snapshot(chunk_size) as (state, result):
                version, data_as_of, run_id = state or (0, None, None)
                writers = _Writers(generation + ".tmp", data_as_of, formats)
                try:
                    for partition in result.partitions():
                        writers.write(partition)
                        rows += len(partition)
                        if progress is not None:
                            progress(len(partition))
                finally:
                    writers.close()
            files = []
            for name, kind, media_type in (
                (CSV_FILE, "csv", "text/csv"),
                (JSONL_FILE, "jsonl", "application/jsonl"),
            ):
                path = os.path.join(generation + ".tmp", name)
                if kind in formats:
                    files.append(
                        {
                            "name": name,
                            "format": kind,
                            "media_type": media_type,
                            "size": os.path.getsize(path),
                            "rows": rows,
                            "sha256": sha256_of(path),
                        }
                    )
            manifest = {
                "publication_version": version,
                "data_as_of": iso_utc(data_as_of) or None,
                "sync_run_id": run_id,
                "generated_at": iso_utc(clock.utcnow()),
                "columns": list(COLUMNS),
                "files": files,
            }
            with open(os.path.join(generation + ".tmp", MANIFEST_FILE), "w", encoding="utf-8") as handle:
                json.dump(manifest, handle, ensure_ascii=False, indent=2)
            os.rename(generation + ".tmp", generation)
        except BaseException:
            shutil.rmtree(generation + ".tmp", ignore_errors=True)
            raise
        replaced = False
        if swap:
            replaced = _make_current(folder, generation, (version, data_as_of))
            _remove_old_generations(folder)
            if replaced:
                # Sitemaps of the previous publication: rebuilt on the next request.
                shutil.rmtree(os.path.join(folder, SITEMAPS_FOLDER), ignore_errors=True)
    return ExportResult(version, data_as_of, rows, files, time.monotonic() - started, replaced)


def _make_current(folder, generation, state):
    """Point ``current`` at ``generation`` unless the current one reflects a newer publication."""
    try:
        existing = read_manifest(folder)
    except ExportUnavailable:
        existing = None
    if existing is not None:
        existing_state = (existing["publication_version"], existing["data_as_of"] or "")
        if existing_state > (state[0], iso_utc(state[1])):
            shutil.rmtree(generation, ignore_errors=True)
            return False
    link = os.path.join(folder, CURRENT_LINK)
    temporary = f"{link}.{uuid.uuid4().hex[:8]}.tmp"
    os.symlink(os.path.basename(generation), temporary)
    os.replace(temporary, link)  # atomic: readers see the old folder or the new one
    return True


def _remove_old_generations(folder):
    current = os.path.realpath(os.path.join(folder, CURRENT_LINK))
    generations = sorted(
        (
            entry.path
            for entry in os.scandir(folder)
            if entry.name.startswith(GENERATION_PREFIX) and entry.is_dir(follow_symlinks=False)
        ),
        key=os.path.getmtime,
        reverse=True,
    )
    kept = 0
    for path in generations:
        if os.path.realpath(path) == current:
            continue
        if path.endswith(".tmp"):
            # A folder left by an export that died; one being written is locked out above.
            shutil.rmtree(path, ignore_errors=True)
            continue
        if kept < KEEP_PREVIOUS_GENERATIONS:
            kept += 1
            continue
        shutil.rmtree(path, ignore_errors=True)


# -- reading the current export ------------------------------------------------


def current_generation(folder=None):
    """Return the folder of the current generation; raise ExportUnavailable if there is none."""
    folder = folder or downloads_dir()
    path = os.path.realpath(os.path.join(folder, CURRENT_LINK))
    if not os.path.isfile(os.path.join(path, MANIFEST_FILE)):
        raise ExportUnavailable(folder)
    return path


def read_manifest(folder=None):
    """Return the manifest of the current generation (with ``directory`` added)."""
    generation = current_generation(folder)
    try:
        with open(os.path.join(generation, MANIFEST_FILE), encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ExportUnavailable(str(exc)) from exc
    manifest["directory"] = generation
    return manifest


def export_after_sync(result):
    """The after-publication step: regenerate the downloads of the new publication."""
    if not current_app.config["DOWNLOADS_AFTER_SYNC"]:
        return
    exported = export_downloads()
    log.info("%s", exported.summary())


def catch_up():
    """Export if this node's downloads lag the publication (for nodes that did not run the sync).

    Return the ExportResult, or None if the downloads are current.
    """
    from portal.publication.state import publication_state

    state = publication_state()
    version = state.version if state is not None else 0
    try:
        if read_manifest()["publication_version"] == version:
            return None
    except ExportUnavailable:
        pass
    return export_downloads()
