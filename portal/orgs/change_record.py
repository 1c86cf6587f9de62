"""The change record (变更记录) of a published organisation's report, grouped by day in Beijing."""

from dataclasses import dataclass
from datetime import date

from portal.clock import local_date
from portal.publication.field_history import field_history

#: How many changes the report page lists (newest first); the API gives more.
REPORT_CHANGE_RECORD_LIMIT = 100


@dataclass(frozen=True)
class ChangeRecordDay:
    """The changes one night's update saw, in the order of ``field_history.RECORDED_FIELDS``."""

    day: date
    changes: list


@dataclass(frozen=True)
class ChangeRecord:
    days: list
    shown: int
    total: int


def change_record(uscc, timezone_name, limit=REPORT_CHANGE_RECORD_LIMIT):
    """Return the ChangeRecord of ``uscc``, newest day first: only for the report of a published organisation."""
    rows, total = field_history(uscc, limit)
    days = []
    for row in rows:
        day = local_date(row.changed_at, timezone_name)
        if not days or days[-1].day != day:
            days.append(ChangeRecordDay(day, []))
        days[-1].changes.append(row)
    return ChangeRecord(days, len(rows), total)
