"""The downloads folder: its file names, the columns of the files, and the current generation's manifest."""

import json
import os

from flask import current_app

CSV_FILE = "organisations.csv"
JSONL_FILE = "organisations.jsonl"
MANIFEST_FILE = "manifest.json"
CURRENT_LINK = "current"
GENERATION_PREFIX = "gen-"
LOCK_FILE = ".export.lock"
#: Generations kept besides the current one. None: an older file may list
#: organisations that are no longer published. A download that started
#: before the swap still finishes (its file stays open after the unlink).
KEEP_PREVIOUS_GENERATIONS = 0
#: Sitemaps cached by ``portal.opendata.sitemap`` (per publication state).
SITEMAPS_FOLDER = "sitemaps"

#: The columns of both files, in order. The names are stable: scripts rely on them.
COLUMNS = (
    "uscc",
    "name",
    "grade",
    "score",
    "org_type",
    "org_type_zh",
    "district_code",
    "district_zh",
    "evaluation_level",
    "evaluation_valid_until",
    "registration_authority",
    "registered_on",
    "published_since",
    "data_as_of",
    "publication_version",
)

#: Columns of free text from the scoring database (positions in COLUMNS), neutralised in the CSV.
CSV_TEXT_COLUMNS = (COLUMNS.index("name"), COLUMNS.index("district_code"), COLUMNS.index("registration_authority"))


class ExportUnavailable(Exception):
    """No export has been written yet (or its folder was removed)."""


def iso_utc(value):
    """Return a naive UTC timestamp as ISO 8601 with a Z, or an empty string."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else ""


def downloads_dir(app=None):
    return (app or current_app).config["DOWNLOADS_DIR"]


def current_generation(folder=None):
    """Return the folder of the current generation; raise ExportUnavailable if there is none."""
    folder = folder or downloads_dir()
    path = os.path.realpath(os.path.join(folder, CURRENT_LINK))
    if not os.path.isfile(os.path.join(path, MANIFEST_FILE)):
        raise ExportUnavailable(folder)
    return path


def read_manifest(folder=None):
    """Return the manifest of the current generation (with ``directory`` added)."""
    generation = current_generation(folder)
    try:
        with open(os.path.join(generation, MANIFEST_FILE), encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ExportUnavailable(str(exc)) from exc
    manifest["directory"] = generation
    return manifest
