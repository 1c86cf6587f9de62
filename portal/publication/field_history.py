"""The change record (变更记录): per-field history of the public fields of listed organisations.

The sync calls ``field_changes`` with each organisation whose row changed; it
returns the rows to keep. A change is kept only when the organisation is in
the public list both before and after it: a change made while it was off the
list (a grade of C, a cancellation) is never recorded, so the record cannot
tell why it left, and an organisation that returns starts from what the
public saw. Readers ask ``published_field_history``, which answers nothing at
all for an organisation that is not published now.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.extensions import db
from portal.publication.models import FieldChange, Organisation
from portal.publication.state import PUBLISHED

#: The public fields whose changes are recorded, in the order a change record lists them.
RECORDED_FIELDS = (
    "name",
    "legal_representative",
    "address",
    "business_scope",
    "supervising_unit",
    "grade",
    "score",
)
FIELD_LABELS = {
    "name": _l("Name"),
    "legal_representative": _l("Legal representative"),
    "address": _l("Address"),
    "business_scope": _l("Business scope"),
    "supervising_unit": _l("Supervising unit"),
    "grade": _l("Credit grade"),
    "score": _l("Credit score"),
}


def recorded_value(value):
    """Return a field's value as the change record keeps it: text, a score with two decimals, or None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    text = str(value)
    return text if text.strip() else None


def field_changes(stamp, current, changed, published):
    """Return the change-record rows of one organisation whose row a sync changes.

    ``stamp`` is the run's ``Stamp`` (run id, version, moment); ``current`` the
    portal's row before the sync; ``changed`` maps column -> new value (only the
    columns that differ); ``published`` whether it is in the list after the sync.
    """
    if not (published and current.is_published):
        return []
    rows = []
    for field in RECORDED_FIELDS:
        if field not in changed:
            continue
        old, new = recorded_value(getattr(current, field)), recorded_value(changed[field])
        if old == new:
            continue
        rows.append(
            {
                "uscc": current.uscc,
                "sync_run_id": stamp.run_id,
                "publication_version": stamp.version,
                "changed_at": stamp.at,
                "field": field,
                "old_value": old,
                "new_value": new,
            }
        )
    return rows


def published_field_history(uscc, limit=None):
    """Return (the change-record rows of ``uscc``, newest first, at most ``limit``; their total).

    None unless the organisation is published now: an unpublished organisation
    has no change record anywhere, and is answered exactly as an unknown code
    (one query, no row).
    """
    if db.session.scalar(select(Organisation.uscc).where(Organisation.uscc == uscc, PUBLISHED)) is None:
        return None
    return field_history(uscc, limit)


def field_history(uscc, limit=None):
    """Return (the change-record rows of ``uscc``, newest first, at most ``limit``; their total), unchecked.

    Only for a caller that has just read ``uscc`` as published (the credit
    report); every other reader asks ``published_field_history``.
    """
    statement = select(FieldChange).where(FieldChange.uscc == uscc).order_by(FieldChange.changed_at.desc(), FieldChange.id)
    if limit is not None:
        statement = statement.limit(limit)
    rows = db.session.scalars(statement).all()
    if limit is None or len(rows) < limit:
        return rows, len(rows)
    return rows, db.session.scalar(select(func.count()).where(FieldChange.uscc == uscc))
