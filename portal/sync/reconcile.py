"""Reconcile: every score recomputed from its items, inside the run's transaction.

After the apply, the portal holds what the run read: each scored
organisation's score, its items and its rule set. This step recomputes every
score the way the contract says (``portal.rules.arithmetic``) and records
each one that differs as ``score_does_not_reconcile`` with both numbers. It
changes nothing: the scoring system's score and grade stay authoritative.
It also records each rule set that contradicts itself. Every run checks every
scored organisation, so the count on /status is that of the data as now
published, not of one night's changes.

The arithmetic runs in the database, in whole cents, as one statement over
every organisation: loading every item into Python took longer than the
rest of a full sync's comparison. ``tests/sync/test_reconciliation.py``
holds it to ``portal.rules.arithmetic`` on the demo data.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import selectinload

from portal.clock import local_date
from portal.publication.models import CreditEvent, Organisation
from portal.rules.arithmetic import COUNTING_STATUSES, RuleDimension, rule_set_problems
from portal.rules.models import Dimension, RuleSet

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


def _cents(value):
    """Whole cents of a two-decimal number (rounded half up, as ``arithmetic.to_points``; SQLite stores floats)."""
    return cast(func.round(value * 100), Integer)


def _assessment_day(session, timezone_name):
    """Return the SQL of an organisation's assessment day: the date of ``assessed_at`` (UTC) in ``timezone_name``."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(timezone_name, func.timezone("UTC", Organisation.assessed_at)), Date)
    # SQLite has no time zones: the clock's own conversion, once per organisation, as a function of the connection.
    session.connection().connection.driver_connection.create_function(
        "portal_local_date", 1, _sqlite_local_date(timezone_name), deterministic=True
    )
    return func.portal_local_date(Organisation.assessed_at)


def _sqlite_local_date(timezone_name):
    def convert(stored):
        return None if stored is None else local_date(datetime.fromisoformat(stored), timezone_name).isoformat()

    return convert


def _recomputed_scores(session, timezone_name, versions):
    """Return (checked, rows (uscc, score cents, recomputed cents) of the scores that differ, in USCC order)."""
    recomputable = (
        Organisation.score.is_not(None),
        Organisation.in_source.is_(True),
        Organisation.assessed_at.is_not(None),
        Organisation.rule_set_version.in_(versions),
    )
    checked = session.scalar(select(func.count()).select_from(Organisation).where(*recomputable))
    scored = (
        select(
            Organisation.uscc,
            Organisation.rule_set_version,
            _cents(Organisation.score).label("score"),
            _assessment_day(session, timezone_name).label("day"),
        )
        .where(*recomputable)
        # Computed once per organisation, not once per item joined to it.
        .cte("scored")
        .prefix_with("MATERIALIZED")
    )
    counting = (
        select(CreditEvent.uscc, CreditEvent.dimension_code, func.sum(_cents(CreditEvent.points)).label("points"))
        .join(scored, scored.c.uscc == CreditEvent.uscc)
        .where(
            CreditEvent.status.in_(COUNTING_STATUSES),
            or_(CreditEvent.effective_on.is_(None), CreditEvent.effective_on <= scored.c.day),
            or_(CreditEvent.expires_on.is_(None), scored.c.day <= CreditEvent.expires_on),
        )
        .group_by(CreditEvent.uscc, CreditEvent.dimension_code)
        .subquery("counting")
    )
    raw = _cents(Dimension.base_points) + func.coalesce(counting.c.points, 0)
    maximum = _cents(Dimension.max_points)
    held = case((raw < 0, literal(0)), (raw > maximum, maximum), else_=raw)
    recomputed = func.sum(held)
    differences = session.execute(
        select(scored.c.uscc, scored.c.score, recomputed)
        .join(Dimension, Dimension.rule_set_version == scored.c.rule_set_version)
        .outerjoin(counting, and_(counting.c.uscc == scored.c.uscc, counting.c.dimension_code == Dimension.code))
        .group_by(scored.c.uscc, scored.c.score)
        .having(recomputed != scored.c.score)
        .order_by(scored.c.uscc)
    ).all()
    return checked, differences


def reconcile_scores(session, timezone_name):
    """Recompute every score held; return the run's reconciliation record.

    ``{"checked": n, "count": differences, "differences": [{uscc, reason, score,
    recomputed}, ...], "rule_sets": {version: [{code, details}, ...]}}``.
    Scores under a rule set without dimension bases cannot be recomputed and
    are not counted as differences (the rule set's problem says why).
    """
    rule_sets = _rule_sets(session)
    usable = [version for version, (dimensions, _) in rule_sets.items() if dimensions is not None]
    checked, rows = _recomputed_scores(session, timezone_name, usable) if usable else (0, [])
    differences = [
        {"uscc": uscc, "reason": REASON, "score": str(_points(score)), "recomputed": str(_points(points))}
        for uscc, score, points in rows[:MAX_LISTED]
    ]
    count = len(rows)
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


def _points(cents):
    return Decimal(int(cents)).scaleb(-2)
