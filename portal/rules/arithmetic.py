"""How a score is made from a rule set and its items (docs/scoring-database.md, "How a score is made").

One home for the arithmetic: the demo generator makes its scores with it, the
sync recomputes every score it reads with it (and reports those that differ),
and the credit report explains a score with it. Plain data in and out, so
that each caller passes what it has (source rows, portal rows).

- Each dimension starts from its base points; every item that counts adds
  its signed points to its dimension; the dimension is then held within
  0 and its maximum (the caps).
- The score is the sum of the dimensions. Points are exact two-decimal
  numbers, so no rounding happens; a value with more places is rounded half
  up to the cent.
- An item counts on the assessment day when its status is ``active`` or
  ``objection`` and the day lies within ``effective_on`` and ``expires_on``
  (inclusive; no ``expires_on`` means no end). ``expired``, ``repaired``
  and ``withdrawn`` items never count.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

#: Statuses of items that count towards a score (within their validity).
COUNTING_STATUSES = ("active", "objection")
#: Severity codes of minus items (国家发展改革委令第36号): 轻微, 一般, 严重.
SEVERITY_MINOR = "minor"
SEVERITY_GENERAL = "general"
SEVERITY_SERIOUS = "serious"

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_points(value):
    """Return ``value`` (Decimal, int, float or str) as a Decimal of points rounded half up to the cent."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def counts_on(status, effective_on, expires_on, day):
    """Return whether an item with this status and validity counts towards a score assessed on ``day``."""
    if status not in COUNTING_STATUSES:
        return False
    if effective_on is not None and day < effective_on:
        return False
    return expires_on is None or day <= expires_on


@dataclass(frozen=True)
class RuleDimension:
    """A dimension of a rule set as the arithmetic needs it."""

    code: str
    base_points: Decimal
    max_points: Decimal


@dataclass(frozen=True)
class Item:
    """An item (credit event) as the arithmetic needs it."""

    dimension_code: str
    points: Decimal
    status: str
    effective_on: object = None
    expires_on: object = None


def dimension_points(dimension, item_points):
    """Return the points of one dimension: base plus the items, held within 0 and the maximum."""
    raw = to_points(dimension.base_points) + sum((to_points(p) for p in item_points), ZERO)
    return min(max(raw, ZERO), to_points(dimension.max_points))


def score_from_items(dimensions, items, day):
    """Return (score, {dimension code: points}) for items assessed on ``day``.

    ``dimensions`` are RuleDimensions; ``items`` are Items (or anything with
    their attributes). Items of a dimension the rule set lacks do not count.
    """
    by_dimension = {dimension.code: [] for dimension in dimensions}
    for item in items:
        if item.dimension_code in by_dimension and counts_on(item.status, item.effective_on, item.expires_on, day):
            by_dimension[item.dimension_code].append(item.points)
    points = {dimension.code: dimension_points(dimension, by_dimension[dimension.code]) for dimension in dimensions}
    return sum(points.values(), ZERO), points


# -- the breakdown shown to the public ------------------------------------------------


@dataclass
class DimensionBreakdown:
    """One dimension's sum: base + shown plus − shown minus + undisclosed + cap adjustment = points."""

    code: str
    base: Decimal
    max_points: Decimal
    shown: list = field(default_factory=list)  # the shown items that count, as passed in
    plus: Decimal = ZERO
    minus: Decimal = ZERO  # a positive number: the points taken
    undisclosed: Decimal = ZERO  # signed total of counting items that may not be shown
    undisclosed_count: int = 0
    cap_adjustment: Decimal = ZERO  # points - (base + plus - minus + undisclosed): ≤ 0 at the cap, ≥ 0 at the floor
    points: Decimal = ZERO


@dataclass
class Breakdown:
    """A score as a sum: base + plus − minus + undisclosed = total.

    ``plus`` and ``minus`` are the shown items' points as counted, after the
    caps: points cut by a dimension's maximum come off its plus items (then
    its undisclosed total), points kept by its floor of 0 come off its minus
    items (then its undisclosed total), so that the sum closes exactly.
    """

    base: Decimal
    plus: Decimal
    minus: Decimal
    undisclosed: Decimal
    undisclosed_count: int
    total: Decimal
    dimensions: list  # DimensionBreakdown, in the order given


def _apply_cap(part):
    """Fold a dimension's cap adjustment into its plus, minus and undisclosed totals."""
    adjustment = part.cap_adjustment
    if adjustment < 0:  # over the maximum: the last points added do not count
        cut = min(part.plus, -adjustment)
        return part.plus - cut, part.minus, part.undisclosed + adjustment + cut
    if adjustment > 0:  # below zero: the points beyond the floor are not taken
        kept = min(part.minus, adjustment)
        return part.plus, part.minus - kept, part.undisclosed + adjustment - kept
    return part.plus, part.minus, part.undisclosed


def breakdown(dimensions, items, day, shown):
    """Return the Breakdown of the score that ``items`` make on ``day``.

    ``shown(item)`` says whether the public may see an item; counting items
    it refuses are summed into the undisclosed total, by count and points only.
    """
    parts = {d.code: DimensionBreakdown(d.code, to_points(d.base_points), to_points(d.max_points)) for d in dimensions}
    for item in items:
        part = parts.get(item.dimension_code)
        if part is None or not counts_on(item.status, item.effective_on, item.expires_on, day):
            continue
        value = to_points(item.points)
        if shown(item):
            part.shown.append(item)
            if value >= 0:
                part.plus += value
            else:
                part.minus -= value
        else:
            part.undisclosed += value
            part.undisclosed_count += 1
    totals = [ZERO, ZERO, ZERO, ZERO]
    count = 0
    for dimension in dimensions:
        part = parts[dimension.code]
        raw = part.base + part.plus - part.minus + part.undisclosed
        part.points = min(max(raw, ZERO), part.max_points)
        part.cap_adjustment = part.points - raw
        plus, minus, undisclosed = _apply_cap(part)
        for index, value in enumerate((part.base, plus, minus, undisclosed)):
            totals[index] += value
        count += part.undisclosed_count
    base, plus, minus, undisclosed = totals
    return Breakdown(base, plus, minus, undisclosed, count, base + plus - minus + undisclosed, list(parts.values()))


# -- a rule set consistent with itself -------------------------------------------------


@dataclass(frozen=True)
class RuleSetProblem:
    """A way a rule set contradicts itself: a code and the numbers that show it."""

    code: str  # base_not_sum_of_dimensions | base_outside_dimension | missing_base | band_overlap | band_gap | range_not_covered | band_beyond_reachable
    details: dict


def reachable_range(dimensions):
    """Return (lowest, highest) score the dimensions can make: 0 and the sum of the maxima."""
    return ZERO, sum((to_points(d.max_points) for d in dimensions), ZERO)


def rule_set_problems(base_score, dimensions, bands):
    """Return the RuleSetProblems of a rule set (an empty list when it is consistent).

    ``bands`` are (grade, min_score, max_score), inclusive. Consistent means:
    every dimension has a base within 0 and its maximum, the base score is the
    sum of the dimension bases, and the bands, ordered by score, follow each
    other cent by cent without overlap from the lowest to the highest
    reachable score.
    """
    problems = []
    if any(d.base_points is None for d in dimensions):
        problems.append(RuleSetProblem("missing_base", {"dimensions": [d.code for d in dimensions if d.base_points is None]}))
    else:
        for d in dimensions:
            if not ZERO <= to_points(d.base_points) <= to_points(d.max_points):
                problems.append(
                    RuleSetProblem("base_outside_dimension", {"dimension": d.code, "base": str(d.base_points), "max": str(d.max_points)})
                )
        parts = sum((to_points(d.base_points) for d in dimensions), ZERO)
        if to_points(base_score) != parts:
            problems.append(RuleSetProblem("base_not_sum_of_dimensions", {"base_score": str(to_points(base_score)), "sum": str(parts)}))
    low, high = reachable_range(dimensions)
    ordered = sorted(((to_points(lo), to_points(hi), grade) for grade, lo, hi in bands))
    for (_, hi1, g1), (lo2, hi2, g2) in zip(ordered, ordered[1:]):
        if lo2 <= hi1:
            problems.append(RuleSetProblem("band_overlap", {"grades": [g1, g2], "from": str(lo2), "to": str(min(hi1, hi2))}))
        elif lo2 > hi1 + CENT:
            problems.append(RuleSetProblem("band_gap", {"grades": [g1, g2], "from": str(hi1 + CENT), "to": str(lo2 - CENT)}))
    if ordered:
        if ordered[0][0] > low or max(hi for _, hi, _ in ordered) < high:
            problems.append(
                RuleSetProblem(
                    "range_not_covered",
                    {"reachable": [str(low), str(high)], "bands": [str(ordered[0][0]), str(max(hi for _, hi, _ in ordered))]},
                )
            )
        beyond = [g for lo, hi, g in ordered if lo < low or hi > high]
        if beyond:
            problems.append(RuleSetProblem("band_beyond_reachable", {"grades": beyond, "reachable": [str(low), str(high)]}))
    return problems
