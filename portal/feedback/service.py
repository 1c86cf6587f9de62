"""Reports of errors on the site: checked, cleaned and stored; listed and closed by staff."""

from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.characters import clean_text
from portal.clock import utcnow
from portal.complaints import crypto
from portal.extensions import db
from portal.feedback.models import CATEGORIES, SiteErrorReport

MAX_PAGE = 500
MAX_CONTACT = 100
MAX_NOTE = 500
MIN_DESCRIPTION = 5
REPORTS_PER_PAGE = 50


class ReportInvalid(ValueError):
    """The report cannot be stored as sent: ``errors`` maps each field to its message."""

    def __init__(self, errors):
        super().__init__(", ".join(errors))
        self.errors = errors


def page_on_this_site(value, public_base_url):
    """Return ``value`` as a path on this site ("/orgs?grade=A"), or None if it points elsewhere.

    An absolute address is accepted when it is on PUBLIC_BASE_URL; any other
    host, a protocol-relative address or a control character is not.
    """
    value = (value or "").strip()
    if not value or len(value) > MAX_PAGE or any(ord(character) < 32 or ord(character) == 127 for character in value):
        return None
    if value.startswith(public_base_url + "/") or value == public_base_url:
        value = value[len(public_base_url) :] or "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def _cleaned(value):
    return clean_text(value or "")[0].strip()


def check(page, category, description, contact, public_base_url, max_description):
    """Return the cleaned fields of a report; raise ReportInvalid with every problem at once."""
    errors = {}
    path = page_on_this_site(page, public_base_url)
    if path is None:
        errors["page"] = _("Give the address of a page of this site, for example /orgs.")
    if category not in CATEGORIES:
        errors["category"] = _("Choose what kind of error you found.")
    description = _cleaned(description)
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = _("Describe the error in at least %(num)s characters.", num=MIN_DESCRIPTION)
    elif len(description) > max_description:
        errors["description"] = _("The description is too long (at most %(num)s characters).", num=max_description)
    contact = _cleaned(contact)
    if len(contact) > MAX_CONTACT:
        errors["contact"] = _("The contact details are too long (at most %(num)s characters).", num=MAX_CONTACT)
    if errors:
        raise ReportInvalid(errors)
    return {"page": path, "category": category, "description": description, "contact": contact or None}


def submit(page, category, description, contact, language, public_base_url, max_description):
    """Check and store a report; return it. Raise ReportInvalid if it cannot be stored as sent."""
    fields = check(page, category, description, contact, public_base_url, max_description)
    report = SiteErrorReport(
        page=fields["page"],
        category=fields["category"],
        description=fields["description"],
        contact_token=crypto.encrypt(fields["contact"]),
        language=language,
        status="new",
        created_at=utcnow(),
    )
    db.session.add(report)
    db.session.commit()
    return report


def reports(status, page_number):
    """Return (reports of ``status`` newest first on page ``page_number``, number of pages)."""
    query = select(SiteErrorReport).where(SiteErrorReport.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // REPORTS_PER_PAGE))
    rows = db.session.scalars(
        query.order_by(SiteErrorReport.created_at.desc(), SiteErrorReport.id.desc())
        .limit(REPORTS_PER_PAGE)
        .offset((min(page_number, pages) - 1) * REPORTS_PER_PAGE)
    ).all()
    return rows, pages


def counts():
    """Return {status: number of reports}."""
    return dict(db.session.execute(select(SiteErrorReport.status, func.count()).group_by(SiteErrorReport.status)).all())


def contact_of(report):
    """Return the reader's contact details in clear, or None."""
    return crypto.decrypt(report.contact_token)


def mark_handled(report_id, staff_id, note):
    """Close a report with an optional note; return it, or None if there is no such report."""
    report = db.session.get(SiteErrorReport, report_id)
    if report is None:
        return None
    if report.status != "handled":
        report.status = "handled"
        report.handled_at = utcnow()
        report.handled_by_id = staff_id
        report.handling_note = _cleaned(note)[:MAX_NOTE] or None
        db.session.commit()
    return report
