"""How long a minus item may be shown: 国家发展改革委令第36号《信用修复管理办法》 (in force since 2026-04-01).

One table, read by the credit report (page, JSON API, PDF and print) and the
methodology page. The portal shows a minus item up to the end of the longest
window the law allows, and never after it:

- 轻微 (minor): not published;
- 一般 (general): at least 3 months, at most 1 year;
- 严重 (serious): at least 1 year, at most 3 years;
- a repaired item (已修复) is no longer published once repaired.

Plus items have no window. A minus item of unknown severity is treated as
serious, the longest window: the law's upper bound is never passed.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from portal.rules.arithmetic import SEVERITY_GENERAL, SEVERITY_MINOR, SEVERITY_SERIOUS

LAW_NAME_ZH = "国家发展改革委令第36号《信用修复管理办法》"
LAW_NAME_EN = "Measures for Credit Repair, Order No. 36 of the National Development and Reform Commission"
LAW_IN_FORCE_FROM = date(2026, 4, 1)


@dataclass(frozen=True)
class DisplayWindow:
    """How long an item of one severity may be published: months from its first day (None: never)."""

    severity: str
    name_zh: str
    name_en: str
    min_months: int | None
    max_months: int | None

    @property
    def published(self):
        return self.max_months is not None


DISPLAY_WINDOWS = {
    SEVERITY_MINOR: DisplayWindow(SEVERITY_MINOR, "轻微", "minor", None, None),
    SEVERITY_GENERAL: DisplayWindow(SEVERITY_GENERAL, "一般", "general", 3, 12),
    SEVERITY_SERIOUS: DisplayWindow(SEVERITY_SERIOUS, "严重", "serious", 12, 36),
}
#: Statuses after which a minus item is not shown at all: repaired (信用修复), withdrawn.
ENDED_STATUSES = ("repaired", "withdrawn")


def window_of(severity):
    """Return the DisplayWindow of ``severity``; unknown or missing severities get the serious window."""
    return DISPLAY_WINDOWS.get(severity, DISPLAY_WINDOWS[SEVERITY_SERIOUS])


def add_months(day, months):
    """Return ``day`` moved on by ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def shown_until(points, severity, effective_on):
    """Return the last day a minus item may be shown (None if never); a plus item gives date.max."""
    if points >= 0:
        return date.max
    window = window_of(severity)
    if not window.published:
        return None
    return add_months(effective_on, window.max_months) - timedelta(days=1)


def may_show(points, severity, status, is_public, effective_on, today):
    """Return whether the public may see an item today, by its publicity, status and window."""
    if not is_public or status == "withdrawn":
        return False
    if points >= 0:
        return True
    if status in ENDED_STATUSES:
        return False
    until = shown_until(points, severity, effective_on)
    return until is not None and today <= until
