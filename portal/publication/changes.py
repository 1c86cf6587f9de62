"""The changes to the public list, as the public may see them.

Every surface that lists changes reads them through here, so that all agree
on two rules: whether the organisation is published now (only then is there
a report to link to), and that an exit shows no grade at all, neither the old
one nor the new one: it carries one of five public reasons instead (降为C级或D级,
注销登记, 撤销登记, 评分与等级不符, 源数据删除). The first successful sync publishes
the whole list at once: it is told as one line ("首次发布：N 家"), not as N entries.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, not_, select

from portal.extensions import db
from portal.publication.models import CHANGE_ENTRY, CHANGE_EXIT, ListChange, Organisation


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
        ListChange.reason,
        Organisation.is_published,
    ).outerjoin(Organisation, Organisation.uscc == ListChange.uscc)


def shown_grades(change):
    """Return (old grade, new grade) of a change as the public sees them: none for an exit."""
    if change.change_type == CHANGE_EXIT:
        return None, None
    return change.old_grade, change.new_grade


#: The sync's reason for an exit -> the public reason.
EXIT_REASONS = {
    "grade_below_b": "downgraded",
    "cancelled": "deregistered",
    "revoked": "revoked",
    "out_of_band": "score_grade_mismatch",
    "unknown_rule_set": "score_grade_mismatch",
    "removed_from_source": "removed_from_source",
    "no_score": "removed_from_source",
}
EXIT_REASON_LABELS = {
    "downgraded": _l("Downgraded to grade C or D"),
    "deregistered": _l("Registration cancelled (注销登记)"),
    "revoked": _l("Registration revoked (撤销登记)"),
    "score_grade_mismatch": _l("Score and grade do not match"),
    "removed_from_source": _l("Deleted from the source data"),
}


def public_exit_reason(change_type, reason):
    """Return the public reason code of an exit (None for other changes)."""
    if change_type != CHANGE_EXIT:
        return None
    return EXIT_REASONS.get(reason, "removed_from_source")


@dataclass(frozen=True)
class FirstPublication:
    """The first successful sync's entries, told as one line."""

    run_id: int
    changed_at: datetime
    count: int


def first_publication():
    """Return the FirstPublication, or None before any entry was recorded."""
    run_id = db.session.scalar(select(func.min(ListChange.sync_run_id)).where(ListChange.change_type == CHANGE_ENTRY))
    if run_id is None:
        return None
    changed_at, count = db.session.execute(
        select(func.min(ListChange.changed_at), func.count()).where(
            ListChange.sync_run_id == run_id, ListChange.change_type == CHANGE_ENTRY
        )
    ).one()
    return FirstPublication(run_id, changed_at, count)


def without_first_publication(first):
    """Return the condition that leaves out the entries of ``first`` (a FirstPublication or None)."""
    if first is None:
        return True
    return not_(and_(ListChange.sync_run_id == first.run_id, ListChange.change_type == CHANGE_ENTRY))
