"""Bulk downloads: the full public list as CSV and JSON Lines, regenerated after each sync.

One export reads the published organisations once, ordered by USCC, in
chunks from a server-side cursor (PostgreSQL) or a stepped SQLite cursor,
and writes both files as it goes: memory stays flat in the number of
organisations. The publication version it records is read in the same
read transaction (a REPEATABLE READ snapshot on PostgreSQL, the WAL read
snapshot on SQLite), so a file never mixes two publications.

Each export writes a new *generation* folder under ``DOWNLOADS_DIR``
(``gen-…``) with both files and ``manifest.json``, then swaps the symbolic
link ``current`` to it with an atomic rename. Readers (the views, or nginx
serving ``DOWNLOADS_DIR/current/``) see either the old generation or the
new one, never a half-written file, and the manifest always describes the
files next to it.

- layout.py: the folder's names, the columns, and reading the current manifest;
- snapshot.py: the published rows, read from one snapshot;
- writers.py: the CSV and JSON Lines writers;
- export.py: a generation written, swapped in, and caught up after a sync.
"""

from portal.opendata.downloads.export import ExportResult, catch_up, export_after_sync, export_downloads, make_current
from portal.opendata.downloads.layout import (
    COLUMNS,
    CSV_FILE,
    JSONL_FILE,
    MANIFEST_FILE,
    SITEMAPS_FOLDER,
    ExportUnavailable,
    current_generation,
    downloads_dir,
    read_manifest,
)

__all__ = [
    "COLUMNS",
    "CSV_FILE",
    "JSONL_FILE",
    "MANIFEST_FILE",
    "SITEMAPS_FOLDER",
    "ExportResult",
    "ExportUnavailable",
    "catch_up",
    "current_generation",
    "downloads_dir",
    "export_after_sync",
    "export_downloads",
    "make_current",
    "read_manifest",
]
