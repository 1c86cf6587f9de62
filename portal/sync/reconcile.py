"""Reconcile: every score recomputed from its items, inside the run's transaction.

After the apply, the portal holds what the run read: each scored
organisation's score, its items and its rule set. This step recomputes every
score the way the contract says (``portal.rules.arithmetic``) and records
each one that differs as ``score_does_not_reconcile`` with both numbers. It
changes nothing: the scoring system's score and grade stay authoritative.
It also records each rule set that contradicts itself. Every run checks every
scored organisation, so the count on /status is that of the data as now
published, not of one night's changes.
"""

from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.clock import local_date
from portal.publication.models import CreditEvent, Organisation
from portal.rules.arithmetic import Item, RuleDimension, rule_set_problems, score_from_items
from portal.rules.models import RuleSet

REASON = "score_does_not_reconcile"
#: Differences listed on a run (all are counted).
MAX_LISTED = 500


def _rule_sets(session):
    """Return {version: (dimensions or None, problems)} for every rule set in the portal."""
    result = {}
    for rule_set in session.scalars(
        select(RuleSet).options(selectinload(RuleSet.dimensions), selectinload(RuleSet.grade_bands))
    ):
        dimensions = [RuleDimension(d.code, d.base_points, d.max_points) for d in rule_set.dimensions]
        problems = rule_set_problems(
            rule_set.base_score, dimensions, [(b.grade, b.min_score, b.max_score) for b in rule_set.grade_bands]
        )
        usable = dimensions and all(d.base_points is not None for d in dimensions)
        result[rule_set.version] = (dimensions if usable else None, problems)
    return result


def _items_by_organisation(session):
    rows = session.execute(
        select(
            CreditEvent.uscc,
            CreditEvent.dimension_code,
            CreditEvent.points,
            CreditEvent.status,
            CreditEvent.effective_on,
            CreditEvent.expires_on,
        ).order_by(CreditEvent.uscc)
    )
    for uscc, group in groupby(rows, key=lambda row: row.uscc):
        yield uscc, [Item(r.dimension_code, r.points, r.status, r.effective_on, r.expires_on) for r in group]


def reconcile_scores(session, timezone_name):
    """Recompute every score held; return the run's reconciliation record.

    ``{"checked": n, "count": differences, "differences": [{uscc, reason, score,
    recomputed}, ...], "rule_sets": {version: [{code, details}, ...]}}``.
    Scores under a rule set without dimension bases cannot be recomputed and
    are not counted as differences (the rule set's problem says why).
    """
    rule_sets = _rule_sets(session)
    scores = session.execute(
        select(Organisation.uscc, Organisation.score, Organisation.assessed_at, Organisation.rule_set_version)
        .where(Organisation.score.is_not(None), Organisation.in_source.is_(True))
        .order_by(Organisation.uscc)
    ).all()
    items = dict(_items_by_organisation(session))
    checked = 0
    differences = []
    count = 0
    for uscc, score, assessed_at, version in scores:
        dimensions = rule_sets.get(version, (None, []))[0]
        if dimensions is None or assessed_at is None:
            continue
        checked += 1
        recomputed, _ = score_from_items(dimensions, items.get(uscc, []), local_date(assessed_at, timezone_name))
        if recomputed != score:
            count += 1
            if len(differences) < MAX_LISTED:
                differences.append({"uscc": uscc, "reason": REASON, "score": str(score), "recomputed": str(recomputed)})
    return {
        "checked": checked,
        "count": count,
        "differences": differences,
        "rule_sets": {
            version: [{"code": problem.code, "details": problem.details} for problem in problems]
            for version, (_, problems) in rule_sets.items()
            if problems
        },
    }
