"""/data: the bulk downloads (CSV, JSONL and their manifest), served only while they match the publication."""

import base64
import json
import os
from datetime import UTC, datetime

from flask import current_app, make_response, render_template, send_from_directory
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound, abort

from portal.citation import download_filename
from portal.opendata import batch as batch_service
from portal.opendata import downloads
from portal.opendata.catalogue import dcat_catalogue
from portal.opendata.views.blueprint import bp
from portal.origin import public_path_url
from portal.web import abort_with_message, current_publication

DOWNLOAD_FILES = {
    downloads.CSV_FILE: "text/csv",
    downloads.JSONL_FILE: "application/jsonl",
    downloads.MANIFEST_FILE: "application/json",
}
#: Seconds a client should wait while a node's downloads catch up with a new publication.
RETRY_AFTER_SECONDS = 120


def _current_manifest():
    try:
        return downloads.read_manifest()
    except downloads.ExportUnavailable:
        return None


def _is_current(manifest, publication):
    return manifest is not None and publication is not None and manifest["publication_version"] == publication.version


@bp.get("/data")
def data():
    publication = current_publication()
    manifest = _current_manifest()
    files = {item["format"]: item for item in (manifest or {}).get("files", [])}
    data_as_of = (manifest or {}).get("data_as_of")
    return render_template(
        "opendata/data.html",
        manifest=manifest,
        current=_is_current(manifest, publication),
        columns=downloads.COLUMNS,
        files=files,
        rows=next(iter(files.values()))["rows"] if files else 0,
        files_data_as_of=datetime.fromisoformat(data_as_of.rstrip("Z")) if data_as_of else None,
        max_batch_rows=batch_service.MAX_ROWS,
    )


@bp.get("/data/catalog.jsonld", endpoint="catalogue")
def catalogue():
    """The downloads described in DCAT (JSON-LD), while they match the publication, as the files are served."""
    manifest = _current_manifest()
    if manifest is None:
        _unavailable(_("The downloads have not been generated yet. Please try again later."))
    if not _is_current(manifest, current_publication()):
        _unavailable(_("The downloads are being regenerated for the latest update. Please try again in a few minutes."))
    config = current_app.config
    document = dcat_catalogue(manifest, config["DATA_LICENCE_NAME"], config["DATA_LICENCE_URL"], public_path_url)
    response = make_response(json.dumps(document, ensure_ascii=False, indent=1))
    response.mimetype = "application/ld+json"
    response.headers["X-Publication-Version"] = str(manifest["publication_version"])
    response.headers["X-Data-As-Of"] = manifest.get("data_as_of") or ""
    # Harvesters of other portals read it from their own pages too.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/data/<name>", endpoint="download")
def download(name):
    if name not in DOWNLOAD_FILES:
        abort_with_message(404, _("There is no download of that name. The downloads are listed on the open data page."))
    manifest = _current_manifest()
    if manifest is None:
        _unavailable(_("The downloads have not been generated yet. Please try again later."))
    if not _is_current(manifest, current_publication()):
        # An older file may list organisations that are no longer published.
        _unavailable(_("The downloads are being regenerated for the latest update. Please try again in a few minutes."))
    try:
        response = _send_download(manifest, name)
    except NotFound:
        # An export swapped generations between reading the manifest and opening the file.
        manifest = _current_manifest()
        if manifest is None or not _is_current(manifest, current_publication()):
            _unavailable(_("The downloads are being regenerated for the latest update. Please try again in a few minutes."))
        response = _send_download(manifest, name)
    response.headers["X-Publication-Version"] = str(manifest["publication_version"])
    response.headers["X-Data-As-Of"] = manifest.get("data_as_of") or ""
    if name == downloads.CSV_FILE:
        response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    elif name == downloads.JSONL_FILE:
        response.headers["Content-Type"] = "application/jsonl; charset=utf-8"
    for item in manifest["files"]:
        if item["name"] == name:
            # RFC 9530 digest of the whole file, for clients that verify what they fetched.
            response.headers["Repr-Digest"] = f"sha-256=:{_base64_of_hex(item['sha256'])}:"
    return response


#: What each download is, in its citable file name (portal.citation): beijing-social-org-credit-list-<date>.csv.
CITED_AS = {downloads.CSV_FILE: "list", downloads.JSONL_FILE: "list", downloads.MANIFEST_FILE: "list-manifest"}


def _send_download(manifest, name):
    stem, extension = os.path.splitext(name)
    data_as_of = manifest.get("data_as_of")
    if data_as_of:
        # Dated in Beijing time: data read at 07:00 in Beijing is that day's, not the day before (UTC).
        moment = datetime.fromisoformat(data_as_of.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
        timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
        download_name = download_filename(CITED_AS.get(name, stem), extension.lstrip("."), moment, timezone)
    else:
        download_name = name
    return send_from_directory(
        manifest["directory"],
        name,
        mimetype=DOWNLOAD_FILES[name],
        as_attachment=name != downloads.MANIFEST_FILE,
        download_name=download_name,
        conditional=True,
        etag=True,
        max_age=0,
    )


def _base64_of_hex(value):
    return base64.b64encode(bytes.fromhex(value)).decode()


def _unavailable(message):
    response = make_response(render_template("opendata/unavailable.html", message=message), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    abort(response)
