"""What is published now: the condition every public query starts from, and the publication state.

Publication is decided by the sync (``portal.publication.decision``) and
recorded on each organisation (``is_published``) and in the one-row
``PublicationState`` (its version, when the data was read, how many are
published). Readers ask here; none decides for itself.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, true

from portal.extensions import db
from portal.grades import PUBLISHED_GRADES
from portal.publication.models import Organisation, PublicationState

log = logging.getLogger(__name__)

#: The condition of "published now": every public query of organisations starts from it.
PUBLISHED = Organisation.is_published == true()


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


_PUBLICATION_QUERY = select(
    PublicationState.version, PublicationState.data_as_of, PublicationState.published_count
).where(PublicationState.id == 1)


def read_publication():
    """Return the current Publication, as plain data (an empty one before the first sync)."""
    # Every public request asks this (the page cache is keyed by it): a Core
    # statement on the session's connection, without the ORM, is half the cost.
    # The clause routes it as the page's own reads are (to the replica, on a
    # GET), so a page is never cached under a state its data has not reached.
    connection = db.session.connection(bind_arguments={"clause": _PUBLICATION_QUERY})
    state = connection.execute(_PUBLICATION_QUERY).first()
    if state is None:
        return Publication()
    return Publication(*state)


def publication_state():
    """Return the current PublicationState row, or None before the first successful sync."""
    return db.session.get(PublicationState, 1)


def publication_summary(publication=None):
    """Return the publication with the number of published organisations, in all and by grade.

    Pass ``publication`` if the caller has already read it.
    """
    rows = db.session.execute(
        select(Organisation.grade, func.count()).where(PUBLISHED).group_by(Organisation.grade)
    ).all()
    by_grade = {grade: 0 for grade in PUBLISHED_GRADES}
    by_grade.update({grade: count for grade, count in rows})
    return PublicationSummary(publication or read_publication(), sum(by_grade.values()), by_grade)


# -- after each new publication ---------------------------------------------------


def after_publication(app, callback):
    """Register ``callback(result)`` to run after each successful sync (downloads, caches...).

    Callbacks run in the app context of the sync, after its commit and the
    index catch-up. One that fails is logged and does not fail the sync:
    the publication is already committed, and the next run calls it again.
    """
    app.extensions.setdefault("portal.after_publication", []).append(callback)


def run_after_publication(result):
    """Run the callbacks registered with ``after_publication`` (the sync calls this after its commit)."""
    for callback in current_app.extensions.get("portal.after_publication", []):
        try:
            callback(result)
        except Exception:
            log.exception("after-publication step %s failed; it runs again after the next sync", callback.__name__)
