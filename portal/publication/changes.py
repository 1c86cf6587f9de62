"""The changes to the public list, as the public may see them.

Every surface that lists changes reads them through here, so that all agree
on two rules: whether the organisation is published now (only then is there
a report to link to), and that an exit shows no grade at all, neither the old
one nor the new one, so that nothing suggests why it left.
"""

from sqlalchemy import select

from portal.publication.models import CHANGE_EXIT, ListChange, Organisation


def public_changes():
    """Return a SELECT of the list changes, each with ``is_published``: whether its organisation is published now."""
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


def shown_grades(change):
    """Return (old grade, new grade) of a change as the public sees them: none for an exit."""
    if change.change_type == CHANGE_EXIT:
        return None, None
    return change.old_grade, change.new_grade
