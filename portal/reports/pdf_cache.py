"""PDF reports rendered once per publication, shared by every worker of the node.

A report's PDF depends only on the issued report (one per organisation,
publication version and language) and on the site's public address, so it
is rendered once and kept as a file under ``REPORT_PDF_DIR`` (by default
``DOWNLOADS_DIR/reports``), where every worker process finds it.

- A file is written to a temporary name and renamed into place: a reader
  sees the whole PDF or none, and a failed render leaves nothing behind.
- Single flight: one process renders a given PDF (an exclusive ``flock`` on
  its lock file); the others wait for it, at most ``REPORT_PDF_WAIT_SECONDS``.
- Bounded concurrency across processes: a render holds one of
  ``REPORT_PDF_RENDER_SLOTS`` slot files (``flock``). Requests waiting for a
  slot stand in a queue of ticket files and get the slots in the order they
  came, so a wait is bounded by the renders ahead of it. When no slot comes
  within the wait, the request is refused with ``RenderQueueFull`` (a 503
  with Retry-After for the visitor) instead of tying up the worker longer.
- Each worker remembers the PDFs it has found or rendered for the current
  publication version (``KnownPdfs``), so that sending one again costs one
  query and a look-up.

The kernel drops a ``flock`` when its process dies, so a worker killed in
the middle of a render blocks nobody. The render itself runs in a child
process (``portal.reports.pdf.render_in_child``), so that the worker's
memory never holds WeasyPrint's fonts and layout.
"""

import errno
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

log = logging.getLogger(__name__)

#: Seconds between two tries of a busy lock.
_POLL_SECONDS = 0.02
_LOCKS_FOLDER = ".locks"
_QUEUE_FOLDER = "queue"


class RenderQueueFull(Exception):
    """Every render slot (or the render of this very PDF) stayed busy for the whole wait."""


@dataclass(frozen=True)
class PdfKey:
    """What a cached PDF depends on: the issued report and the address printed in it."""

    uscc: str
    publication_version: int
    language: str
    report_number: str
    public_base_url: str

    def file_name(self):
        site = hashlib.sha256(self.public_base_url.encode("utf-8")).hexdigest()[:8]
        return f"v{self.publication_version}.{self.language}.{self.report_number}.{site}.pdf"


@dataclass(frozen=True)
class CachedPdf:
    """A rendered PDF file: its path, size and modification time (it never changes once in place)."""

    path: str
    size: int
    modified: float

    @cached_property
    def etag(self):
        """A strong validator: the file is written once, under a name that says what it states."""
        text = f"{os.path.basename(self.path)}:{self.size}:{self.modified}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class ServedPdf:
    """A PDF in the folder, and what its response says: the report's organisation, number and language."""

    cached: CachedPdf
    uscc: str
    report_number: str
    language: str


class KnownPdfs:
    """This process's memory of the PDFs already in the folder, for one publication version.

    With it, a request for a PDF rendered before costs one query (the
    publication version) and a dictionary look-up: the issued report is not
    read again. It stays exact for disclosure because who is published
    changes only in a sync that moves the version, and the first request
    that sees a new version empties the map; a request for an organisation
    that left the list then goes the long way, which answers 404.
    """

    def __init__(self, max_entries):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._version = None
        self._entries = OrderedDict()

    def get(self, version, request_key):
        """Return the ServedPdf remembered for ``request_key`` at ``version``, or None."""
        with self._lock:
            if version != self._version:
                self._version = version
                self._entries.clear()
                return None
            return self._entries.get(request_key)

    def remember(self, version, request_key, served):
        """Remember ``served`` for ``request_key``, if ``version`` is the one the map holds."""
        with self._lock:
            if version != self._version:
                return
            self._entries[request_key] = served
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, request_key):
        """Forget ``request_key`` (its file is gone from the folder)."""
        with self._lock:
            self._entries.pop(request_key, None)


def store_for(config):
    """Return the PdfStore that ``config`` (the app's) describes."""
    folder = config["REPORT_PDF_DIR"] or os.path.join(config["DOWNLOADS_DIR"], "reports")
    return PdfStore(folder, config["REPORT_PDF_RENDER_SLOTS"], config["REPORT_PDF_WAIT_SECONDS"])


class PdfStore:
    """The PDF files of one node, in ``folder``, rendered at most ``slots`` at a time."""

    def __init__(self, folder, slots, wait_seconds):
        self.folder = folder
        self.slots = max(1, int(slots))
        self.wait_seconds = float(wait_seconds)

    def path_of(self, key):
        return os.path.join(self.folder, key.uscc, key.file_name())

    def open_cached(self, key):
        """Return the CachedPdf of ``key``, or None if it has not been rendered."""
        path = self.path_of(key)
        try:
            status = os.stat(path)
        except FileNotFoundError:
            return None
        return CachedPdf(path, status.st_size, status.st_mtime)

    def get_or_render(self, key, render_to):
        """Return the CachedPdf of ``key``, calling ``render_to(path)`` (which writes the PDF there) if no process has yet.

        Raises RenderQueueFull when this PDF's render by another process, or
        a free render slot, is not had within the wait; any error of
        ``render_to`` is raised as it is, with nothing left in the folder.
        """
        cached = self.open_cached(key)
        if cached is not None:
            return cached
        deadline = time.monotonic() + self.wait_seconds
        with self._single_flight(key, deadline):
            # Whoever held the lock before us may have rendered it.
            cached = self.open_cached(key)
            if cached is not None:
                return cached
            with self._render_slot(deadline):
                started = time.perf_counter()
                self._write(key, render_to)
                log.info("rendered the PDF of report %s in %.2f s", key.report_number, time.perf_counter() - started)
        self._remove_older_versions(key)
        return self.open_cached(key)

    def _write(self, key, render_to):
        folder = os.path.dirname(self.path_of(key))
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".rendering-", suffix=".tmp", dir=folder)
        os.close(handle)
        try:
            render_to(temporary)
            if os.path.getsize(temporary) == 0:
                raise RuntimeError(f"the render of report {key.report_number} wrote nothing")
            os.replace(temporary, self.path_of(key))  # atomic: the whole file or none
        except BaseException:
            _remove(temporary)
            raise

    def _remove_older_versions(self, key):
        # A later report supersedes the earlier PDFs of the same language: those of an earlier
        # publication, and those issued on an earlier day (a report is reused on its day only).
        # A request still sending one keeps its open file (POSIX).
        folder = os.path.dirname(self.path_of(key))
        current = _issue_order(key.publication_version, key.report_number)
        for entry in os.scandir(folder):
            parts = entry.name.split(".")
            if len(parts) != 5 or parts[-1] != "pdf" or parts[1] != key.language:
                continue
            version, number = parts[0], parts[2]
            if version[:1] == "v" and version[1:].isdigit() and _issue_order(int(version[1:]), number) < current:
                _remove(entry.path)

    def _lock_path(self, name):
        folder = os.path.join(self.folder, _LOCKS_FOLDER)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, name)

    @contextmanager
    def _single_flight(self, key, deadline):
        # One lock file per organisation (not per version): the folder does not fill with locks.
        folder = os.path.dirname(self.path_of(key))
        os.makedirs(folder, exist_ok=True)
        with _locked(os.path.join(folder, ".render.lock"), deadline) as held:
            if not held:
                raise RenderQueueFull(f"the PDF of report {key.report_number} is still being rendered")
            yield

    @contextmanager
    def _render_slot(self, deadline):
        """Hold a render slot, given in the order the requests asked (a ticket queue), or raise RenderQueueFull.

        Without the queue, waiters would race for each freed slot and one could
        lose every round until its wait ran out, while later ones were served.
        """
        queue = self._lock_path(_QUEUE_FOLDER)
        os.makedirs(queue, exist_ok=True)
        files = [open(self._lock_path(f"render-slot-{index}.lock"), "a+b") for index in range(self.slots)]
        try:
            with _ticket(queue) as ticket:
                while True:
                    if _tickets_ahead(queue, ticket) < self.slots:
                        for file in files:
                            if _try_lock(file):
                                try:
                                    yield
                                finally:
                                    fcntl.flock(file, fcntl.LOCK_UN)
                                return
                    if time.monotonic() >= deadline:
                        raise RenderQueueFull(f"all {self.slots} render slots stayed busy")
                    time.sleep(_POLL_SECONDS)
        finally:
            for file in files:
                file.close()


@contextmanager
def _ticket(queue):
    """Stand in the render queue: yield this request's ticket, a file named by the time it came, locked while held.

    The ticket is locked under a hidden name first, then renamed into the
    queue, so no other process ever sees it unlocked; the kernel drops the
    lock of a process that dies, and the others remove its ticket.
    """
    name = f"{time.time_ns():020d}.{os.getpid()}"
    hidden = os.path.join(queue, "." + name)
    with open(hidden, "a+b") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        os.rename(hidden, os.path.join(queue, name))
        try:
            yield name
        finally:
            _remove(os.path.join(queue, name))


def _tickets_ahead(queue, ticket):
    """Return how many live tickets came before ``ticket``; remove those whose process died."""
    ahead = 0
    for name in sorted(os.listdir(queue)):
        if name >= ticket:
            break
        if name.startswith("."):
            continue
        path = os.path.join(queue, name)
        try:
            with open(path, "rb") as file:
                if _try_lock(file):
                    _remove(path)  # its process died (or just left): either way it is not waiting
                    continue
        except FileNotFoundError:
            continue
        ahead += 1
    return ahead


def _issue_order(version, report_number):
    # A report number is R-YYYYMMDD-…: the date of issue.
    return version, report_number[2:10]


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _try_lock(file):
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise


@contextmanager
def _locked(path, deadline):
    """Hold an exclusive flock on ``path``, trying until ``deadline``; yield whether it is held."""
    with open(path, "a+b") as file:
        while not _try_lock(file):
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(_POLL_SECONDS)
        try:
            yield True
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
