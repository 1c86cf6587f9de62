"""What the public may see of the organisations: published rows only.

Every query of an organisation's data here starts from ``PUBLISHED``
(``portal.publication.state``): publication is decided by the sync, never by
a page.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.clock import day_end_utc, day_start_utc, local_date
from portal.extensions import db
from portal.grades import PUBLISHED_GRADES
from portal.orgs.ledger import Ledger, breakdown_view, credit_ledger
from portal.publication.models import CHANGE_EXIT, ListChange, ListEntry, Organisation, ScoreSnapshot
from portal.publication.state import PUBLISHED
from portal.reference import DISTRICTS, ORG_TYPES
from portal.rules.models import RuleSet
from portal.sync.models import RUN_SUCCEEDED, SyncRun


def page_count(total, per_page):
    """Return the number of pages of ``total`` rows (at least one, which may be empty)."""
    return max(1, -(-total // per_page))


# -- the published list --------------------------------------------------------

#: Filters of the published list: query argument -> allowed values.
EVALUATION_NONE = "none"
LIST_FILTERS = {
    "grade": tuple(PUBLISHED_GRADES),
    "type": tuple(ORG_TYPES),
    "district": tuple(DISTRICTS),
    "evaluation": ("5A", "4A", "3A", "2A", "1A", EVALUATION_NONE),
}

_FILTER_COLUMNS = {
    "grade": Organisation.grade,
    "type": Organisation.org_type,
    "district": Organisation.district_code,
    "evaluation": Organisation.evaluation_level,
}

#: Sorts of the published list; each ends with the name and code so that pages never overlap.
_BY_NAME = (Organisation.name_pinyin, Organisation.name, Organisation.uscc)
LIST_SORTS = {
    "name": _BY_NAME,
    "score_desc": (Organisation.score.desc(), *_BY_NAME),
    "score_asc": (Organisation.score.asc(), *_BY_NAME),
    "registered_desc": (Organisation.registered_on.desc().nulls_last(), *_BY_NAME),
    "registered_asc": (Organisation.registered_on.asc().nulls_last(), *_BY_NAME),
}
DEFAULT_SORT = "name"


def _filter_condition(name, value):
    column = _FILTER_COLUMNS[name]
    if name == "evaluation":
        return column.is_(None) if value == EVALUATION_NONE else column == int(value[0])
    return column == value


def _conditions(filters):
    return [PUBLISHED] + [_filter_condition(name, value) for name, value in filters.items() if value is not None]


def published_organisations(filters, sort, page, per_page):
    """Return (rows, total): one page of the published organisations that match ``filters``.

    ``filters`` maps names of LIST_FILTERS to an allowed value (or None);
    ``sort`` is a key of LIST_SORTS. A page past the end gives no rows,
    without asking the database for them.
    """
    conditions = _conditions(filters)
    total = db.session.scalar(select(func.count()).select_from(Organisation).where(*conditions))
    offset = (page - 1) * per_page
    if offset >= total:
        return [], total
    rows = db.session.execute(
        select(
            Organisation.name,
            Organisation.uscc,
            Organisation.org_type,
            Organisation.grade,
            Organisation.score,
            Organisation.district_code,
            Organisation.registered_on,
            Organisation.evaluation_level,
            Organisation.evaluation_valid_until,
        )
        .where(*conditions)
        .order_by(*LIST_SORTS[sort])
        .limit(per_page)
        .offset(offset)
    ).all()
    return rows, total


def _option_of(name, value):
    if name == "evaluation":
        return EVALUATION_NONE if value is None else f"{value}A"
    return value


def filter_counts(filters):
    """Return {filter: {value: count}}: how many organisations each option of each filter would list.

    Each filter's counts apply the other filters, not itself, so that the
    numbers say what choosing another option gives. One scan counts every
    combination of the four filters' values (a few hundred at most); the
    counts are summed from it here.
    """
    names = list(_FILTER_COLUMNS)
    combinations = db.session.execute(
        select(*_FILTER_COLUMNS.values(), func.count()).where(PUBLISHED).group_by(*_FILTER_COLUMNS.values())
    ).all()
    counts = {name: dict.fromkeys(LIST_FILTERS[name], 0) for name in names}
    for *values, count in combinations:
        options = {name: _option_of(name, value) for name, value in zip(names, values)}
        mismatched = [name for name in names if filters.get(name) is not None and options[name] != filters[name]]
        for name in names:
            # A row counts for a filter if every other filter matches it.
            if mismatched in ([], [name]) and options[name] in counts[name]:
                counts[name][options[name]] += count
    return counts


# -- the credit report ---------------------------------------------------------


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


def _dimension_scores(organisation, rule_set):
    scores = organisation.dimension_scores or {}
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


def credit_report(uscc, today, timezone_name):
    """Return the CreditReport of a published organisation, or None if it is not published.

    None for every organisation the public may not see, whatever the reason,
    and for codes the portal has never seen: callers must not tell them apart.
    """
    organisation = db.session.scalar(select(Organisation).where(Organisation.uscc == uscc, PUBLISHED))
    if organisation is None:
        return None
    rule_set = None
    if organisation.rule_set_version is not None:
        rule_set = db.session.get(
            RuleSet,
            organisation.rule_set_version,
            options=[selectinload(RuleSet.dimensions), selectinload(RuleSet.grade_bands)],
        )
    dimensions, unknown = _dimension_scores(organisation, rule_set)
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
        history=score_history(snapshots, timezone_name),
        current_events=ledger.current,
        earlier_events=ledger.earlier,
        list_entries=entries,
        evaluation=evaluation,
        unknown_dimensions=unknown,
        ledger=ledger,
        breakdown=breakdown_view(ledger, dimensions),
    )


# -- changes to the public list --------------------------------------------------


@dataclass(frozen=True)
class ChangeLine:
    """A change to the public list as the public may see it: an exit carries no new grade."""

    changed_at: datetime
    day: date
    uscc: str
    name: str
    change_type: str
    old_grade: str | None
    new_grade: str | None
    currently_published: bool


def _change_lines(rows, timezone_name):
    return [
        ChangeLine(
            row.changed_at,
            local_date(row.changed_at, timezone_name),
            row.uscc,
            row.name,
            row.change_type,
            # Only the grades the list showed: an exit's grade before leaving is
            # not shown either, so that nothing suggests why it left.
            None if row.change_type == CHANGE_EXIT else row.old_grade,
            None if row.change_type == CHANGE_EXIT else row.new_grade,
            bool(row.is_published),
        )
        for row in rows
    ]


def _changes_query():
    return select(
        ListChange.changed_at,
        ListChange.uscc,
        ListChange.name,
        ListChange.change_type,
        ListChange.old_grade,
        ListChange.new_grade,
        Organisation.is_published,
    ).outerjoin(Organisation, Organisation.uscc == ListChange.uscc)


def recent_changes(change_type, limit, timezone_name):
    """Return the ``limit`` most recent ChangeLines of one type, newest first."""
    rows = db.session.execute(
        _changes_query()
        .where(ListChange.change_type == change_type)
        .order_by(ListChange.changed_at.desc(), ListChange.id.desc())
        .limit(limit)
    ).all()
    return _change_lines(rows, timezone_name)


def list_changes(change_type, date_from, date_to, page, per_page, timezone_name):
    """Return (lines, total): one page of changes to the public list, newest first.

    ``change_type`` is one of CHANGE_TYPES or None for all; ``date_from`` and
    ``date_to`` are inclusive calendar dates in ``timezone_name`` (or None).
    """
    conditions = []
    if change_type is not None:
        conditions.append(ListChange.change_type == change_type)
    if date_from is not None:
        conditions.append(ListChange.changed_at >= day_start_utc(date_from, timezone_name))
    if date_to is not None:
        conditions.append(ListChange.changed_at < day_end_utc(date_to, timezone_name))
    total = db.session.scalar(select(func.count()).select_from(ListChange).where(*conditions))
    offset = (page - 1) * per_page
    if offset >= total:
        return [], total
    rows = db.session.execute(
        _changes_query()
        .where(*conditions)
        .order_by(ListChange.changed_at.desc(), ListChange.id.desc())
        .limit(per_page)
        .offset(offset)
    ).all()
    return _change_lines(rows, timezone_name), total


def group_by_day(lines):
    """Return [(day, [lines])] in the order of ``lines``."""
    groups = []
    for line in lines:
        if not groups or groups[-1][0] != line.day:
            groups.append((line.day, []))
        groups[-1][1].append(line)
    return groups


# -- the public list as of a date --------------------------------------------------


@dataclass(frozen=True)
class PublicStateOn:
    """What the public list showed of one organisation at the end of a date (Beijing time).

    ``records_start`` is the date of the first successful sync (None before
    any). ``before_records`` is True when the date is before it: the portal
    then knows nothing of that day. ``published`` False means the
    organisation was not in the public list at the end of that date (or is
    unknown): nothing else is given then. Otherwise ``snapshot`` is the
    ScoreSnapshot in force, ``name`` the name the list showed, ``since`` the
    date from which that state held, and ``history`` the public history up
    to the date.
    """

    day: date
    records_start: date | None
    before_records: bool
    published: bool = False
    name: str | None = None
    snapshot: ScoreSnapshot | None = None
    since: date | None = None
    rule_set: RuleSet | None = None
    band: object = None
    dimensions: list = field(default_factory=list)
    history: list = field(default_factory=list)
    currently_published: bool = False
    current_grade: str | None = None


def first_sync_at():
    """Return when the first successful sync finished (naive UTC), or None before any."""
    return db.session.scalar(select(func.min(SyncRun.finished_at)).where(SyncRun.status == RUN_SUCCEEDED))


def public_state_on(uscc, day, timezone_name):
    """Return the PublicStateOn of ``uscc`` at the end of ``day`` in ``timezone_name``.

    Rebuilt from the score snapshots (one per sync that changed the score,
    grade or publication) and the list changes (the names the list showed).
    """
    first = first_sync_at()
    records_start = local_date(first, timezone_name) if first is not None else None
    end = day_end_utc(day, timezone_name)
    if first is None or first >= end:
        return PublicStateOn(day, records_start, before_records=True)
    current = db.session.execute(
        select(Organisation.is_published, Organisation.grade).where(Organisation.uscc == uscc)
    ).first()
    currently_published = bool(current and current.is_published)
    snapshots = db.session.scalars(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.uscc == uscc, ScoreSnapshot.effective_at < end)
        .order_by(ScoreSnapshot.effective_at, ScoreSnapshot.id)
    ).all()
    in_force = snapshots[-1] if snapshots else None
    if in_force is None or not in_force.is_published:
        # Not in the list that day: say nothing more, as for any code outside the list.
        return PublicStateOn(
            day,
            records_start,
            before_records=False,
            currently_published=currently_published,
            current_grade=current.grade if currently_published else None,
        )
    name = db.session.scalar(
        select(ListChange.name)
        .where(ListChange.uscc == uscc, ListChange.changed_at < end)
        .order_by(ListChange.changed_at.desc(), ListChange.id.desc())
        .limit(1)
    )
    rule_set = None
    if in_force.rule_set_version is not None:
        rule_set = db.session.get(
            RuleSet,
            in_force.rule_set_version,
            options=[selectinload(RuleSet.dimensions), selectinload(RuleSet.grade_bands)],
        )
    scores = in_force.dimension_scores or {}
    dimensions = []
    if rule_set is not None:
        dimensions = [
            DimensionScore(d.code, d.name_zh, d.name_en, scores.get(d.code), d.max_points) for d in rule_set.dimensions
        ]
    known = {d.code for d in dimensions}
    dimensions += [DimensionScore(code, code, code, value, None) for code, value in scores.items() if code not in known]
    # The state held since the first snapshot of the run of snapshots with this grade and score.
    since = in_force.effective_at
    for snapshot in reversed(snapshots[:-1]):
        if not snapshot.is_published or snapshot.grade != in_force.grade or snapshot.score != in_force.score:
            break
        since = snapshot.effective_at
    return PublicStateOn(
        day,
        records_start,
        before_records=False,
        published=True,
        name=name,
        snapshot=in_force,
        since=local_date(since, timezone_name),
        rule_set=rule_set,
        band=rule_set.band_for(in_force.grade) if rule_set else None,
        dimensions=dimensions,
        history=score_history(snapshots, timezone_name),
        currently_published=currently_published,
        current_grade=current.grade if currently_published else None,
    )
