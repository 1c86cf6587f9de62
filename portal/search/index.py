"""The search index: build it, keep it caught up with the portal DB, open searchers.

Layout of ``INDEX_DIR`` (one folder per node)::

    INDEX_DIR/
      current -> generations/20260101T023000-1a2b3c   (relative symlink)
      generations/<id>/        a complete Whoosh index, and portal-index.json
      write.lock               held by whoever writes (rebuild or catch-up)

``portal-index.json`` in each generation records the publication version that
generation reflects, so the index and its version are swapped in together.

Only the scheduler process writes (the nightly sync calls ``catch_up``);
web workers only read, through ``get_searcher``.
"""

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid

import whoosh.index
from flask import current_app, g, has_app_context
from sqlalchemy import select
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, W3Segment
from whoosh.codec.whoosh3 import _lenfield as _lengths_field
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from portal import clock
from portal.chinese import name_readings, name_sort_key
from portal.publication.models import Organisation, PublicationState
from portal.publication.state import PUBLISHED
from portal.search import SEARCHER_KEY
from portal.search.analysis import former, initialize_jieba
from portal.index_folder import (  # noqa: F401 (index_metadata and index_version: read here by callers)
    CURRENT_LINK,
    METADATA_FILE,
    current_generation_path,
    index_metadata,
    index_version,
)
from portal.index_folder import read_metadata as _read_metadata
from portal.search.schema import (
    EVALUATION_NONE,
    NAME_SEPARATOR_TOKEN,
    SCHEMA_VERSION,
    build_schema,
)

log = logging.getLogger(__name__)

GENERATIONS_DIR = "generations"
LOCK_FILE = "write.lock"

#: Seconds a Whoosh writer waits for the index's own lock before LockError.
WRITER_TIMEOUT = 120.0
#: Seconds a rebuild or catch-up waits for another one on this node to finish
#: (a 60,000-organisation rebuild takes about a minute).
WRITE_LOCK_TIMEOUT = 600.0
#: Organisations read from the DB per query.
CHUNK_SIZE = 2000
#: Memory per Whoosh writer (each sub-process has its own) before it spills
#: postings to disk. Whoosh pickles a spilled run posting by posting: on
#: 60,000 organisations 256 MB spilled and took 40% more CPU than 512 MB
#: (peak 630 MB against 770 MB per sub-process).
WRITER_LIMIT_MB = 512
#: Below this many organisations the build stays in one process: it takes
#: seconds either way (3,000: 4.0 s, or 3.2 s with two), without forking.
PARALLEL_BUILD_MINIMUM = 5000
#: Organisations per writer in a rebuild: each writer commits its own
#: segments, unmerged. One writer for 900,000 spilled its postings to disk in
#: 12 runs of 350 MB per indexing process (pickled posting by posting, merged
#: again at the end; 30,000 per process fit in ``WRITER_LIMIT_MB``). Batches
#: of 150,000 bound that to two runs per process and a process's memory to
#: about 1 GB, for 12 segments at 900,000: each segment costs a query one more
#: term lookup, and with fewer than ~25 segments Whoosh's default merge policy
#: never folds them together at a catch-up. 900,000 took 30 minutes (2,342
#: CPU-seconds) this way on 2 shared cores; the single writer had not got
#: half way in 32 (``docs/benchmarks.md``).
REBUILD_BATCH_SIZE = 150000

#: The columns an index document is made of: rows are read as tuples of these
#: rather than as ORM objects (no identity map, and no unused columns).
INDEXED_COLUMNS = (
    Organisation.uscc,
    Organisation.name,
    Organisation.former_names,
    Organisation.org_type,
    Organisation.district_code,
    Organisation.legal_representative,
    Organisation.registered_on,
    Organisation.address,
    Organisation.business_scope,
    Organisation.evaluation_level,
    Organisation.score,
    Organisation.grade,
)


class SearchIndexMissing(Exception):
    """There is no search index in the index folder yet (run ``flask search rebuild``)."""


class IndexBusy(Exception):
    """Another rebuild or catch-up of this node's index did not finish in time."""


# --- Reading the portal DB ---------------------------------------------------


def publication_version(session):
    """Return the current publication version from the portal DB (0 before any sync)."""
    version = session.execute(select(PublicationState.version).where(PublicationState.id == 1)).scalar()
    return version or 0


def published_usccs(session):
    """Return the USCCs of all published organisations, sorted."""
    statement = select(Organisation.uscc).where(PUBLISHED).order_by(Organisation.uscc)
    return list(session.execute(statement).scalars())


def iter_organisation_rows(session, usccs, chunk_size=CHUNK_SIZE):
    """Yield the indexed columns of the published organisations among ``usccs``.

    Rows are read in chunks, each a short query by primary key, rather than
    through one long cursor with ``yield_per``: on SQLite an open cursor holds
    a shared lock for the whole minute of a build, which blocks the sync's
    commit, and SQLite sorts a keyset query on ``is_published`` again for
    every chunk. Only the keys are held in memory. A row that changes between
    chunks is no harm: it carries a newer ``changed_in_version`` than the
    version the index records, so the next catch-up redoes it.
    """
    usccs = sorted(usccs)
    for start in range(0, len(usccs), chunk_size):
        # Publication is checked here, not in the WHERE clause: with it there,
        # SQLite looks the chunk up through an index on is_published (true
        # for nearly every row) instead of the primary key, reading the whole
        # table for each chunk: 5 s a chunk on 900,000 rows, against 12 ms.
        statement = (
            select(*INDEXED_COLUMNS, Organisation.is_published)
            .where(Organisation.uscc.in_(usccs[start : start + chunk_size]))
            .order_by(Organisation.uscc)
        )
        for row in session.execute(statement):
            if row.is_published:
                yield row


def document_for(org):
    """Return the index document of one published organisation.

    ``org`` is an ``Organisation`` or any row with the ``INDEXED_COLUMNS``.
    """
    former_names = [name for name in (org.former_names or []) if name and name != org.name]
    names = [org.name, *former_names]
    readings = [name_readings(name) for name in names]
    document = {
        "uscc": org.uscc,
        "uscc_prefix": org.uscc,
        "name": org.name,
        "former_names": "\n".join(former_names),
        "name_bigrams": "\n".join(names),
        "name_pinyin": f" {NAME_SEPARATOR_TOKEN} ".join(" ".join(reading.syllables) for reading in readings),
        "name_initials": " ".join(reading.initials for reading in readings),
        "legal_representative": org.legal_representative,
        "address": org.address,
        "business_scope": org.business_scope,
        "district_code": org.district_code,
        "org_type": org.org_type,
        "grade": org.grade,
        "evaluation_level": str(org.evaluation_level) if org.evaluation_level else EVALUATION_NONE,
        "score": org.score,
        "registered_on": org.registered_on,
        "score_sort": int(org.score * 100) if org.score is not None else None,
        "registered_sort": int(org.registered_on.strftime("%Y%m%d")) if org.registered_on else None,
        "name_sort": name_sort_key(org.name).encode("utf-8"),
    }
    return {field: value for field, value in document.items() if value is not None and value != ""}


# --- The index folder ----------------------------------------------------------


def _generations_path(index_dir):
    return os.path.join(index_dir, GENERATIONS_DIR)


def _write_metadata(generation_path, metadata):
    # Written beside the index and renamed into place, so a reader never sees
    # half a file, and a crash leaves the previous record.
    path = os.path.join(generation_path, METADATA_FILE)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(metadata, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    _fsync_directory(generation_path)


def _fsync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _now():
    return clock.now().isoformat(timespec="seconds")


def _folder_size(path):
    total = 0
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            total += entry.stat().st_size
    return total


def index_status(index_dir, session=None):
    """Describe the node's index: documents, version, size; with ``session``, how far behind it is."""
    status = {"index_dir": index_dir, "exists": False}
    if session is not None:
        status["publication_version"] = publication_version(session)
    path = current_generation_path(index_dir)
    metadata = _read_metadata(path) if path else None
    if metadata is None:
        return status
    with _storage(path).open_index().reader() as reader:
        documents = reader.doc_count()
        segments = len(reader.leaf_readers())
    status.update(
        exists=True,
        path=path,
        generation=os.path.basename(path),
        documents=documents,
        segments=segments,
        version=metadata["version"],
        schema_version=metadata.get("schema_version"),
        schema_current=metadata.get("schema_version") == SCHEMA_VERSION,
        built_at=metadata.get("built_at"),
        updated_at=metadata.get("updated_at"),
        size_bytes=_folder_size(path),
    )
    if session is not None:
        status["behind"] = status["publication_version"] - metadata["version"]
    return status


@contextlib.contextmanager
def index_write_lock(index_dir, timeout=WRITE_LOCK_TIMEOUT):
    """Hold this node's index write lock, so a rebuild and a catch-up never overlap.

    Whoosh's own lock lives inside one generation's folder, so it cannot stop
    a catch-up writing to the generation a rebuild is about to replace. This
    lock is on the index folder; the OS releases it if the process dies.
    """
    os.makedirs(index_dir, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(os.path.join(index_dir, LOCK_FILE), "a+") as lock_file:
        while True:
            try:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusy(f"another process has held {index_dir}/{LOCK_FILE} for {timeout:.0f} s") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def _storage(generation_path):
    # Without mmap: whoosh-reloaded copies every mmapped file it reads into a
    # BytesIO, which cost 70 MB per reader on opening and 156 MB after a few
    # queries (and 44 ms against 8 ms to open), for no faster queries. Plain
    # reads share the OS page cache between workers.
    return FileStorage(generation_path, supports_mmap=False)


def _new_generation_path(index_dir):
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    path = os.path.join(_generations_path(index_dir), f"{stamp}-{uuid.uuid4().hex[:6]}")
    os.makedirs(path)
    return path


def _swap_current(index_dir, generation_path):
    """Point ``current`` at a new generation in one rename; return the previous one."""
    previous = current_generation_path(index_dir)
    link = os.path.join(index_dir, CURRENT_LINK)
    temporary = f"{link}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    os.symlink(os.path.relpath(generation_path, index_dir), temporary)
    os.replace(temporary, link)
    _fsync_directory(index_dir)
    return previous


def _remove_old_generations(index_dir, keep):
    # The previous generation is kept until the next rebuild: a searcher opened
    # just before the swap still reads it. Anything else is a finished
    # generation from long ago or an abandoned half-build (we hold the lock,
    # so no build is in progress).
    keep = {os.path.realpath(path) for path in keep if path}
    generations = _generations_path(index_dir)
    for entry in os.scandir(generations):
        if entry.is_dir(follow_symlinks=False) and os.path.realpath(entry.path) not in keep:
            shutil.rmtree(entry.path, ignore_errors=True)


def _ensure_jieba(jieba_cache_dir):
    if jieba_cache_dir is None and has_app_context():
        jieba_cache_dir = current_app.config.get("JIEBA_CACHE_DIR")
    initialize_jieba(jieba_cache_dir)


# --- Writing -------------------------------------------------------------------


def rebuild(
    index_dir,
    session,
    progress=None,
    procs=None,
    jieba_cache_dir=None,
    lock_timeout=WRITE_LOCK_TIMEOUT,
    batch_size=REBUILD_BATCH_SIZE,
):
    """Build a complete new index of the published organisations and swap it in.

    ``progress(done, total)`` is called as documents are added. ``procs`` is the
    number of indexing processes (default: 2 on a large build, else 1).
    ``batch_size`` organisations are indexed per writer (see ``REBUILD_BATCH_SIZE``).
    Returns a summary: documents, version, seconds, size_bytes, path.
    """
    # A new folder swapped in by renaming a symlink, rather than a writer on
    # the live index committing with mergetype=CLEAR: the schema comes from the
    # code on every rebuild (CLEAR keeps the old index's schema), a corrupt or
    # missing index is rebuilt without being opened, and the index and the
    # version it reflects change in the same rename.
    _ensure_jieba(jieba_cache_dir)
    with index_write_lock(index_dir, lock_timeout):
        started = time.perf_counter()
        # Read the version before the rows: the rows are then at least as new
        # as the version recorded, and anything newer is redone by catch_up.
        version = publication_version(session)
        usccs = published_usccs(session)
        total = len(usccs)
        if procs is None:
            procs = min(2, os.cpu_count() or 1) if total >= PARALLEL_BUILD_MINIMUM else 1
        generation_path = _new_generation_path(index_dir)
        try:
            ix = whoosh.index.create_in(generation_path, build_schema())
            documents = 0
            for start in range(0, max(total, 1), batch_size):
                # multisegment: each process's segment is kept as it is, rather
                # than merged into one by the parent alone afterwards
                # (single-threaded; it halved the build in the team's
                # measurements); merge=False keeps earlier batches' segments.
                writer = ix.writer(
                    timeout=WRITER_TIMEOUT,
                    procs=procs,
                    limitmb=WRITER_LIMIT_MB,
                    multisegment=procs > 1,
                    codec=_WriterCodec(),
                )
                try:
                    for row in iter_organisation_rows(session, usccs[start : start + batch_size]):
                        writer.add_document(**document_for(row))
                        documents += 1
                        if progress is not None and documents % 500 == 0:
                            progress(documents, total)
                    writer.commit(merge=False)
                except BaseException:
                    _abandon(writer)
                    _stop_indexing_processes(writer)
                    raise
            if progress is not None:
                progress(documents, total)
            ix.close()
            now = _now()
            _write_metadata(
                generation_path,
                {"version": version, "schema_version": SCHEMA_VERSION, "built_at": now, "updated_at": now},
            )
        except BaseException:
            shutil.rmtree(generation_path, ignore_errors=True)
            raise
        previous = _swap_current(index_dir, generation_path)
        _remove_old_generations(index_dir, keep=(generation_path, previous))
        seconds = time.perf_counter() - started
    log.info("search index rebuilt: %d documents, version %d, %.1f s", documents, version, seconds)
    return {
        "action": "rebuild",
        "documents": documents,
        "version": version,
        "seconds": seconds,
        "size_bytes": _folder_size(generation_path),
        "path": generation_path,
        "procs": procs,
    }


class _WriterCodec(W3Codec):
    """Whoosh's W3 codec, for writers: it records the plain W3 codec in the index.

    When a writer sorts its postings into a segment it asks, for every
    posting, the length of the posting's field in its document. For a field
    without lengths (IDs, the free-text fields: not scorable) Whoosh looks
    for the lengths file on disk again each time (an ``os.stat``): 8 µs of a
    posting's ~20, a quarter of a build. Its reader here remembers that the
    file is not there.
    """

    def new_segment(self, storage, indexname):
        # The index's table of contents pickles the segment's codec: keep it
        # the stock one, so that readers do not depend on this class.
        return W3Segment(W3Codec(), indexname)

    def per_document_reader(self, storage, segment):
        return _WriterPerDocumentReader(storage, segment)


class _WriterPerDocumentReader(W3PerDocReader):
    def __init__(self, storage, segment):
        super().__init__(storage, segment)
        self._lengths_of = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        # The columns were written before this reader was made: a field
        # without lengths stays without, and is answered from a dict.
        try:
            reader = self._lengths_of[fieldname]
        except KeyError:
            reader = self._lengths_of[fieldname] = self._cached_reader(_lengths_field(fieldname), LENGTHS_COLUMN)
        if reader is None:
            return default
        return super().doc_field_length(docnum, fieldname, default)


def _stop_indexing_processes(writer):
    # MpWriter.cancel() only flags its own copies of the sub-process objects:
    # the sub-processes would index on, or wait for work forever, and then
    # fail on the folder removed under them.
    for task in getattr(writer, "tasks", ()):
        task.terminate()
        task.join()


def catch_up(index_dir, session, jieba_cache_dir=None, lock_timeout=WRITE_LOCK_TIMEOUT):
    """Bring the index up to the portal DB's publication version.

    Re-indexes the organisations changed since the version the index records,
    or rebuilds if there is no index, or it was built with another schema, or
    it is ahead of the DB (a restored DB). Safe to re-run at any point: a
    crash after the index commit but before the version is recorded only means
    the same organisations are redone. Returns a summary with ``action``
    ("none", "catch_up" or "rebuild").
    """
    _ensure_jieba(jieba_cache_dir)
    with index_write_lock(index_dir, lock_timeout):
        generation_path = current_generation_path(index_dir)
        metadata = _read_metadata(generation_path) if generation_path else None
        target_version = publication_version(session)
        reason = None
        if metadata is None:
            reason = "no index"
        elif metadata.get("schema_version") != SCHEMA_VERSION:
            reason = f"schema version {metadata.get('schema_version')} is not {SCHEMA_VERSION}"
        elif metadata["version"] > target_version:
            reason = f"index version {metadata['version']} is ahead of the database's {target_version}"
        if reason is None:
            return _catch_up_locked(generation_path, metadata, target_version, session)
    log.info("search index rebuild instead of catch-up: %s", reason)
    summary = rebuild(index_dir, session, jieba_cache_dir=jieba_cache_dir, lock_timeout=lock_timeout)
    summary["reason"] = reason
    return summary


def _abandon(writer):
    """Cancel a writer that failed, and release its lock even if cancelling fails too.

    Whoosh's cancel() first closes the segment, which writes: on a full disk
    it raises before releasing the write lock, and this process could never
    write the index again (LockError) until restarted.
    """
    try:
        writer.cancel()
    except Exception:
        log.warning("cancelling a failed index writer failed too; releasing its lock", exc_info=True)
        lock = getattr(writer, "writelock", None)
        if lock is not None and not getattr(writer, "is_closed", True):
            try:
                lock.release()
            except Exception:
                log.warning("could not release the index write lock", exc_info=True)
        writer.is_closed = True


def _catch_up_locked(generation_path, metadata, target_version, session):
    started = time.perf_counter()
    from_version = metadata["version"]
    summary = {"action": "none", "from_version": from_version, "version": target_version, "deleted": 0, "added": 0}
    # Every changed organisation is deleted, and the published ones re-added:
    # all deletes first, then all adds, in one writer (update_document per
    # document opens a searcher each time: 148 s against 6.4 s for 3,000).
    changed_since = select(Organisation.uscc).where(Organisation.changed_in_version > from_version)
    changed = set(session.execute(changed_since).scalars())
    if changed:
        ix = _storage(generation_path).open_index()
        try:
            writer = ix.writer(timeout=WRITER_TIMEOUT, limitmb=WRITER_LIMIT_MB, codec=_WriterCodec())
            try:
                searcher = writer.searcher()
                deleted = sum(writer.delete_by_term("uscc", uscc, searcher=searcher) for uscc in sorted(changed))
                added = 0
                # Only what was deleted above: an organisation that changed
                # since is left for the next catch-up, never indexed twice.
                for row in iter_organisation_rows(session, changed):
                    writer.add_document(**document_for(row))
                    added += 1
                writer.commit()
            except BaseException:
                _abandon(writer)
                raise
        finally:
            ix.close()
        summary.update(action="catch_up", deleted=deleted, added=added)
    if changed or from_version != target_version:
        _write_metadata(generation_path, {**metadata, "version": target_version, "updated_at": _now()})
    summary["seconds"] = time.perf_counter() - started
    if changed:
        log.info(
            "search index caught up from version %d to %d: %d deleted, %d added, %.2f s",
            from_version,
            target_version,
            summary["deleted"],
            summary["added"],
            summary["seconds"],
        )
    return summary


# --- Reading: one searcher per request -------------------------------------------

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
        self.index = _storage(path).open_index()
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
        _ensure_jieba(current_app.config.get("JIEBA_CACHE_DIR"))
        searcher = open_searcher(current_app.config["INDEX_DIR"])
        setattr(g, SEARCHER_KEY, searcher)
    return searcher


# --- Name search for other features ---------------------------------------------------


def names_query(text, schema):
    """Return a Whoosh query for organisations by name, USCC (prefix), pinyin or initials.

    For features that want a Whoosh query (the search pages use
    ``portal.search.service``, which looks the same terms up as bitmaps).
    ``text`` is plain text: it is analysed into terms with the functions the
    index is built with and never given to Whoosh's query parser, so AND,
    OR, brackets, quotes and * mean nothing. Returns
    ``whoosh.query.NullQuery`` if nothing in the text can match.
    """
    from portal.search.query import plan_query

    plan = plan_query(text, lambda words: schema["name"].process_text(words, mode="query"))
    if plan.empty or plan.too_short:
        return wq.NullQuery

    def all_of(fieldname, terms, boost=1.0):
        return wq.And([wq.Term(fieldname, term) for term in terms], boost=boost)

    subqueries = []
    if plan.words:
        subqueries.append(all_of("name", plan.words, boost=3.0))
    if plan.bigrams:
        subqueries.append(all_of("name_bigrams", plan.bigrams))
        subqueries.append(all_of("name_bigrams", former(plan.bigrams), boost=0.5))
    if plan.uscc_exact:
        subqueries.append(wq.Term("uscc", plan.uscc_exact, boost=10.0))
    if plan.uscc_prefix:
        subqueries.append(wq.Term("uscc_prefix", plan.uscc_prefix, boost=5.0))
    elif plan.uscc_long_prefix:
        subqueries.append(wq.Prefix("uscc", plan.uscc_long_prefix, boost=5.0))
    for pairs in plan.pinyin_pairs:
        subqueries.append(all_of("name_pinyin", pairs))
    if plan.initials:
        subqueries.append(all_of("name_initials", plan.initials))
    if plan.person:
        subqueries.append(all_of("legal_representative", plan.person, boost=0.5))
    return wq.Or(subqueries) if subqueries else wq.NullQuery
