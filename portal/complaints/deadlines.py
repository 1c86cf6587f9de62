"""Deadlines of complaint handling, counted in working days (Monday to Friday).

Days are counted on the calendar of the portal's time zone (Beijing), while
the database keeps naive UTC: ``due_after_working_days`` converts both ways.
"""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def is_working_day(day, holidays=()):
    """Return whether ``day`` (a date) is Monday to Friday and not in ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start, days, holidays=()):
    """Return ``start`` moved forward by ``days`` working days, keeping its time of day.

    ``start`` may be a date or a naive datetime, and the result has the same
    type. Weekends are not counted: 5 working days after a Saturday (or
    after the Friday before it) is the next Friday. ``holidays`` is a
    collection of dates that are not working days.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current = current + timedelta(days=1)
        if is_working_day(current.date() if isinstance(current, datetime) else current, holidays):
            remaining -= 1
    return current


def due_after_working_days(utc_start, days, tz_name="Asia/Shanghai", holidays=()):
    """Return the naive-UTC end of the ``days``-th working day after ``utc_start``, in ``tz_name``.

    The deadline is the end (23:59:59) of that local working day, so that a
    complaint submitted late on a Friday evening gets the same full days as
    one submitted on Friday morning.
    """
    zone = ZoneInfo(tz_name)
    local = utc_start.replace(tzinfo=timezone.utc).astimezone(zone)
    due_day = add_working_days(local.date(), days, holidays)
    local_end = datetime.combine(due_day, datetime.max.time().replace(microsecond=0), tzinfo=zone)
    return local_end.astimezone(timezone.utc).replace(tzinfo=None)


def due_after_days(utc_start, days):
    """Return ``utc_start`` plus ``days`` calendar days (naive UTC)."""
    return utc_start + timedelta(days=days)


__all__ = ["add_working_days", "due_after_days", "due_after_working_days", "is_working_day"]
