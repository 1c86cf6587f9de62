"""Changes to the public list, and what the list showed of an organisation on a past date."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from portal.clock import day_end_utc, day_start_utc, local_date
from portal.extensions import db
from portal.orgs.report import dimension_scores, nightly_states, rule_set_with_bands, score_history, sync_nights
from portal.publication.changes import (
    first_publication,
    public_changes,
    public_exit_reason,
    shown_grades,
    without_first_publication,
)
from portal.publication.models import CHANGE_ENTRY, ListChange, Organisation, ScoreSnapshot
from portal.rules.models import RuleSet
from portal.sync.models import RUN_SUCCEEDED, SyncRun


# -- changes to the public list --------------------------------------------------


@dataclass(frozen=True)
class ChangeLine:
    """A change to the public list as the public may see it (``publication.changes``), with its date."""

    changed_at: datetime
    day: date
    uscc: str
    name: str
    change_type: str
    old_grade: str | None
    new_grade: str | None
    currently_published: bool
    exit_reason: str | None = None  # the public reason of an exit (portal.publication.changes)


def _change_lines(statement, timezone_name):
    return [
        ChangeLine(
            row.changed_at,
            local_date(row.changed_at, timezone_name),
            row.uscc,
            row.name,
            row.change_type,
            *shown_grades(row),
            bool(row.is_published),
            public_exit_reason(row.change_type, row.reason),
        )
        for row in db.session.execute(statement)
    ]


def recent_changes(change_type, limit, timezone_name):
    """Return the ``limit`` most recent ChangeLines of one type, newest first."""
    statement = (
        public_changes()
        .where(ListChange.change_type == change_type)
        .order_by(ListChange.changed_at.desc(), ListChange.id.desc())
        .limit(limit)
    )
    return _change_lines(statement, timezone_name)


def list_changes(change_type, date_from, date_to, page, per_page, timezone_name):
    """Return (lines, total): one page of changes to the public list, newest first.

    ``change_type`` is one of CHANGE_TYPES or None for all; ``date_from`` and
    ``date_to`` are inclusive calendar dates in ``timezone_name`` (or None).
    The entries of the first publication are left out: ``first_publication_line``
    tells them as one line.
    """
    conditions = [without_first_publication(first_publication())]
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
    statement = (
        public_changes()
        .where(*conditions)
        .order_by(ListChange.changed_at.desc(), ListChange.id.desc())
        .limit(per_page)
        .offset(offset)
    )
    return _change_lines(statement, timezone_name), total


def first_publication_line(change_type, date_from, date_to, timezone_name):
    """Return (day, count) of the first publication if the filters include it, else None."""
    first = first_publication()
    if first is None or change_type not in (None, CHANGE_ENTRY):
        return None
    day = local_date(first.changed_at, timezone_name)
    if (date_from is not None and day < date_from) or (date_to is not None and day > date_to):
        return None
    return day, first.count


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
    rule_set = rule_set_with_bands(in_force.rule_set_version)
    known, unknown = dimension_scores(in_force.dimension_scores, rule_set)
    dimensions = known + unknown
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
        history=score_history(nightly_states(snapshots, sync_nights(end), timezone_name), timezone_name),
        currently_published=currently_published,
        current_grade=current.grade if currently_published else None,
    )
