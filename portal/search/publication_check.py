"""Search hits checked against the committed publication.

A lagging index may miss new entries, never show departed ones.

The index follows the portal DB's publication version, and may lag it: the
catch-up after a sync failed (a full disk, a read-only folder) or has not run
yet on this node. Two checks keep every answer of the index inside the
published list:

1. Hidden documents. When the index's version is behind the publication's,
   the organisations changed since the index's version that are no longer
   published are read once (one query on ``changed_in_version``, which is
   indexed) and their documents are left out of every tier, so counts,
   facets and pages leave them out too. Computed once per process per
   (index state, index version, publication version), like the bitmaps of
   ``portal.search.docsets``.
2. The page itself. The organisations of each page are read by primary key
   (one query of at most a page of codes, on every search, lagging or not):
   one that is not published is hidden as in 1 and the page is made again,
   so that the pages and counts stay consistent; the others are shown with
   the database's name, grade, score and codes rather than the index's copy.

While the index is behind, totals leave out the departed organisations but
cannot count the ones that entered since, and facet counts are the index's:
the pages say so (``SearchResults.index_behind``).
"""

import json
import os
import threading
from collections import OrderedDict

from flask import current_app
from sqlalchemy import false, select

from portal import index_folder
from portal.extensions import db
from portal.publication.models import Organisation, PublicationState
from portal.search import bitmaps
from portal.search.schema import EVALUATION_NONE

#: Columns read for the organisations of a page: what a hit shows.
PAGE_COLUMNS = (
    Organisation.uscc,
    Organisation.name,
    Organisation.grade,
    Organisation.score,
    Organisation.org_type,
    Organisation.district_code,
    Organisation.evaluation_level,
    Organisation.registered_on,
    Organisation.is_published,
)
#: Hidden sets a process keeps (the current state, and one for a request on the previous one).
STATES_KEPT = 4
#: Times a page is made again after finding departed organisations on it. It
#: happens only in a race with a sync's commit; the last try just drops them.
PAGE_ATTEMPTS = 3

_hidden = OrderedDict()
_hidden_lock = threading.Lock()
_versions = {}


class Visibility:
    """What one index state may show, for one publication version."""

    def __init__(self, key, index_version, publication_version, hidden):
        self.key = key
        self.index_version = index_version
        self.publication_version = publication_version
        self.hidden = hidden

    @property
    def behind(self):
        """Whether the index reflects an older publication than the database's."""
        return self.index_version is None or self.index_version < self.publication_version

    def hide(self, docnums):
        """Hide more documents of this state (departed organisations found on a page)."""
        bitmap = bitmaps.bitmap_of(sorted(docnums))
        with _hidden_lock:
            self.hidden = _hidden.get(self.key, 0) | self.hidden | bitmap
            _hidden[self.key] = self.hidden


def current_publication_version():
    """Return the publication version of the portal DB (0 before the first sync)."""
    version = db.session.execute(select(PublicationState.version).where(PublicationState.id == 1)).scalar()
    return version or 0


def index_version_of(searcher):
    """Return the publication version the searcher's generation records (None if it records none)."""
    storage = getattr(getattr(searcher, "_ix", None), "storage", None)
    generation = getattr(storage, "folder", None)
    if generation is None:
        return index_folder.index_version(current_app.config["INDEX_DIR"])
    # The record of the very generation the searcher reads (a rebuild may swap another in meanwhile).
    path = os.path.join(generation, index_folder.METADATA_FILE)
    try:
        stamp = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None
    cached = _versions.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as handle:
            version = json.load(handle)["version"]
    except (OSError, ValueError, KeyError):
        return None
    if len(_versions) > 16:
        _versions.clear()
    _versions[path] = (stamp, version)
    return version


def visibility(searcher, state, publication_version=None):
    """Return the Visibility of ``state`` (a docsets.IndexState) read through ``searcher``."""
    if publication_version is None:
        publication_version = current_publication_version()
    index_version = index_version_of(searcher)
    key = (state.key, index_version, publication_version)
    with _hidden_lock:
        hidden = _hidden.get(key)
        if hidden is not None:
            _hidden.move_to_end(key)
            return Visibility(key, index_version, publication_version, hidden)
    hidden = 0
    if index_version is not None and index_version < publication_version:
        hidden = _departed_documents(searcher, state, index_version)
    with _hidden_lock:
        hidden = _hidden.setdefault(key, hidden)
        _hidden.move_to_end(key)
        while len(_hidden) > STATES_KEPT:
            _hidden.popitem(last=False)
    return Visibility(key, index_version, publication_version, hidden)


def _departed_documents(searcher, state, index_version):
    """Return the bitmap of documents of organisations unpublished since ``index_version``."""
    departed = db.session.execute(
        select(Organisation.uscc).where(
            Organisation.changed_in_version > index_version, Organisation.is_published == false()
        )
    ).scalars()
    reader = searcher.reader()
    bitmap = 0
    for uscc in departed:
        bitmap |= state.term(reader, "uscc", uscc)
    return bitmap & state.live


def published_rows(usccs):
    """Return {uscc: row of PAGE_COLUMNS} of the codes among ``usccs`` that are published now."""
    if not usccs:
        return {}
    # By primary key only, and publication checked here: with "is_published
    # AND uscc IN (...)" SQLite's planner may scan the published index instead.
    rows = db.session.execute(select(*PAGE_COLUMNS).where(Organisation.uscc.in_(sorted(set(usccs)))))
    return {row.uscc: row for row in rows if row.is_published}


def with_database_values(fields, row):
    """Return a hit's stored fields with what the database says now (the index may lag it)."""
    return {
        **fields,
        "name": row.name,
        "grade": row.grade,
        "score": row.score,
        "org_type": row.org_type,
        "district_code": row.district_code,
        "evaluation_level": str(row.evaluation_level) if row.evaluation_level else EVALUATION_NONE,
        "registered_on": row.registered_on,
    }
