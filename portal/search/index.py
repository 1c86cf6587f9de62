"""The search index of a node: open searchers on it (web workers), and the writer's entry points.

``open_searcher``/``get_searcher`` read the current generation; ``rebuild``
and ``catch_up`` (``portal.search.writer``) write it, in the folder laid out
by ``portal.search.generations``; ``portal.search.documents`` says what a
document holds. Callers outside search use this module only.

Only the scheduler process writes (the nightly sync calls ``catch_up``);
web workers only read, through ``get_searcher``.
"""

import os
import threading

from flask import current_app, g
from whoosh.searching import Searcher

from portal.index_folder import METADATA_FILE, current_generation_path, index_version
from portal.search import SEARCHER_KEY
from portal.search.documents import document_for, iter_organisation_rows, published_usccs
from portal.search.generations import GENERATIONS_DIR, IndexBusy, index_status, index_write_lock, storage
from portal.search.writer import catch_up, ensure_jieba, rebuild

#: The index's public names, for the sync, the CLI, the pages and the API.
__all__ = [
    "GENERATIONS_DIR",
    "IndexBusy",
    "METADATA_FILE",
    "SearchIndexMissing",
    "catch_up",
    "current_generation_path",
    "document_for",
    "get_searcher",
    "index_status",
    "index_version",
    "index_write_lock",
    "iter_organisation_rows",
    "open_searcher",
    "published_usccs",
    "rebuild",
]


class SearchIndexMissing(Exception):
    """There is no search index in the index folder yet (run ``flask search rebuild``)."""



# Each thread keeps one reader and every request gets a cheap searcher on it
# (0.1 ms, against 8 ms to open a reader on 60,000 organisations). Per
# thread, because a reader's files are seek-then-read and not safe to share
# between threads. Filled on first use, never in create_app, so nothing is
# opened before gunicorn forks; the pid check drops anything inherited.
_thread_readers = threading.local()


class _OpenIndex:
    __slots__ = ("pid", "path", "index", "reader")

    def __init__(self, path):
        self.pid = os.getpid()
        self.path = path
        self.index = storage(path).open_index()
        self.reader = self.index.reader()


def _open_index(index_dir):
    path = current_generation_path(index_dir)
    if path is None:
        raise SearchIndexMissing(f"no search index in {index_dir}: run `flask search rebuild`")
    cache = _thread_readers.__dict__.setdefault("by_index_dir", {})
    key = os.path.abspath(index_dir)
    opened = cache.get(key)
    if opened is None or opened.pid != os.getpid() or opened.path != path:
        # First use, or a rebuild swapped in a new generation. The previous
        # reader is dropped, not closed: a searcher of a request still running
        # may be reading it; it is freed with the last reference to it.
        opened = cache[key] = _OpenIndex(path)
    elif opened.index.latest_generation() != opened.reader.generation():
        # A catch-up committed: open a new reader. Not reader(reuse=...):
        # whoosh reuses a segment's reader by segment id, so deletions
        # committed to an existing segment would stay invisible. This happens
        # once per thread per catch-up, not per request.
        opened.reader = opened.index.reader()
    return opened


def open_searcher(index_dir):
    """Return a searcher on the newest state of the node's index.

    It shares this thread's reader: use it within one request (or one job),
    and close it after. Raises ``SearchIndexMissing`` if there is no index.
    """
    try:
        opened = _open_index(index_dir)
    except FileNotFoundError:
        # The generation was swapped out and removed between resolving the
        # link and opening its files (two rebuilds in a row): resolve again.
        _thread_readers.__dict__.get("by_index_dir", {}).pop(os.path.abspath(index_dir), None)
        opened = _open_index(index_dir)
    return Searcher(opened.reader, fromindex=opened.index, closereader=False)


def get_searcher():
    """Return this request's searcher, opening it on first use (closed on teardown)."""
    searcher = g.get(SEARCHER_KEY)
    if searcher is None:
        ensure_jieba(current_app.config.get("JIEBA_CACHE_DIR"))
        searcher = open_searcher(current_app.config["INDEX_DIR"])
        setattr(g, SEARCHER_KEY, searcher)
    return searcher

