"""The index folder: which generation is current, and the publication version it reflects.

Only ``os`` and ``json``: ``/healthz`` and the views read the index's version
without importing Whoosh, jieba or pypinyin (``portal.search.index`` loads
them, about 2 s). ``portal.search.index`` writes what this module reads.
"""

import json
import os

CURRENT_LINK = "current"
METADATA_FILE = "portal-index.json"


def current_generation_path(index_dir):
    """Return the folder of the generation readers currently use, or None."""
    link = os.path.join(index_dir, CURRENT_LINK)
    if not os.path.islink(link):
        return None
    path = os.path.realpath(link)
    return path if os.path.isdir(path) else None


def read_metadata(generation_path):
    """Return the record of one generation (version, schema version, times), or None."""
    try:
        with open(os.path.join(generation_path, METADATA_FILE), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def index_metadata(index_dir):
    """Return the current generation's record (version, schema version, times), or None."""
    path = current_generation_path(index_dir)
    return read_metadata(path) if path else None


def index_version(index_dir):
    """Return the publication version the current index reflects, or None if there is no index."""
    metadata = index_metadata(index_dir)
    return metadata["version"] if metadata else None
