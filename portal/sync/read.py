"""Read: which rows of the scoring database a run takes, and which of them it may apply.

A run reads the rows changed since the watermarks of the last successful run
(every row in a full run), in key order and in chunks. Each row is checked
here before anything is decided about it: a row that cannot be applied is
quarantined with its reason in the run record, a row the reader had to clean
is applied and recorded. The rest goes on to ``decide`` and ``apply``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice
from operator import itemgetter

from portal.grades import GRADES
from portal.scoring.reader import CLEANED_COLUMNS
from portal.scoring.schema import EVENT_STATUSES, LIST_TYPES, ORG_TYPES, REGISTRATION_STATUSES
from portal.uscc import is_valid_uscc

#: How many rejected rows a run record lists in detail (the count is always exact).
MAX_REJECTIONS_LISTED = 500

REQUIRED_ORGANISATION_COLUMNS = (
    "uscc",
    "name",
    "org_type",
    "registration_authority",
    "district_code",
    "registration_status",
    "organisation_updated_at",
)
#: The watermark each organisation row advances: source table -> its updated_at column.
ORGANISATION_WATERMARKS = {"organisations": "organisation_updated_at", "credit_scores": "score_updated_at"}


@dataclass(frozen=True)
class ChildTable:
    """A table of the scoring database keyed by its own id and tied to an organisation by USCC."""

    name: str
    key: str
    #: Columns copied as they are into the portal's table.
    columns: tuple
    required: tuple
    #: Column -> the values it may take.
    allowed: dict

    def validate(self, row, future_limit):
        """Return why ``row`` cannot be applied at all, or None if it can."""
        if _lacks_any(row, self.required):
            return _first_missing(row, self.required)
        if not is_valid_uscc(row["uscc"]):
            return "invalid_uscc"
        for column, values in self.allowed.items():
            if row[column] not in values:
                return f"invalid_{column}"
        if row["updated_at"] > future_limit:
            return "future_timestamp"
        return None


CREDIT_EVENTS = ChildTable(
    name="credit_events",
    key="event_id",
    columns=(
        "uscc",
        "dimension_code",
        "item_code",
        "description",
        "points",
        "reporting_department",
        "legal_basis",
        "effective_on",
        "expires_on",
        "status",
        "is_public",
    ),
    required=(
        "event_id",
        "uscc",
        "dimension_code",
        "item_code",
        "description",
        "points",
        "reporting_department",
        "effective_on",
        "status",
        "is_public",
        "updated_at",
    ),
    allowed={"status": EVENT_STATUSES},
)
LIST_ENTRIES = ChildTable(
    name="list_entries",
    key="entry_id",
    columns=("uscc", "list_type", "reason", "listed_on", "listed_by", "removed_on", "removal_reason"),
    required=("entry_id", "uscc", "list_type", "reason", "listed_on", "updated_at"),
    allowed={"list_type": LIST_TYPES},
)


def _lacks_any(row, columns):
    """Return whether any of ``columns`` is missing, NULL or empty in ``row`` (C-level tests for the usual row)."""
    try:
        values = _getter(columns)(row)
    except KeyError:
        return True
    return None in values or "" in values


@lru_cache(maxsize=None)
def _getter(columns):
    return itemgetter(*columns)


def _first_missing(row, columns):
    for column in columns:
        if row.get(column) in (None, ""):
            return f"missing_{column}"
    return None


def validate_organisation(row, future_limit):
    """Return why ``row`` cannot be applied at all, or None if it can."""
    if _lacks_any(row, REQUIRED_ORGANISATION_COLUMNS):
        return _first_missing(row, REQUIRED_ORGANISATION_COLUMNS)
    if not is_valid_uscc(row["uscc"]):
        return "invalid_uscc"
    if row["org_type"] not in ORG_TYPES:
        return "invalid_org_type"
    if row["registration_status"] not in REGISTRATION_STATUSES:
        return "invalid_registration_status"
    if row["former_names"] is None:
        return "invalid_former_names"
    if row["organisation_updated_at"] > future_limit:
        return "future_timestamp"
    if row.get("score_updated_at") is not None:
        if row["grade"] not in GRADES:
            return "invalid_grade"
        for column in ("score", "assessed_at", "rule_set_version"):
            if row.get(column) is None:
                return f"missing_{column}"
        if row["dimension_scores"] is None:
            return "invalid_dimension_scores"
        if row["score_updated_at"] > future_limit:
            return "future_timestamp"
    return None


class ReadWindow:
    """What one run reads: full or incremental, and from which moment in each source table."""

    def __init__(self, watermarks, last_full_at, read_at, config, full):
        self.read_at = read_at
        self.future_limit = read_at + timedelta(seconds=config["SYNC_FUTURE_TOLERANCE_SECONDS"])
        self.overlap = timedelta(seconds=config["SYNC_OVERLAP_SECONDS"])
        every = timedelta(days=config["SYNC_FULL_EVERY_DAYS"])
        full_due = not watermarks or last_full_at is None or read_at - last_full_at >= every
        self.full = full or full_due
        self.mode = "full" if self.full else "incremental"
        self.old_watermarks = {key: datetime.fromisoformat(value) for key, value in (watermarks or {}).items()}
        self.new_watermarks = dict(self.old_watermarks)

    def since(self, table):
        """Return the lower bound of updated_at to read from ``table`` (None: read all)."""
        if self.full or table not in self.old_watermarks:
            return None
        return self.old_watermarks[table] - self.overlap

    def advance(self, table, value):
        """Move ``table``'s next watermark up to ``value``, unless it lies in the future."""
        if value is not None and value <= self.future_limit:
            current = self.new_watermarks.get(table)
            if current is None or value > current:
                self.new_watermarks[table] = value

    def watermarks_to_store(self):
        """Return the watermarks for the next run, as the publication state stores them."""
        return {key: value.isoformat() for key, value in self.new_watermarks.items()}


class Quarantine:
    """The rows a run read but did not apply or publish as sent, each with its reason."""

    def __init__(self):
        self.count = 0
        self.listed = []

    def reject(self, table, key, reason, **details):
        self.count += 1
        if len(self.listed) < MAX_REJECTIONS_LISTED:
            self.listed.append({"table": table, "key": key, "reason": reason, **details})

    def record_cleaned(self, table, key, row):
        """Record a row the reader removed characters from; it is applied all the same."""
        columns = row.get(CLEANED_COLUMNS)
        if columns:
            self.reject(table, key, "invalid_characters", columns=columns)


def chunks(iterable, size):
    """Yield lists of up to ``size`` items of ``iterable``."""
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def checked_chunks(rows, table, key, validate, window, quarantine, chunk_size, watermarks=None):
    """Yield (chunk, the chunk's rows that may be applied) for each chunk of ``rows``.

    Every row read advances the window's watermarks (``watermarks`` maps a
    source table to the row's column of its updated_at; by default
    ``{table: "updated_at"}``). A row that fails ``validate(row, future_limit)``
    or repeats the key of the row before it is quarantined.
    """
    watermarks = watermarks or {table: "updated_at"}
    future_limit = window.future_limit
    last_row_key = None
    for chunk in chunks(rows, chunk_size):
        for source, column in watermarks.items():
            # The latest of the chunk that is not in the future: what advancing row by row would reach.
            window.advance(source, max((v for row in chunk if (v := row.get(column)) is not None and v <= future_limit), default=None))
        valid = []
        for row in chunk:
            reason = validate(row, future_limit)
            row_key = row.get(key)
            if row_key is not None and row_key == last_row_key:
                reason = "duplicate_key"
            last_row_key = row_key
            if reason is not None:
                quarantine.reject(table, row_key, reason)
                continue
            if CLEANED_COLUMNS in row:
                quarantine.record_cleaned(table, row_key, row)
            valid.append(row)
        yield chunk, valid
