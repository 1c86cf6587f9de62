"""Export the public list into a new generation and swap it in atomically; catch up after a sync."""

import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from portal import clock
from portal.opendata.downloads.layout import (
    COLUMNS,
    CSV_FILE,
    CURRENT_LINK,
    GENERATION_PREFIX,
    JSONL_FILE,
    KEEP_PREVIOUS_GENERATIONS,
    LOCK_FILE,
    MANIFEST_FILE,
    SITEMAPS_FOLDER,
    ExportUnavailable,
    iso_utc,
    read_manifest,
)
from portal.opendata.downloads.snapshot import publication_snapshot
from portal.opendata.downloads.writers import ExportWriters, sha256_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    publication_version: int
    data_as_of: datetime | None
    rows: int
    files: list
    seconds: float
    replaced: bool

    def summary(self):
        """Return the one-line summary printed by ``flask opendata export``."""
        sizes = ", ".join(f"{item['name']} {item['size']:,} bytes" for item in self.files)
        state = "now current" if self.replaced else "NOT made current (a newer export exists)"
        return (
            f"export of publication version {self.publication_version}: {self.rows:,} organisations "
            f"in {self.seconds:.1f} s ({sizes}); {state}"
        )


@contextmanager
def _export_lock(folder):
    """Serialise exports on this node (the sync's callback and the CLI may overlap)."""
    with open(os.path.join(folder, LOCK_FILE), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def export_downloads(progress=None, formats=("csv", "jsonl"), chunk_size=None, folder=None, swap=True):
    """Write the public list as CSV and JSON Lines and make it the current download. Return an ExportResult.

    ``progress(n)`` is called after each chunk of ``n`` rows. ``swap=False``
    writes a generation without making it current (benchmarks).
    """
    config = current_app.config
    folder = folder or config["DOWNLOADS_DIR"]
    chunk_size = chunk_size or config["DOWNLOADS_CHUNK_SIZE"]
    os.makedirs(folder, exist_ok=True)
    started = time.monotonic()
    with _export_lock(folder):
        generation = os.path.join(
            folder, f"{GENERATION_PREFIX}{clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        )
        os.makedirs(generation + ".tmp")
        try:
            rows = 0
            with publication_snapshot(chunk_size) as (state, result):
                version, data_as_of, run_id = state or (0, None, None)
                writers = ExportWriters(generation + ".tmp", data_as_of, formats, version)
                try:
                    for partition in result.partitions():
                        writers.write(partition)
                        rows += len(partition)
                        if progress is not None:
                            progress(len(partition))
                finally:
                    writers.close()
            files = []
            for name, kind, media_type in (
                (CSV_FILE, "csv", "text/csv"),
                (JSONL_FILE, "jsonl", "application/jsonl"),
            ):
                path = os.path.join(generation + ".tmp", name)
                if kind in formats:
                    files.append(
                        {
                            "name": name,
                            "format": kind,
                            "media_type": media_type,
                            "size": os.path.getsize(path),
                            "rows": rows,
                            "sha256": sha256_of(path),
                        }
                    )
            manifest = {
                "publication_version": version,
                "data_as_of": iso_utc(data_as_of) or None,
                "sync_run_id": run_id,
                "generated_at": iso_utc(clock.utcnow()),
                "columns": list(COLUMNS),
                "files": files,
            }
            with open(os.path.join(generation + ".tmp", MANIFEST_FILE), "w", encoding="utf-8") as handle:
                json.dump(manifest, handle, ensure_ascii=False, indent=2)
            os.rename(generation + ".tmp", generation)
        except BaseException:
            shutil.rmtree(generation + ".tmp", ignore_errors=True)
            raise
        replaced = False
        if swap:
            replaced = make_current(folder, generation, (version, data_as_of))
            _remove_old_generations(folder)
            if replaced:
                # Sitemaps of the previous publication: rebuilt on the next request.
                shutil.rmtree(os.path.join(folder, SITEMAPS_FOLDER), ignore_errors=True)
    return ExportResult(version, data_as_of, rows, files, time.monotonic() - started, replaced)


def make_current(folder, generation, state):
    """Point ``current`` at ``generation`` unless the current one reflects a newer publication."""
    try:
        existing = read_manifest(folder)
    except ExportUnavailable:
        existing = None
    if existing is not None:
        existing_state = (existing["publication_version"], existing["data_as_of"] or "")
        if existing_state > (state[0], iso_utc(state[1])):
            shutil.rmtree(generation, ignore_errors=True)
            return False
    link = os.path.join(folder, CURRENT_LINK)
    temporary = f"{link}.{uuid.uuid4().hex[:8]}.tmp"
    os.symlink(os.path.basename(generation), temporary)
    os.replace(temporary, link)  # atomic: readers see the old folder or the new one
    return True


def _remove_old_generations(folder):
    current = os.path.realpath(os.path.join(folder, CURRENT_LINK))
    generations = sorted(
        (
            entry.path
            for entry in os.scandir(folder)
            if entry.name.startswith(GENERATION_PREFIX) and entry.is_dir(follow_symlinks=False)
        ),
        key=os.path.getmtime,
        reverse=True,
    )
    kept = 0
    for path in generations:
        if os.path.realpath(path) == current:
            continue
        if path.endswith(".tmp"):
            # A folder left by an export that died; one being written is locked out above.
            shutil.rmtree(path, ignore_errors=True)
            continue
        if kept < KEEP_PREVIOUS_GENERATIONS:
            kept += 1
            continue
        shutil.rmtree(path, ignore_errors=True)


def export_after_sync(result):
    """The after-publication step: regenerate the downloads of the new publication."""
    if not current_app.config["DOWNLOADS_AFTER_SYNC"]:
        return
    exported = export_downloads()
    log.info("%s", exported.summary())


def catch_up():
    """Export if this node's downloads lag the publication (for nodes that did not run the sync).

    Return the ExportResult, or None if the downloads are current.
    """
    from portal.publication.state import publication_state

    state = publication_state()
    version = state.version if state is not None else 0
    try:
        if read_manifest()["publication_version"] == version:
            return None
    except ExportUnavailable:
        pass
    return export_downloads()
