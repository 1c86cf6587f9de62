"""The rule sets as the methodology page shows them."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.rules.arithmetic import RuleDimension, rule_set_problems
from portal.rules.models import RuleSet


@dataclass(frozen=True)
class DimensionItems:
    """A dimension of a rule set and its catalogue items, plus items first, then by points."""

    dimension: object  # a Dimension, or None for items whose dimension the rule set lacks
    items: list


@dataclass(frozen=True)
class RuleSetView:
    rule_set: RuleSet
    dimensions: list  # DimensionItems, in the rule set's order
    published_count: int  # published organisations scored with this rule set
    problems: list = field(default_factory=list)  # RuleSetProblems: how the rule set contradicts itself

    @property
    def base_total(self):
        return sum((d.dimension.base_points or 0 for d in self.dimensions if d.dimension is not None), 0)

    @property
    def max_total(self):
        return sum((d.dimension.max_points for d in self.dimensions if d.dimension is not None), 0)


def _item_order(item):
    return (item.points < 0, -abs(item.points), item.item_code)


def rule_sets_for_display():
    """Return every rule set in the portal database, newest first, with its items grouped by dimension."""
    rule_sets = db.session.scalars(
        select(RuleSet)
        .options(selectinload(RuleSet.dimensions), selectinload(RuleSet.grade_bands), selectinload(RuleSet.items))
        .order_by(RuleSet.effective_from.desc(), RuleSet.version.desc())
    ).all()
    counts = dict(
        db.session.execute(
            select(Organisation.rule_set_version, func.count())
            .where(PUBLISHED)
            .group_by(Organisation.rule_set_version)
        ).all()
    )
    views = []
    for rule_set in rule_sets:
        by_dimension = {}
        for item in rule_set.items:
            by_dimension.setdefault(item.dimension_code, []).append(item)
        groups = [
            DimensionItems(dimension, sorted(by_dimension.pop(dimension.code, []), key=_item_order))
            for dimension in rule_set.dimensions
        ]
        leftover = sorted((item for items in by_dimension.values() for item in items), key=_item_order)
        if leftover:
            groups.append(DimensionItems(None, leftover))
        views.append(RuleSetView(rule_set, groups, counts.get(rule_set.version, 0), problems_of(rule_set)))
    return views


def problems_of(rule_set):
    """Return the RuleSetProblems of a portal RuleSet (with its dimensions and bands loaded)."""
    return rule_set_problems(
        rule_set.base_score,
        [RuleDimension(d.code, d.base_points, d.max_points) for d in rule_set.dimensions],
        [(band.grade, band.min_score, band.max_score) for band in rule_set.grade_bands],
    )
