"""The items behind a published score, as the public may see them, and the sum they make.

Every public surface of a credit report (page, print view, PDF, JSON API)
takes its items and its breakdown from here, so that the display windows of
the law (``portal.rules.windows``) apply everywhere at once, and the sum
closes through the total of undisclosed items: base + plus − minus (+
undisclosed) = score.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select

from portal.clock import local_date
from portal.extensions import db
from portal.publication.models import CreditEvent
from portal.rules.arithmetic import COUNTING_STATUSES, RuleDimension, breakdown
from portal.rules.models import RuleItem
from portal.rules.windows import may_show, shown_until


@dataclass(frozen=True)
class LedgerItem:
    """A plus or minus item, with its rule-set names, severity and the last day it may be shown."""

    event: CreditEvent
    item_name_zh: str | None
    item_name_en: str | None
    dimension: object  # a DimensionScore, or None
    severity: str | None = None
    shown_until: date | None = None  # date.max for plus items; None: never shown

    @property
    def is_plus(self):
        return self.event.points >= 0

    @property
    def window_end(self):
        """The last day a minus item is shown, or None for a plus item (no window)."""
        return None if self.shown_until in (None, date.max) else self.shown_until

    # What the arithmetic reads.
    @property
    def dimension_code(self):
        return self.event.dimension_code

    @property
    def points(self):
        return self.event.points

    @property
    def status(self):
        return self.event.status

    @property
    def effective_on(self):
        return self.event.effective_on

    @property
    def expires_on(self):
        return self.event.expires_on


@dataclass(frozen=True)
class Ledger:
    """What a report shows of the items: those the public may see now, and the score as a sum."""

    current: list  # shown items with a status that counts (active, objection), newest first
    earlier: list  # shown items that no longer count
    breakdown: object  # an arithmetic.Breakdown, or None when the rule set lacks dimension bases
    reconciles: bool  # the breakdown's total equals the published score

    def dimension(self, code):
        """Return the DimensionBreakdown of ``code``, or None."""
        if self.breakdown is None:
            return None
        return next((part for part in self.breakdown.dimensions if part.code == code), None)


def _dimension_named(dimensions, code):
    return next((dimension for dimension in dimensions if dimension.code == code), None)


def ledger_items(uscc, rule_set_version, dimensions):
    """Return every item of ``uscc`` (public or not) as LedgerItems, newest first.

    Internal: only ``credit_ledger`` decides what of it is shown.
    """
    rows = db.session.execute(
        select(CreditEvent, RuleItem.name_zh, RuleItem.name_en, RuleItem.severity)
        .outerjoin(
            RuleItem,
            and_(RuleItem.rule_set_version == rule_set_version, RuleItem.item_code == CreditEvent.item_code),
        )
        .where(CreditEvent.uscc == uscc)
        .order_by(CreditEvent.effective_on.desc(), CreditEvent.event_id)
    ).all()
    return [
        LedgerItem(
            event,
            name_zh,
            name_en,
            _dimension_named(dimensions, event.dimension_code),
            severity,
            shown_until(event.points, severity, event.effective_on),
        )
        for event, name_zh, name_en, severity in rows
    ]


def is_shown(item, today):
    """Return whether the public may see ``item`` on ``today``."""
    event = item.event
    return may_show(event.points, item.severity, event.status, event.is_public, event.effective_on, today)


def credit_ledger(organisation, rule_set, dimensions, today, timezone_name):
    """Return the Ledger of a published organisation on ``today`` (a Beijing date)."""
    items = ledger_items(organisation.uscc, organisation.rule_set_version, dimensions)
    shown = [item for item in items if is_shown(item, today)]
    result = None
    if rule_set is not None and rule_set.dimensions and all(d.base_points is not None for d in rule_set.dimensions):
        rule_dimensions = [RuleDimension(d.code, d.base_points, d.max_points) for d in rule_set.dimensions]
        assessed_on = local_date(organisation.assessed_at, timezone_name) if organisation.assessed_at else today
        shown_ids = {id(item) for item in shown}
        result = breakdown(rule_dimensions, items, assessed_on, lambda item: id(item) in shown_ids)
    return Ledger(
        current=[item for item in shown if item.event.status in COUNTING_STATUSES],
        earlier=[item for item in shown if item.event.status not in COUNTING_STATUSES],
        breakdown=result,
        reconciles=result is not None and result.total == organisation.score,
    )


def _item_view(item):
    return {
        "event_id": item.event.event_id,
        "item_code": item.event.item_code,
        "item_name_zh": item.item_name_zh,
        "item_name_en": item.item_name_en,
        "description": item.event.description,
        "points": item.event.points,
        "is_plus": item.is_plus,
        "status": item.event.status,
        "shown_until": item.window_end,
    }


def breakdown_view(ledger, dimensions):
    """Return the breakdown as plain data (Decimals and dates) for the page, the API and issued reports.

    None when the rule set does not say how its score is made. ``dimensions``
    are the report's DimensionScores (for the names); each dimension lists
    the shown items that make its points, with the last day each is shown.
    """
    result = ledger.breakdown if ledger is not None else None
    if result is None:
        return None
    names = {dimension.code: dimension for dimension in dimensions}
    return {
        "base": result.base,
        "plus": result.plus,
        "minus": result.minus,
        "undisclosed": result.undisclosed,
        "undisclosed_count": result.undisclosed_count,
        "total": result.total,
        "reconciles": ledger.reconciles,
        "dimensions": [
            {
                "code": part.code,
                "name_zh": getattr(names.get(part.code), "name_zh", part.code),
                "name_en": getattr(names.get(part.code), "name_en", part.code),
                "base": part.base,
                "max_points": part.max_points,
                "points": part.points,
                "items": [_item_view(item) for item in part.shown],
                "undisclosed": part.undisclosed,
                "undisclosed_count": part.undisclosed_count,
                "cap_adjustment": part.cap_adjustment,
            }
            for part in result.dimensions
        ],
    }
