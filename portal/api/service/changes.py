"""Changes to the public list (entries, exits, grade changes), oldest first, by cursor."""

from datetime import datetime

from sqlalchemy import func, select

from portal.api.service.paging import InvalidCursor, Page, rows_after
from portal.api.service.values import iso_date, iso_time, label
from portal.clock import day_end_utc, day_start_utc, local_date
from portal.extensions import db
from portal.publication.changes import EXIT_REASON_LABELS, public_changes, public_exit_reason, shown_grades
from portal.publication.models import CHANGE_EXIT, ListChange


_CHANGE_KEY = ((ListChange.changed_at, False), (ListChange.id, False))


def list_changes(since, until, change_type, limit, timezone_name, after=None):
    """Return a Page of changes to the public list from ``since`` on, oldest first.

    ``since`` and ``until`` are inclusive calendar dates in ``timezone_name``
    (``until`` may be None); ``change_type`` is one of CHANGE_TYPES or None.
    An exit carries no grade, and no link unless the organisation is published again.
    """
    conditions = [ListChange.changed_at >= day_start_utc(since, timezone_name)]
    if until is not None:
        conditions.append(ListChange.changed_at < day_end_utc(until, timezone_name))
    if change_type is not None:
        conditions.append(ListChange.change_type == change_type)
    total = db.session.scalar(select(func.count()).select_from(ListChange).where(*conditions))
    statement = public_changes().where(*conditions)
    if after is not None:
        statement = statement.where(rows_after(_CHANGE_KEY, _change_key(after)))
    rows = db.session.execute(statement.order_by(ListChange.changed_at, ListChange.id).limit(limit + 1)).all()
    next_key = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_key = [last.changed_at.isoformat(), last.id]
    lines = []
    for row in rows[:limit]:
        # An exit never shows a grade: nothing may suggest why it left.
        old_grade, new_grade = shown_grades(row)
        lines.append(
            {
                "changed_at": iso_time(row.changed_at),
                "date": iso_date(local_date(row.changed_at, timezone_name)),
                "publication_version": row.publication_version,
                "uscc": row.uscc,
                "name": row.name,
                "change_type": row.change_type,
                "old_grade": old_grade,
                "new_grade": new_grade,
                "currently_published": bool(row.is_published),
                "exit_reason": public_exit_reason(row.change_type, row.reason),
                "exit_reason_label": (
                    label(EXIT_REASON_LABELS, public_exit_reason(row.change_type, row.reason))
                    if row.change_type == CHANGE_EXIT
                    else None
                ),
            }
        )
    return Page(lines, total, next_key)


def _change_key(values):
    try:
        changed_at, change_id = values
        if not isinstance(change_id, int) or isinstance(change_id, bool):
            raise TypeError(change_id)
        return [datetime.fromisoformat(changed_at), change_id]
    except (TypeError, ValueError) as error:
        raise InvalidCursor(values) from error
