"""One published organisation's credit report: its dimensions, score history, items and ledger."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.clock import local_date
from portal.extensions import db
from portal.orgs.ledger import Ledger, breakdown_view, credit_ledger
from portal.publication.models import ListEntry, Organisation, ScoreSnapshot
from portal.publication.state import PUBLISHED
from portal.rules.models import RuleSet
from portal.sync.models import RUN_SUCCEEDED, SyncRun


@dataclass(frozen=True)
class DimensionScore:
    code: str
    name_zh: str
    name_en: str
    points: object  # Decimal-like number, or None when the score has no value for it
    max_points: object  # None for a dimension the rule set does not know


@dataclass(frozen=True)
class HistoryPoint:
    """One published score of the history, or (``score`` None) a time out of the public list."""

    effective_at: datetime
    day: date
    score: object = None
    grade: str | None = None
    previous_grade: str | None = None  # set when the grade changed since the previous published point
    reentered: bool = False  # the first point after a time out of the public list

    @property
    def published(self):
        return self.score is not None

    @property
    def grade_changed(self):
        return self.previous_grade is not None


@dataclass(frozen=True)
class Evaluation:
    level: int | None
    valid_from: date | None
    valid_until: date | None
    expired: bool


@dataclass
class CreditReport:
    organisation: Organisation
    rule_set: RuleSet | None
    band: object  # the GradeBand of the current grade, or None
    dimensions: list
    history: list
    current_events: list
    earlier_events: list
    list_entries: list
    evaluation: Evaluation
    unknown_dimensions: list = field(default_factory=list)
    ledger: Ledger | None = None  # the score as a sum of its items
    breakdown: dict | None = None  # the same as plain data (ledger.breakdown_view)


def rule_set_with_bands(version):
    """Return the RuleSet ``version`` with its dimensions and grade bands loaded, or None."""
    if version is None:
        return None
    return db.session.get(RuleSet, version, options=[selectinload(RuleSet.dimensions), selectinload(RuleSet.grade_bands)])


def dimension_scores(scores, rule_set):
    """Return (the rule set's dimensions with their points, the dimensions it does not know) of ``scores``."""
    scores = scores or {}
    known = []
    if rule_set is not None:
        known = [
            DimensionScore(d.code, d.name_zh, d.name_en, scores.get(d.code), d.max_points) for d in rule_set.dimensions
        ]
    known_codes = {d.code for d in known}
    unknown = [
        DimensionScore(code, code, code, value, None) for code, value in scores.items() if code not in known_codes
    ]
    return known, unknown


def score_history(snapshots, timezone_name):
    """Turn score snapshots (oldest first) into the public history.

    Only published snapshots show a score and grade. A time out of the public
    list is one point without a score, whatever happened during it; the
    history starts at the first publication, so nothing from before it shows.
    """
    history = []
    previous_grade = None
    out_of_list = False
    for snapshot in snapshots:
        if not snapshot.is_published:
            if history and not out_of_list:
                history.append(HistoryPoint(snapshot.effective_at, local_date(snapshot.effective_at, timezone_name)))
                out_of_list = True
            continue
        changed = previous_grade is not None and not out_of_list and snapshot.grade != previous_grade
        history.append(
            HistoryPoint(
                snapshot.effective_at,
                local_date(snapshot.effective_at, timezone_name),
                snapshot.score,
                snapshot.grade,
                previous_grade if changed else None,
                reentered=out_of_list,
            )
        )
        previous_grade = snapshot.grade
        out_of_list = False
    return history


@dataclass(frozen=True)
class NightState:
    """What the public list showed of one organisation after the last successful sync of a night."""

    effective_at: datetime
    score: object
    grade: str | None
    is_published: bool


def sync_nights(before=None):
    """Return the finishing times of the successful syncs (oldest first, optionally only those before ``before``)."""
    statement = select(SyncRun.finished_at).where(SyncRun.status == RUN_SUCCEEDED, SyncRun.finished_at.is_not(None))
    if before is not None:
        statement = statement.where(SyncRun.finished_at < before)
    return db.session.scalars(statement.order_by(SyncRun.finished_at)).all()


def nightly_states(snapshots, nights, timezone_name):
    """Return one NightState per night with a successful sync: the snapshot in force after its last sync.

    Snapshots are written only when something changes; the history shows a
    point for every night all the same, so that a chart moves with the days.
    """
    last_of_day = {}
    for finished_at in nights:
        last_of_day[local_date(finished_at, timezone_name)] = finished_at
    states = []
    index = -1
    for finished_at in sorted(last_of_day.values()):
        while index + 1 < len(snapshots) and snapshots[index + 1].effective_at <= finished_at:
            index += 1
        if index >= 0:
            snapshot = snapshots[index]
            states.append(NightState(finished_at, snapshot.score, snapshot.grade, snapshot.is_published))
    return states


def credit_report(uscc, today, timezone_name):
    """Return the CreditReport of a published organisation, or None if it is not published.

    None for every organisation the public may not see, whatever the reason,
    and for codes the portal has never seen: callers must not tell them apart.
    """
    organisation = db.session.scalar(select(Organisation).where(Organisation.uscc == uscc, PUBLISHED))
    if organisation is None:
        return None
    rule_set = rule_set_with_bands(organisation.rule_set_version)
    dimensions, unknown = dimension_scores(organisation.dimension_scores, rule_set)
    ledger = credit_ledger(organisation, rule_set, dimensions, today, timezone_name)
    entries = db.session.scalars(
        select(ListEntry).where(ListEntry.uscc == uscc).order_by(ListEntry.listed_on.desc(), ListEntry.entry_id)
    ).all()
    snapshots = db.session.execute(
        select(ScoreSnapshot.effective_at, ScoreSnapshot.score, ScoreSnapshot.grade, ScoreSnapshot.is_published)
        .where(ScoreSnapshot.uscc == uscc)
        .order_by(ScoreSnapshot.effective_at, ScoreSnapshot.id)
    ).all()
    until = organisation.evaluation_valid_until
    evaluation = Evaluation(
        organisation.evaluation_level,
        organisation.evaluation_valid_from,
        until,
        expired=organisation.evaluation_level is not None and until is not None and until < today,
    )
    return CreditReport(
        organisation=organisation,
        rule_set=rule_set,
        band=rule_set.band_for(organisation.grade) if rule_set else None,
        dimensions=dimensions,
        history=score_history(nightly_states(snapshots, sync_nights(), timezone_name), timezone_name),
        current_events=ledger.current,
        earlier_events=ledger.earlier,
        list_entries=entries,
        evaluation=evaluation,
        unknown_dimensions=unknown,
        ledger=ledger,
        breakdown=breakdown_view(ledger, dimensions),
    )
