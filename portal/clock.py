"""The portal's one clock: now in UTC, and calendar dates in the portal's timezone (Beijing).

The portal databases store naive UTC timestamps; pages, reports and
complaint deadlines count Beijing days. Every module asks here, so that a
test can set the time in one place and the two never drift apart.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(text):
    """Return a date written year-month-day (2026-11-29); ValueError for anything else.

    Stricter than date.fromisoformat, which also takes 20261129 and week dates: a date in a
    URL is either exactly this form or a 400."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def now():
    """Return the current time in UTC, timezone-aware (for file names and ISO stamps)."""
    return datetime.now(UTC)


def utcnow():
    """Return the current time as the portal database stores it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_today(timezone_name):
    """Return today's date in ``timezone_name`` (the portal shows Beijing dates)."""
    return datetime.now(ZoneInfo(timezone_name)).date()


def local_date(utc_naive, timezone_name):
    """Return the date in ``timezone_name`` of a naive UTC timestamp."""
    return utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone_name)).date()


def day_start_utc(day, timezone_name):
    """Return the naive UTC timestamp at which ``day`` begins in ``timezone_name``.

    The first and last days of the calendar (0001-01-01 begins before the
    year 1 in UTC) give datetime.min and datetime.max rather than an error.
    """
    try:
        start = datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone_name))
        return start.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.min if day.year == 1 else datetime.max


def day_end_utc(day, timezone_name):
    """Return the naive UTC timestamp at which the day after ``day`` begins in ``timezone_name``."""
    if day >= date.max:
        return datetime.max
    return day_start_utc(day + timedelta(days=1), timezone_name)
