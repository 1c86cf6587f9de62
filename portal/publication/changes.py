"""Changes to the public list as the public may see them.

The one rule of what a change shows, for every surface that lists changes
(the changes page and the home page, the Atom feeds, the JSON API): an exit
carries no grade, neither the one it left with nor the one before, so that
nothing suggests why the organisation left.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from portal.clock import day_end_utc, day_start_utc, local_date
from portal.extensions import db
from portal.publication.models import CHANGE_EXIT, ListChange, Organisation


@dataclass(frozen=True)
class PublicChange:
    """A change to the public list as the public may see it."""

    id: int
    changed_at: datetime
    publication_version: int
    #: The calendar date of ``changed_at`` in the time zone asked for (None if none was).
    day: date | None
    uscc: str
    name: str
    change_type: str
    old_grade: str | None
    new_grade: str | None
    #: Whether the organisation is in the public list now (a link to it may be shown).
    currently_published: bool


def public_changes_statement():
    """Return the SELECT of list changes with what each may show; add conditions, an order and a limit."""
    return select(
        ListChange.id,
        ListChange.changed_at,
        ListChange.publication_version,
        ListChange.uscc,
        ListChange.name,
        ListChange.change_type,
        ListChange.old_grade,
        ListChange.new_grade,
        Organisation.is_published,
    ).outerjoin(Organisation, Organisation.uscc == ListChange.uscc)


def change_conditions(change_type, date_from, date_to, timezone_name):
    """Return the conditions on list changes of one type (None: all) between two inclusive dates (None: open)."""
    conditions = []
    if change_type is not None:
        conditions.append(ListChange.change_type == change_type)
    if date_from is not None:
        conditions.append(ListChange.changed_at >= day_start_utc(date_from, timezone_name))
    if date_to is not None:
        conditions.append(ListChange.changed_at < day_end_utc(date_to, timezone_name))
    return conditions


def public_changes(statement, timezone_name=None):
    """Run ``statement`` (built on public_changes_statement) and return its PublicChanges."""
    return [
        PublicChange(
            row.id,
            row.changed_at,
            row.publication_version,
            local_date(row.changed_at, timezone_name) if timezone_name else None,
            row.uscc,
            row.name,
            row.change_type,
            None if row.change_type == CHANGE_EXIT else row.old_grade,
            None if row.change_type == CHANGE_EXIT else row.new_grade,
            bool(row.is_published),
        )
        for row in db.session.execute(statement)
    ]
