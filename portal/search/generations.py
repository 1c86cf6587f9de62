"""The index folder of a node: its generations, the ``current`` link, the write lock, the status.

Layout of ``INDEX_DIR`` (one folder per node)::

    INDEX_DIR/
      current -> generations/20260101T023000-1a2b3c   (relative symlink)
      generations/<id>/        a complete Whoosh index, and portal-index.json
      write.lock               held by whoever writes (rebuild or catch-up)

``portal-index.json`` in each generation records the publication version that
generation reflects, so the index and its version are swapped in together.
"""

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
import uuid

from whoosh.filedb.filestore import FileStorage

from portal import clock
from portal.index_folder import CURRENT_LINK, METADATA_FILE, current_generation_path
from portal.index_folder import read_metadata as _read_metadata
from portal.search.documents import publication_version
from portal.search.schema import SCHEMA_VERSION

GENERATIONS_DIR = "generations"
LOCK_FILE = "write.lock"
#: Seconds a rebuild or catch-up waits for another one on this node to finish
#: (a 60,000-organisation rebuild takes about a minute).
WRITE_LOCK_TIMEOUT = 600.0


class IndexBusy(Exception):
    """Another rebuild or catch-up of this node's index did not finish in time."""


def _generations_path(index_dir):
    return os.path.join(index_dir, GENERATIONS_DIR)


def write_metadata(generation_path, metadata):
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


def now_text():
    return clock.now().isoformat(timespec="seconds")


def folder_size(path):
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
    with storage(path).open_index().reader() as reader:
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
        size_bytes=folder_size(path),
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


def storage(generation_path):
    # Without mmap: whoosh-reloaded copies every mmapped file it reads into a
    # BytesIO, which cost 70 MB per reader on opening and 156 MB after a few
    # queries (and 44 ms against 8 ms to open), for no faster queries. Plain
    # reads share the OS page cache between workers.
    return FileStorage(generation_path, supports_mmap=False)


def new_generation_path(index_dir):
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    path = os.path.join(_generations_path(index_dir), f"{stamp}-{uuid.uuid4().hex[:6]}")
    os.makedirs(path)
    return path


def swap_current(index_dir, generation_path):
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


def remove_old_generations(index_dir, keep):
    # The previous generation is kept until the next rebuild: a searcher opened
    # just before the swap still reads it. Anything else is a finished
    # generation from long ago or an abandoned half-build (we hold the lock,
    # so no build is in progress).
    keep = {os.path.realpath(path) for path in keep if path}
    generations = _generations_path(index_dir)
    for entry in os.scandir(generations):
        if entry.is_dir(follow_symlinks=False) and os.path.realpath(entry.path) not in keep:
            shutil.rmtree(entry.path, ignore_errors=True)

