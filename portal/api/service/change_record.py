"""One published organisation's change record (变更记录): its public fields as the sync saw them change."""

from portal.api.service.values import iso_date, iso_time, label
from portal.clock import local_date
from portal.publication.field_history import FIELD_LABELS, published_field_history


def organisation_change_record(uscc, limit, timezone_name):
    """Return (the newest ``limit`` changes of ``uscc`` as JSON-ready dicts, their total); None unless published now."""
    history = published_field_history(uscc, limit)
    if history is None:
        return None
    rows, total = history
    return [
        {
            "changed_at": iso_time(row.changed_at),
            "date": iso_date(local_date(row.changed_at, timezone_name)),
            "publication_version": row.publication_version,
            "field": row.field,
            "field_label": label(FIELD_LABELS, row.field),
            "old_value": row.old_value,
            "new_value": row.new_value,
        }
        for row in rows
    ], total
