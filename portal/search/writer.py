"""Writing the search index: a full rebuild swapped in, or a catch-up to the publication version.

Only the scheduler process writes (the nightly sync calls ``catch_up``);
``flask search rebuild`` builds from scratch. Both hold the node's write lock
(``portal.search.generations.index_write_lock``).
"""

import logging
import os
import shutil
import time

import whoosh.index
from flask import current_app, has_app_context
from sqlalchemy import select
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, W3Segment
from whoosh.codec.whoosh3 import _lenfield as _lengths_field

from portal.index_folder import current_generation_path
from portal.index_folder import read_metadata as _read_metadata
from portal.publication.models import Organisation
from portal.search.analysis import initialize_jieba
from portal.search.documents import document_for, iter_organisation_rows, publication_version, published_usccs
from portal.search.generations import (
    WRITE_LOCK_TIMEOUT,
    folder_size,
    index_write_lock,
    new_generation_path,
    now_text,
    remove_old_generations,
    storage,
    swap_current,
    write_metadata,
)
from portal.search.schema import SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)

#: Seconds a Whoosh writer waits for the index's own lock before LockError.
WRITER_TIMEOUT = 120.0
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


def ensure_jieba(jieba_cache_dir):
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
    ensure_jieba(jieba_cache_dir)
    with index_write_lock(index_dir, lock_timeout):
        started = time.perf_counter()
        # Read the version before the rows: the rows are then at least as new
        # as the version recorded, and anything newer is redone by catch_up.
        version = publication_version(session)
        usccs = published_usccs(session)
        total = len(usccs)
        if procs is None:
            procs = min(2, os.cpu_count() or 1) if total >= PARALLEL_BUILD_MINIMUM else 1
        generation_path = new_generation_path(index_dir)
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
            now = now_text()
            write_metadata(
                generation_path,
                {"version": version, "schema_version": SCHEMA_VERSION, "built_at": now, "updated_at": now},
            )
        except BaseException:
            shutil.rmtree(generation_path, ignore_errors=True)
            raise
        previous = swap_current(index_dir, generation_path)
        remove_old_generations(index_dir, keep=(generation_path, previous))
        seconds = time.perf_counter() - started
    log.info("search index rebuilt: %d documents, version %d, %.1f s", documents, version, seconds)
    return {
        "action": "rebuild",
        "documents": documents,
        "version": version,
        "seconds": seconds,
        "size_bytes": folder_size(generation_path),
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
    ensure_jieba(jieba_cache_dir)
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
        ix = storage(generation_path).open_index()
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
        write_metadata(generation_path, {**metadata, "version": target_version, "updated_at": now_text()})
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


