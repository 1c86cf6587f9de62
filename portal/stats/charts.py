"""Geometry of the statistics charts, drawn as inline SVG by templates/stats/_charts.html.

Horizontal count bars reuse ``portal.charts.dimension_bars`` (a count is a
bar against a track as long as the largest count); column charts (the score
distribution, changes by month) are laid out here in the same way: positions
only, every label is written by the template.
"""

from dataclasses import dataclass

from portal import charts


@dataclass(frozen=True)
class CountItem:
    """One row of a breakdown, shaped for ``charts.dimension_bars``."""

    code: str
    name_zh: str
    name_en: str
    points: int  # the count
    max_points: int  # the largest count of the chart: the length of every track
    share: float  # of the total, 0..1


def count_bars(rows):
    """Lay out one horizontal bar per breakdown row ({code, label_zh, label_en, count})."""
    largest = max((row["count"] for row in rows), default=0)
    total = sum(row["count"] for row in rows)
    items = [
        CountItem(
            row["code"],
            row["label_zh"],
            row["label_en"],
            row["count"],
            largest,
            row["count"] / total if total else 0.0,
        )
        for row in rows
    ]
    return charts.dimension_bars(items)


@dataclass(frozen=True)
class Column:
    series: int  # index of the series (0 for a single one)
    x: float
    y: float
    width: float
    height: float
    value: int


@dataclass(frozen=True)
class ColumnGroup:
    label: object  # what the template writes under the group
    x: float  # centre of the group
    columns: tuple
    show_label: bool


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    groups: tuple
    y_ticks: tuple  # charts.Tick


COLUMN_CHART_WIDTH = 640
COLUMN_CHART_HEIGHT = 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 16, 48
_STEPS = (1, 2, 5)
#: Room, in chart units, that one label under the axis needs.
_LABEL_ROOM = 64


def _nice_step(largest, most_ticks=5):
    """Return a step of 1, 2 or 5 times a power of ten giving at most ``most_ticks`` ticks above 0."""
    magnitude = 1
    while True:
        for step in _STEPS:
            if largest / (step * magnitude) <= most_ticks:
                return step * magnitude
        magnitude *= 10


def column_chart(groups, series=1):
    """Lay out groups of columns: ``groups`` is [(label, [value per series])], in order.

    Return None if there is no group. Labels that would overlap are skipped
    (``show_label`` False); the table beside the chart has them all.
    """
    if not groups:
        return None
    largest = max((max(values) for _label, values in groups), default=0)
    step = _nice_step(max(largest, 1))
    top_value = max(step, -(-largest // step) * step)
    left, right = _LEFT, COLUMN_CHART_WIDTH - _RIGHT
    top, bottom = _TOP, COLUMN_CHART_HEIGHT - _BOTTOM
    slot = (right - left) / len(groups)
    gap = min(slot * 0.2, 12)
    column_width = (slot - gap) / series
    every = max(1, -(-_LABEL_ROOM // int(max(slot, 1))))

    def y_of(value):
        return round(bottom - value / top_value * (bottom - top), 1)

    laid_out = []
    for index, (label, values) in enumerate(groups):
        start = left + index * slot + gap / 2
        columns = tuple(
            Column(
                number,
                round(start + number * column_width, 1),
                y_of(value),
                round(max(column_width - 1, 1), 1),
                round(bottom - y_of(value), 1),
                value,
            )
            for number, value in enumerate(values)
        )
        laid_out.append(
            ColumnGroup(label, round(left + (index + 0.5) * slot, 1), columns, index % every == 0)
        )
    ticks = tuple(charts.Tick(value, y_of(value)) for value in range(0, top_value + 1, step))
    return ColumnChart(COLUMN_CHART_WIDTH, COLUMN_CHART_HEIGHT, left, right, top, bottom, tuple(laid_out), ticks)
