"""How a score is made (docs/scoring-database.md): the arithmetic, the breakdown and a consistent rule set."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.demo import catalogue
from portal.demo.shape import assessment_day
from portal.demo.generator import generate_scoring_db
from portal.rules.arithmetic import (
    Item,
    RuleDimension,
    breakdown,
    counts_on,
    rule_set_problems,
    score_from_items,
)
from portal.scoring import schema

D = Decimal
DAY = date(2026, 6, 1)
DIMENSIONS = [RuleDimension("a", D("10"), D("15")), RuleDimension("b", D("20"), D("25"))]


def item(dimension, points, status="active", effective_on=date(2026, 1, 1), expires_on=date(2026, 12, 31)):
    return Item(dimension, D(points), status, effective_on, expires_on)


@pytest.mark.parametrize(
    ("status", "effective_on", "expires_on", "expected"),
    [
        ("active", date(2026, 1, 1), None, True),
        ("objection", date(2026, 1, 1), date(2026, 6, 1), True),  # the last day counts
        ("active", date(2026, 6, 1), None, True),  # so does the first
        ("active", date(2026, 6, 2), None, False),
        ("active", date(2025, 1, 1), date(2026, 5, 31), False),
        ("expired", date(2026, 1, 1), None, False),
        ("repaired", date(2026, 1, 1), None, False),
        ("withdrawn", date(2026, 1, 1), None, False),
    ],
)
def test_which_items_count(status, effective_on, expires_on, expected):
    assert counts_on(status, effective_on, expires_on, DAY) is expected


def test_a_score_is_the_base_plus_the_items_held_within_the_caps():
    items = [
        item("a", "3"),
        item("a", "4"),  # 10 + 7 = 17, capped at 15
        item("b", "-25"),  # 20 - 25 = -5, floored at 0
        item("b", "2.5"),
        item("b", "-9", status="repaired"),
    ]
    total, points = score_from_items(DIMENSIONS, items, DAY)
    assert points == {"a": D("15.00"), "b": D("0.00")}
    assert total == D("15.00")
    total, points = score_from_items(DIMENSIONS, [item("a", "1.25"), item("b", "-3.5")], DAY)
    assert total == D("27.75") and points == {"a": D("11.25"), "b": D("16.50")}


def test_the_breakdown_closes_with_caps_and_undisclosed_items():
    items = [
        item("a", "3"),
        item("a", "4"),
        item("a", "-1"),  # hidden
        item("b", "-25"),
        item("b", "2.5"),
        item("b", "-2"),  # hidden
    ]
    hidden = {id(items[2]), id(items[5])}
    result = breakdown(DIMENSIONS, items, DAY, shown=lambda i: id(i) not in hidden)
    total, _ = score_from_items(DIMENSIONS, items, DAY)
    assert result.total == total == D("15.00")
    assert result.base + result.plus - result.minus + result.undisclosed == result.total
    assert result.undisclosed_count == 2
    a, b = result.dimensions
    assert (a.points, a.cap_adjustment) == (D("15.00"), D("-1.00"))
    assert (b.points, b.cap_adjustment) == (D("0.00"), D("4.50"))


@pytest.mark.parametrize(
    ("base_score", "bands", "codes"),
    [
        ("30", [("A", "20", "40"), ("B", "0", "19.99")], []),
        ("31", [("A", "20", "40"), ("B", "0", "19.99")], ["base_not_sum_of_dimensions"]),
        ("30", [("A", "19", "40"), ("B", "0", "19.99")], ["band_overlap"]),
        ("30", [("A", "20", "40"), ("B", "0", "19.98")], ["band_gap"]),
        ("30", [("A", "20", "200"), ("B", "0", "19.99")], ["band_beyond_reachable"]),
        ("30", [("A", "20", "39"), ("B", "0", "19.99")], ["range_not_covered"]),
    ],
)
def test_rule_set_problems(base_score, bands, codes):
    problems = rule_set_problems(D(base_score), DIMENSIONS, [(g, D(lo), D(hi)) for g, lo, hi in bands])
    assert [problem.code for problem in problems] == codes


def test_the_demo_rule_set_is_consistent_and_every_demo_score_adds_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'scoring.db'}"
    generate_scoring_db(url, orgs=800, seed=11, today=date(2026, 8, 9))
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rule_set = connection.execute(sa.select(schema.rule_sets)).one()
        dimensions = [
            RuleDimension(row.code, row.base_points, row.max_points)
            for row in connection.execute(sa.select(schema.rule_set_dimensions))
        ]
        bands = [
            (row.grade, row.min_score, row.max_score) for row in connection.execute(sa.select(schema.rule_set_grade_bands))
        ]
        assert rule_set_problems(rule_set.base_score, dimensions, bands) == []
        severities = {row.item_code: row.severity for row in connection.execute(sa.select(schema.rule_set_items))}
        assert {code for code, severity in severities.items() if severity} == set(catalogue.SEVERITY)
        events = {}
        for row in connection.execute(sa.select(schema.credit_events)):
            events.setdefault(row.uscc, []).append(Item(row.dimension_code, row.points, row.status, row.effective_on, row.expires_on))
            # The demo follows the wall clock: nothing after the night before its day.
            assert row.effective_on <= date(2026, 8, 8)
        scores = connection.execute(sa.select(schema.credit_scores)).all()
    engine.dispose()
    assert scores
    for row in scores:
        total, _ = score_from_items(dimensions, events.get(row.uscc, []), assessment_day(row.assessed_at))
        assert total == row.score, row.uscc
