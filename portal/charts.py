"""Geometry of the server-rendered SVG charts.

These functions only compute positions in the chart's own coordinates
(its viewBox); ``templates/orgs/_charts.html`` draws them, so that every
label is escaped and translated by the template like any other text. No
chart needs JavaScript, and each is paired with a table that gives the same
figures to screen readers and for printing.
"""

import math
from dataclasses import dataclass
from decimal import Decimal


def _number(value):
    return float(value) if value is not None else None


# -- bars: points of each dimension against its maximum -------------------------


@dataclass(frozen=True)
class Bar:
    item: object  # what the bar shows (a DimensionScore), for the template's labels
    label_y: float
    bar_y: float
    value_width: float  # 0 for no value; at most track_width
    value_x: float  # where the "points / max" text starts


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    track_x: int
    track_width: int
    bar_height: int
    bars: tuple


BAR_CHART_WIDTH = 640
_BAR_ROW = 52
_BAR_HEIGHT = 18
_BAR_TRACK = 470
_BAR_TOP = 8


def dimension_bars(dimensions):
    """Lay out one horizontal bar per dimension, each against a track as long as its maximum.

    ``dimensions`` have ``points`` and ``max_points``; a value outside
    0..max is drawn at the nearest end (the text gives the exact value).
    """
    bars = []
    for index, dimension in enumerate(dimensions):
        top = _BAR_TOP + index * _BAR_ROW
        maximum = _number(dimension.max_points) or 0
        value = _number(dimension.points)
        share = 0 if not maximum or value is None else min(max(value / maximum, 0), 1)
        bars.append(
            Bar(
                item=dimension,
                label_y=top + 16,
                bar_y=top + 24,
                value_width=round(share * _BAR_TRACK, 1),
                value_x=_BAR_TRACK + 12,
            )
        )
    return BarChart(
        width=BAR_CHART_WIDTH,
        height=_BAR_TOP * 2 + len(bars) * _BAR_ROW,
        track_x=0,
        track_width=_BAR_TRACK,
        bar_height=_BAR_HEIGHT,
        bars=tuple(bars),
    )


# -- a line: the score over time -------------------------------------------------


@dataclass(frozen=True)
class LinePoint:
    point: object  # the HistoryPoint
    x: float
    y: float


@dataclass(frozen=True)
class Tick:
    value: object  # a number (y axis) or a date (x axis)
    position: float
    anchor: str = "middle"  # text-anchor of the label, so that edge labels stay inside the chart


@dataclass(frozen=True)
class Threshold:
    grade: str
    score: object
    y: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    segments: tuple  # tuples of LinePoints drawn as one line each; a gap in the list breaks the line
    points: tuple
    y_ticks: tuple
    x_ticks: tuple
    thresholds: tuple


LINE_CHART_WIDTH = 640
LINE_CHART_HEIGHT = 280
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 52, 40, 20, 40
_NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100)
_TICK_GAP = 120


def _score_range(scores, thresholds):
    low, high = min(scores), max(scores)
    # Show the grade thresholds just around the scores, so a change of grade shows as a crossing.
    near = [value for value in thresholds if low - 10 <= value <= high + 10]
    low, high = min([low, *near]), max([high, *near])
    span = max(high - low, 10)
    step = next((step for step in _NICE_STEPS if span / step <= 6), _NICE_STEPS[-1])
    bottom = math.floor((low - step / 2) / step) * step
    top = math.ceil((high + step / 2) / step) * step
    return max(bottom, 0) if low >= 0 else bottom, top, step


def score_line(history, bands=()):
    """Lay out the published scores of ``history`` (HistoryPoints, oldest first) over time.

    Points without a score (times out of the public list) break the line.
    ``bands`` (GradeBands) give the dashed threshold lines of the grades whose
    lowest score lies in the chart's range. Return None if there is no score.
    """
    published = [point for point in history if point.published]
    if not published:
        return None
    scores = [float(point.score) for point in published]
    band_edges = {band.grade: float(band.min_score) for band in bands if band.min_score is not None}
    low, high, step = _score_range(scores, list(band_edges.values()))
    left, right = _MARGIN_LEFT, LINE_CHART_WIDTH - _MARGIN_RIGHT
    top, bottom = _MARGIN_TOP, LINE_CHART_HEIGHT - _MARGIN_BOTTOM

    def y_of(value):
        return round(bottom - (value - low) / (high - low) * (bottom - top), 1)

    first, last = history[0].effective_at, history[-1].effective_at
    seconds = (last - first).total_seconds()

    def x_of(moment):
        if seconds <= 0:
            return round((left + right) / 2, 1)
        return round(left + (moment - first).total_seconds() / seconds * (right - left), 1)

    segments, current, points = [], [], []
    for point in history:
        if not point.published:
            if current:
                segments.append(tuple(current))
            current = []
            continue
        placed = LinePoint(point, x_of(point.effective_at), y_of(float(point.score)))
        current.append(placed)
        points.append(placed)
    if current:
        segments.append(tuple(current))

    y_ticks = tuple(Tick(Decimal(value), y_of(value)) for value in range(int(low), int(high) + 1, step))
    thresholds = tuple(
        Threshold(grade, Decimal(str(edge)), y_of(edge))
        for grade, edge in sorted(band_edges.items())
        if low < edge < high
    )
    return LineChart(
        width=LINE_CHART_WIDTH,
        height=LINE_CHART_HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        segments=tuple(segments),
        points=tuple(points),
        y_ticks=y_ticks,
        x_ticks=_date_ticks(history, x_of),
        thresholds=thresholds,
    )


def _date_ticks(history, x_of, most=5):
    """Return up to ``most`` ticks on distinct days: the first, the last and evenly between."""
    days = []
    for point in history:
        if not days or days[-1].value != point.day:
            days.append(Tick(point.day, x_of(point.effective_at)))
    if len(days) <= most:
        chosen = days
    else:
        indexes = sorted({round(index * (len(days) - 1) / (most - 1)) for index in range(most)})
        chosen = [days[index] for index in indexes]
    # Date labels are about 100 units wide: drop those that would overlap the one before.
    spaced = []
    for tick in chosen:
        if not spaced or tick.position - spaced[-1].position >= _TICK_GAP:
            spaced.append(tick)
    return tuple(Tick(tick.value, tick.position, _anchor(tick.position)) for tick in spaced)


def _anchor(x):
    if x - _MARGIN_LEFT < _TICK_GAP / 2:
        return "start"
    if LINE_CHART_WIDTH - _MARGIN_RIGHT - x < _TICK_GAP / 2:
        return "end"
    return "middle"
