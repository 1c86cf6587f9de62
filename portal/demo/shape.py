"""The shape of the demo data: the demo's clock, how types, grades, events and dates are drawn, and points.

``factory`` invents organisations from these; ``generator`` and ``night``
use the clock and the points helpers too.
"""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from portal import clock
from portal.demo import catalogue, name_words
from portal.demo.names import Weighted
from portal.rules.arithmetic import Item, counts_on
from portal.scoring.schema import SCORING_TIMEZONE

#: The scoring system's nightly run: rows a night touches are stamped 01:00–02:00 UTC.
NIGHT_HOUR = 1
EVENTS_FROM = date(2019, 1, 1)
#: At most this many events are added or repaired to bring a score into its intended grade.
FITTING_STEPS = 30


def demo_today():
    """Return the demo's "today": the day it is generated (UTC), by the wall clock."""
    return clock.now().date()


def last_night(today):
    """Return the day of the scoring system's last run before a database generated on ``today``.

    Its rows are stamped 01:00–02:00 UTC of that day, always in the past, so
    a sync right after generation reads them all; the first ``advance-night``
    is ``today``.
    """
    return today - timedelta(days=1)


def generation_time(today):
    """Return the latest ``updated_at`` a database generated on ``today`` holds (naive UTC)."""
    return datetime.combine(last_night(today), datetime.min.time()) + timedelta(hours=NIGHT_HOUR + 1)


ORG_TYPE_WEIGHTS = {"social_group": 36, "social_service": 58, "foundation": 6}
#: Share registered by the municipal bureau (110000) rather than a district; ~20% overall.
MUNICIPAL_SHARE = {"social_group": 0.25, "social_service": 0.1, "foundation": 0.85}
FIRST_REGISTRATION_YEAR = {"social_group": 1990, "social_service": 1998, "foundation": 1990}
GRADE_WEIGHTS = {"A": 35, "B": 45, "C": 14, "D": 6}
#: How many events an organisation has had since 2019, by grade.
EVENT_COUNT_WEIGHTS = {
    "A": [8, 18, 24, 22, 14, 8, 6],
    "B": [6, 14, 22, 24, 16, 10, 8],
    "C": [2, 6, 14, 20, 22, 18, 18],
    "D": [0, 2, 8, 16, 22, 24, 28],
}
PLUS_EVENT_CHANCE = {"A": 0.65, "B": 0.45, "C": 0.25, "D": 0.12}
EVALUATION_LEVEL_WEIGHTS = {1: 4, 2: 14, 3: 46, 4: 26, 5: 10}
INCONSISTENT_SHARE = 0.002


ORG_TYPE = Weighted(ORG_TYPE_WEIGHTS)
GRADE = Weighted(GRADE_WEIGHTS)
EVALUATION_LEVEL = Weighted(EVALUATION_LEVEL_WEIGHTS)
EVENT_COUNT = {
    grade: Weighted(dict(enumerate(weights))) for grade, weights in EVENT_COUNT_WEIGHTS.items()
}
MINUS_ITEM = Weighted(catalogue.MINUS_ITEM_WEIGHTS)
#: Registration years: few in the 1990s, most in the 2010s.
REGISTRATION_YEAR = {
    org_type: Weighted(
        {
            year: 1 if year < 2000 else 2 if year < 2010 else 4 if year < 2020 else 3
            for year in range(first_year, 2026)
        }
    )
    for org_type, first_year in FIRST_REGISTRATION_YEAR.items()
}


def decimal_points(value):
    """Return integer cents as a two-decimal Decimal (the contract's Numeric(6, 2))."""
    return Decimal(value).scaleb(-2)


def cents(value):
    """Return points (a Decimal, float or string like '94.99') as integer cents."""
    return int((Decimal(value) * 100).to_integral_value())


def grade_for(score_cents, bands):
    """Return the grade whose inclusive band ``(grade, min, max)`` holds the score, or None."""
    for grade, low, high in bands:
        if low <= score_cents <= high:
            return grade
    return None


def dimension_json(points):
    """Return ``{code: Decimal points}`` as the contract's JSON object (numbers, two decimals at most)."""
    return json.dumps(
        {code: float(value) for code, value in points.items()}, separators=(",", ":")
    )


def assessment_day(assessed_at):
    """Return the Beijing date a score assessed at ``assessed_at`` (naive UTC) counts its items on."""
    return clock.local_date(assessed_at, SCORING_TIMEZONE)


def arithmetic_item(event):
    return Item(
        event["dimension_code"],
        event["points"],
        event["status"],
        event["effective_on"],
        event["expires_on"],
    )


def counts(event, day):
    """Return whether an event row counts towards a score assessed on ``day``."""
    return counts_on(event["status"], event["effective_on"], event["expires_on"], day)


ITEM_POINTS = {code: decimal_points(item.points * 100) for code, item in catalogue.ITEMS.items()}


# -- Dates --------------------------------------------------------------------


def random_day(rng, first, last):
    # rng.random() rather than randint(): this is the generator's hottest call.
    start = first.toordinal()
    return date.fromordinal(start + int(rng.random() * (last.toordinal() - start + 1)))


def night_moment(rng, day):
    """Return a moment of the nightly run on ``day`` (01:00–02:00 UTC)."""
    return datetime.fromordinal(day.toordinal()) + timedelta(
        seconds=NIGHT_HOUR * 3600 + int(rng.random() * 3600)
    )


def add_months(day, months):
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def inconsistent_indexes(rng, orgs):
    """Pick the organisations whose score will lie outside their grade's band."""
    first = len(name_words.ANCHOR_ORGANISATIONS) if orgs > len(name_words.ANCHOR_ORGANISATIONS) else 0
    count = min(orgs - first, max(1, round(orgs * INCONSISTENT_SHARE)))
    return set(rng.sample(range(first, orgs), count))
