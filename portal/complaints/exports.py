"""The export of concluded complaints (`flask complaints export`): no personal data."""

from sqlalchemy import select

from portal.clock import utcnow
from portal.complaints.models import Complaint
from portal.complaints.validation import local_date
from portal.extensions import db


def export_concluded(since=None, until=None, now=None):
    """Yield the export of concluded complaints as dicts: a header, one per complaint, one per organisation.

    No personal data: no description, contact details, names typed by the
    public or staff notes. ``since``/``until`` bound ``concluded_at`` (naive UTC).
    """
    now = now or utcnow()
    conditions = [Complaint.state == "concluded"]
    if since:
        conditions.append(Complaint.concluded_at >= since)
    if until:
        conditions.append(Complaint.concluded_at < until)
    query = select(Complaint).where(*conditions).order_by(Complaint.concluded_at, Complaint.id)
    organisations = {}
    complaints = []
    for complaint in db.session.scalars(query):
        parent = complaint.same_concern_as.tracking_number if complaint.same_concern_as else None
        complaints.append(
            {
                "type": "complaint",
                "tracking_number": complaint.tracking_number,
                "uscc": complaint.uscc,
                "category": complaint.category,
                "outcome": complaint.outcome,
                "submitted_on": local_date(complaint.created_at).isoformat(),
                "concluded_on": local_date(complaint.concluded_at).isoformat() if complaint.concluded_at else None,
                "same_concern_as": parent,
            }
        )
        if complaint.uscc:
            summary = organisations.setdefault(
                complaint.uscc,
                {"type": "organisation", "uscc": complaint.uscc, "concluded": 0, "outcomes": {}, "categories": {}},
            )
            summary["concluded"] += 1
            outcome = complaint.outcome or "unknown"
            summary["outcomes"][outcome] = summary["outcomes"].get(outcome, 0) + 1
            summary["categories"][complaint.category] = summary["categories"].get(complaint.category, 0) + 1
    yield {
        "type": "export",
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "concluded_since": since.isoformat() + "Z" if since else None,
        "concluded_until": until.isoformat() + "Z" if until else None,
        "complaints": len(complaints),
        "organisations": len(organisations),
    }
    yield from complaints
    for uscc in sorted(organisations):
        yield organisations[uscc]
