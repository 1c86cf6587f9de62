"""Working days in mainland China: weekends, the State Council's public holidays and their 调休 working days.

The schedule comes from the ``chinesecalendar`` package (maintained; each
release adds the year the State Council has announced), and, for a year it
does not cover yet, from ``holiday_schedule.toml`` beside this module: a
reviewed file in which every year names the State Council notice it copies.
A year in neither counts Monday to Friday only, and ``missing_schedule``
says so, so that the staff console and /status can warn from 1 December.

Days are counted on the calendar of the portal's time zone (Beijing), while
the database keeps naive UTC: ``due_after_working_days`` converts both ways.
"""

import functools
import os
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

from portal.clock import local_date

#: The reviewed schedule of years the package does not cover yet.
SCHEDULE_FILE = os.path.join(os.path.dirname(__file__), "holiday_schedule.toml")
#: From this day of the year on, next year's schedule is expected (the notice comes out in the autumn).
NEXT_YEAR_EXPECTED_FROM = (12, 1)


@dataclass(frozen=True)
class YearSchedule:
    """One year of the override file: days off (holidays on weekdays) and working days (调休 weekends)."""

    year: int
    source: str
    days_off: frozenset
    working_days: frozenset


def _package_covers(year):
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.cache
def read_schedule(path=SCHEDULE_FILE):
    """Return {year: YearSchedule} of an override file; raise ValueError if an entry is malformed.

    Read once per process (and per path): a change needs a restart.
    """
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return {}
    years = {}
    for entry in data.get("year", []):
        year = entry.get("year")
        source = (entry.get("source") or "").strip()
        reviewed = (entry.get("reviewed") or "").strip()
        if not isinstance(year, int) or not source or not reviewed:
            raise ValueError(f"{path}: every [[year]] needs a year, the source of its schedule and who reviewed it")
        if year in years:
            raise ValueError(f"{path}: {year} is listed twice")
        days_off = frozenset(entry.get("days_off", []))
        working_days = frozenset(entry.get("working_days", []))
        for day in days_off | working_days:
            if not isinstance(day, date) or isinstance(day, datetime) or day.year != year:
                raise ValueError(f"{path}: {day!r} is not a date of {year}")
        # A typo shows as a day that changes nothing: a weekend "off", a weekday "worked".
        for day in sorted(days_off):
            if day.weekday() >= 5:
                raise ValueError(f"{path}: {day} is a weekend day; days_off lists weekdays only")
        for day in sorted(working_days):
            if day.weekday() < 5:
                raise ValueError(f"{path}: {day} is a weekday; working_days lists Saturdays and Sundays only")
        years[year] = YearSchedule(year, source, days_off, working_days)
    return years


class WorkingCalendar:
    """Tell working days from days off, on the package's schedule and the override file's."""

    def __init__(self, schedule_file=None):
        self.overrides = read_schedule(schedule_file or SCHEDULE_FILE)

    def covers(self, year):
        """Whether the State Council's schedule of ``year`` is known (package or override file)."""
        return year in self.overrides or _package_covers(year)

    def is_working_day(self, day):
        override = self.overrides.get(day.year)
        if override is not None:
            if day in override.working_days:
                return True
            return day.weekday() < 5 and day not in override.days_off
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            # A year nobody has the schedule of yet: Monday to Friday (missing_schedule warns).
            return day.weekday() < 5


def calendar(schedule_file=None):
    """Return the WorkingCalendar of ``schedule_file`` (default: the one beside this module)."""
    return WorkingCalendar(schedule_file)


def missing_schedule(today, schedule_file=None):
    """Return the year whose schedule is missing and needed by ``today`` (a date), or None.

    This year always; next year from 1 December, when deadlines start to
    reach into it.
    """
    working = calendar(schedule_file)
    if not working.covers(today.year):
        return today.year
    if (today.month, today.day) >= NEXT_YEAR_EXPECTED_FROM and not working.covers(today.year + 1):
        return today.year + 1
    return None


def missing_schedule_now(config, now):
    """Return the year whose holiday schedule is missing now (``now`` naive UTC), with the app's settings; or None."""
    today = local_date(now, config["BABEL_DEFAULT_TIMEZONE"])
    return missing_schedule(today, config["WORKING_DAYS_SCHEDULE_FILE"] or None)


def is_working_day(day, holidays=(), working=None):
    """Return whether ``day`` (a date) is a working day of ``working`` (default: the Chinese calendar), not in ``holidays``."""
    working = working or calendar()
    return working.is_working_day(day) and day not in holidays


def add_working_days(start, days, holidays=(), working=None):
    """Return ``start`` moved forward by ``days`` working days, keeping its time of day.

    ``start`` may be a date or a naive datetime, and the result has the same
    type. Days off are not counted: 5 working days after a Saturday (or
    after the Friday before it) is the next Friday in an ordinary week.
    ``holidays`` is a collection of further dates that are not working days.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    working = working or calendar()
    current = start
    remaining = days
    while remaining:
        current = current + timedelta(days=1)
        if is_working_day(current.date() if isinstance(current, datetime) else current, holidays, working):
            remaining -= 1
    return current


def due_after_working_days(utc_start, days, tz_name="Asia/Shanghai", holidays=(), working=None):
    """Return the naive-UTC end of the ``days``-th working day after ``utc_start``, in ``tz_name``.

    The deadline is the end (23:59:59) of that local working day, so that a
    complaint submitted late on a Friday evening gets the same full days as
    one submitted on Friday morning.
    """
    zone = ZoneInfo(tz_name)
    local = utc_start.replace(tzinfo=timezone.utc).astimezone(zone)
    due_day = add_working_days(local.date(), days, holidays, working)
    local_end = datetime.combine(due_day, datetime.max.time().replace(microsecond=0), tzinfo=zone)
    return local_end.astimezone(timezone.utc).replace(tzinfo=None)


__all__ = [
    "WorkingCalendar",
    "add_working_days",
    "calendar",
    "due_after_working_days",
    "is_working_day",
    "missing_schedule",
    "missing_schedule_now",
    "read_schedule",
]
