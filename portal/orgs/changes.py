"""Changes to the public list as the public may see them: entries, exits with their public reason, grade changes.

The first publication is told as one line (``first_publication_line``), not
as one entry per organisation.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from portal.clock import day_end_utc, day_start_utc, local_date
from portal.extensions import db
from portal.publication.changes import first_publication, public_exit_reason, without_first_publication
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT, ListChange, Organisation


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
    exit_reason: str | None = None  # the public reason of an exit (portal.publication.changes)


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
            public_exit_reason(row.change_type, row.reason),
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
        ListChange.reason,
        Organisation.is_published,
    ).outerjoin(Organisation, Organisation.uscc == ListChange.uscc)


def _date_conditions(date_from, date_to, timezone_name):
    conditions = []
    if date_from is not None:
        conditions.append(ListChange.changed_at >= day_start_utc(date_from, timezone_name))
    if date_to is not None:
        conditions.append(ListChange.changed_at < day_end_utc(date_to, timezone_name))
    return conditions


def first_publication_line(change_type, date_from, date_to, timezone_name):
    """Return (day, count) of the first publication if the filters include it, else None."""
    first = first_publication()
    if first is None or change_type not in (None, CHANGE_ENTRY):
        return None
    day = local_date(first.changed_at, timezone_name)
    if (date_from is not None and day < date_from) or (date_to is not None and day > date_to):
        return None
    return day, first.count


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
    The entries of the first publication are left out: ``first_publication_line``
    tells them as one line.
    """
    conditions = [without_first_publication(first_publication())]
    if change_type is not None:
        conditions.append(ListChange.change_type == change_type)
    conditions += _date_conditions(date_from, date_to, timezone_name)
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
