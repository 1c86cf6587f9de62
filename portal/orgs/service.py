"""What the public may see of the organisations: published rows only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, true

from portal.extensions import db
from portal.orgs.models import Organisation
from portal.reference import PUBLISHED_GRADES
from portal.sync import service as sync_service

# Every public query starts from this condition; publication is decided by the sync.
_PUBLISHED = Organisation.is_published == true()


@dataclass(frozen=True)
class Publication:
    """What the public currently sees: the publication version, when the data was read, how many."""

    version: int = 0
    data_as_of: datetime | None = None
    published_count: int = 0


@dataclass(frozen=True)
class PublicationSummary:
    """The publication, and how many organisations it shows: in all, and by grade."""

    publication: Publication
    total: int
    by_grade: dict


def read_publication():
    """Return the current Publication, as plain data (an empty one before the first sync)."""
    state = sync_service.publication_state()
    if state is None:
        return Publication()
    return Publication(state.version, state.data_as_of, state.published_count)


def publication_summary(publication=None):
    """Return the publication with the number of published organisations, in all and by grade.

    Pass ``publication`` if the caller has already read it.
    """
    rows = db.session.execute(
        select(Organisation.grade, func.count()).where(_PUBLISHED).group_by(Organisation.grade)
    ).all()
    by_grade = {grade: 0 for grade in PUBLISHED_GRADES}
    by_grade.update({grade: count for grade, count in rows})
    return PublicationSummary(publication or read_publication(), sum(by_grade.values()), by_grade)


def page_count(total, per_page):
    """Return the number of pages of ``total`` rows (at least one, which may be empty)."""
    return max(1, -(-total // per_page))


def published_organisations(page, per_page):
    """Return (rows, total): one page of published organisations in pinyin order, and their number.

    A page past the end gives no rows, without asking the database for them.
    """
    total = db.session.scalar(select(func.count()).select_from(Organisation).where(_PUBLISHED))
    offset = (page - 1) * per_page
    if offset >= total:
        return [], total
    rows = db.session.execute(
        select(Organisation.name, Organisation.uscc, Organisation.org_type, Organisation.grade)
        .where(_PUBLISHED)
        .order_by(Organisation.name_pinyin, Organisation.uscc)
        .limit(per_page)
        .offset(offset)
    ).all()
    return rows, total
