"""Changes to the public list (entries, exits, grade changes), oldest first, by cursor."""

from datetime import datetime

from sqlalchemy import func, select

from portal.api.service.paging import InvalidCursor, Page, rows_after
from portal.api.service.values import iso_date, iso_time
from portal.extensions import db
from portal.publication.changes import change_conditions, public_changes, public_changes_statement
from portal.publication.models import ListChange


_CHANGE_KEY = ((ListChange.changed_at, False), (ListChange.id, False))


def list_changes(since, until, change_type, limit, timezone_name, after=None):
    """Return a Page of changes to the public list from ``since`` on, oldest first.

    ``since`` and ``until`` are inclusive calendar dates in ``timezone_name``
    (``until`` may be None); ``change_type`` is one of CHANGE_TYPES or None.
    An exit carries no grade, and no link unless the organisation is published again.
    """
    conditions = change_conditions(change_type, since, until, timezone_name)
    total = db.session.scalar(select(func.count()).select_from(ListChange).where(*conditions))
    statement = public_changes_statement().where(*conditions)
    if after is not None:
        statement = statement.where(rows_after(_CHANGE_KEY, _change_key(after)))
    changes = public_changes(statement.order_by(ListChange.changed_at, ListChange.id).limit(limit + 1), timezone_name)
    next_key = None
    if len(changes) > limit:
        last = changes[limit - 1]
        next_key = [last.changed_at.isoformat(), last.id]
    lines = [
        {
            "changed_at": iso_time(change.changed_at),
            "date": iso_date(change.day),
            "publication_version": change.publication_version,
            "uscc": change.uscc,
            "name": change.name,
            "change_type": change.change_type,
            "old_grade": change.old_grade,
            "new_grade": change.new_grade,
            "currently_published": change.currently_published,
        }
        for change in changes[:limit]
    ]
    return Page(lines, total, next_key)


def _change_key(values):
    try:
        changed_at, change_id = values
        if not isinstance(change_id, int) or isinstance(change_id, bool):
            raise TypeError(change_id)
        return [datetime.fromisoformat(changed_at), change_id]
    except (TypeError, ValueError) as error:
        raise InvalidCursor(values) from error
