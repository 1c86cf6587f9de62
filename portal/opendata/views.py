"""Open data pages: /data (bulk downloads), Atom feeds, /batch, sitemap.xml and robots.txt."""

import base64
import os
import re
from datetime import datetime
from urllib.parse import quote

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import format_datetime, format_number, get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound, RequestEntityTooLarge, abort

from portal.clock import day_start_utc, local_today
from portal.extensions import limiter
from portal.i18n import HTML_LANG
from portal.opendata import batch as batch_service
from portal.opendata import downloads, feeds, sitemap
from portal.origin import public_base_url, public_url
from portal.pagecache import cached_page
from portal.publication.changes import EXIT_REASON_LABELS, first_publication
from portal.uscc import check_uscc
from portal.web import abort_with_message, current_publication, limit_request_body

bp = Blueprint("opendata", __name__)

ATOM_TYPE = "application/atom+xml"
DOWNLOAD_FILES = {
    downloads.CSV_FILE: "text/csv",
    downloads.JSONL_FILE: "application/jsonl",
    downloads.MANIFEST_FILE: "application/json",
}
#: Seconds a client should wait while a node's downloads catch up with a new publication.
RETRY_AFTER_SECONDS = 120
_SITEMAP_NAME = re.compile(r"orgs-([1-9][0-9]{0,5})")


def _timezone():
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _no_lang(endpoint, **values):
    """Return an absolute URL without ``?lang=`` (sitemaps and robots.txt name pages once)."""
    return public_url(endpoint, lang=None, **values)


@bp.after_request
def _headers(response):
    if response.mimetype == ATOM_TYPE:
        # Feed titles and summaries are in the visitor's language.
        response.vary.update(("Accept-Language", "Cookie"))
        response.headers.setdefault("Cache-Control", "no-cache")
    return response


# -- bulk downloads -----------------------------------------------------------------


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
    if name == downloads.CSV_FILE:
        response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    elif name == downloads.JSONL_FILE:
        response.headers["Content-Type"] = "application/jsonl; charset=utf-8"
    for item in manifest["files"]:
        if item["name"] == name:
            # RFC 9530 digest of the whole file, for clients that verify what they fetched.
            response.headers["Repr-Digest"] = f"sha-256=:{_base64_of_hex(item['sha256'])}:"
    return response


def _send_download(manifest, name):
    data_as_of = (manifest.get("data_as_of") or "")[:10]
    stem, extension = os.path.splitext(name)
    return send_from_directory(
        manifest["directory"],
        name,
        mimetype=DOWNLOAD_FILES[name],
        as_attachment=name != downloads.MANIFEST_FILE,
        download_name=f"beijing-social-organisations-{stem}-{data_as_of}{extension}" if data_as_of else name,
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


# -- feeds ---------------------------------------------------------------------------


def _author():
    return _("Beijing Social Organisation Credit Information Portal")


def _change_title(change):
    if change.change_type == feeds.CHANGE_ENTRY:
        return _("%(name)s entered the public list, rated %(grade)s", name=change.name, grade=change.new_grade)
    if change.change_type == feeds.CHANGE_GRADE:
        return _(
            "%(name)s: grade changed from %(old)s to %(new)s",
            name=change.name,
            old=change.old_grade,
            new=change.new_grade,
        )
    return _("%(name)s left the public list", name=change.name)


def _exit_summary(name, reason):
    return _(
        "%(name)s left the public list. Reason: %(reason)s.",
        name=name,
        reason=EXIT_REASON_LABELS.get(reason, EXIT_REASON_LABELS["removed_from_source"]),
    )


def _atom_response(body):
    response = make_response(body)
    response.mimetype = ATOM_TYPE
    response.charset = "utf-8"
    return response


def _feed_updated(publication, entries):
    moments = [entry.updated for entry in entries]
    if publication is not None and publication.data_as_of is not None:
        moments.append(publication.data_as_of)
    return max(moments) if moments else day_start_utc(local_today(_timezone()), _timezone())


@bp.get("/feeds/changes.atom", endpoint="changes_feed")
@cached_page
def changes_feed():
    change_type = request.args.get("type") or None
    if change_type is not None and change_type not in feeds.CHANGE_TYPES:
        abort_with_message(
            400, _("“%(value)s” is not a kind of change. Choose entries, exits or grade changes.", value=change_type[:40])
        )
    publication = current_publication()
    limit = current_app.config["FEED_ENTRIES"]
    entries = []
    for change in feeds.recent_list_changes(change_type, limit):
        summary = _exit_summary(change.name, change.exit_reason) if change.change_type == feeds.CHANGE_EXIT else _change_title(change)
        entries.append(
            feeds.FeedEntry(
                id=feeds.stable_id("list-change", change.id, change.uscc, change.change_type),
                title=_change_title(change),
                updated=change.changed_at,
                link=(
                    public_url("orgs.report", uscc=change.uscc)
                    if change.currently_published
                    else public_url("orgs.changes", type=change.change_type)
                ),
                summary=summary,
                category=change.change_type,
            )
        )
    first = first_publication()
    if first is not None and change_type in (None, feeds.CHANGE_ENTRY):
        title = _("First publication: %(count)s organisations", count=format_number(first.count))
        entries.append(
            feeds.FeedEntry(
                id=feeds.stable_id("first-publication", first.run_id),
                title=title,
                updated=first.changed_at,
                link=public_url("orgs.changes", type=feeds.CHANGE_ENTRY),
                summary=title,
                category="first_publication",
            )
        )
        entries.sort(key=lambda entry: entry.updated, reverse=True)
        entries = entries[:limit]
    titles = {
        None: _("Changes to the public list"),
        feeds.CHANGE_ENTRY: _("Entries to the public list"),
        feeds.CHANGE_EXIT: _("Exits from the public list"),
        feeds.CHANGE_GRADE: _("Grade changes in the public list"),
    }
    body = feeds.build_feed(
        feed_id=feeds.stable_id("feed", "changes", change_type or "all"),
        title=titles[change_type] + " | " + _author(),
        subtitle=_subtitle(publication),
        updated=_feed_updated(publication, entries),
        self_url=public_url("opendata.changes_feed", type=change_type),
        alternate_url=public_url("orgs.changes", type=change_type),
        author=_author(),
        author_url=public_url("orgs.home"),
        language=HTML_LANG.get(get_locale().language, "zh-CN"),
        data_as_of=publication.data_as_of if publication else None,
        entries=entries,
    )
    return _atom_response(body)


def _subtitle(publication):
    if publication is None or publication.data_as_of is None:
        return _("No data has been published yet.")
    return _("Data as of %(time)s (Beijing time).", time=format_datetime(publication.data_as_of, "medium"))


@bp.get("/org/<uscc>/feed.atom", endpoint="org_feed")
@cached_page
def org_feed(uscc):
    check = check_uscc(uscc)
    if check.problem is not None:
        abort_with_message(400, _("“%(code)s” is not a valid unified social credit code.", code=check.code[:40]))
    if check.code != uscc:
        return redirect(url_for("opendata.org_feed", uscc=check.code, **request.args.to_dict(flat=False)), 301)
    organisation = feeds.published_organisation(check.code)
    if organisation is None:
        # The same answer for every organisation the public may not see, and for unknown codes.
        abort_with_message(404, _("No published organisation has this code."))
    publication = current_publication()
    timezone = _timezone()
    entries = []
    history = feeds.organisation_history(check.code, timezone, current_app.config["FEED_ENTRIES"])
    exit_reasons = feeds.exit_reasons_of(check.code)
    for point in history:
        if not point.published:
            title = _("%(name)s left the public list", name=organisation.name)
            summary = _exit_summary(organisation.name, exit_reasons.get(point.effective_at))
            category = feeds.CHANGE_EXIT
        else:
            score = f"{point.score:.2f}"
            summary = _("Score %(score)s, grade %(grade)s.", score=score, grade=point.grade)
            if point.grade_changed:
                title = _(
                    "%(name)s: grade changed from %(old)s to %(new)s",
                    name=organisation.name,
                    old=point.previous_grade,
                    new=point.grade,
                )
                category = feeds.CHANGE_GRADE
            elif point.reentered or (point is history[-1] and len(history) < current_app.config["FEED_ENTRIES"]):
                # A return to the list, or the oldest point of the whole history: the first entry.
                title = _("%(name)s entered the public list, rated %(grade)s", name=organisation.name, grade=point.grade)
                category = feeds.CHANGE_ENTRY
            else:
                title = _("%(name)s: score %(score)s, grade %(grade)s", name=organisation.name, score=score, grade=point.grade)
                category = "score"
            if point.reentered:
                summary = _("Entered the public list again.") + " " + summary
        entries.append(
            feeds.FeedEntry(
                id=feeds.stable_id("org", check.code, feeds.atom_time(point.effective_at)),
                title=title,
                updated=point.effective_at,
                link=public_url("orgs.report", uscc=check.code),
                summary=summary,
                category=category,
            )
        )
    body = feeds.build_feed(
        feed_id=feeds.stable_id("feed", "org", check.code),
        title=_("%(name)s: credit score and grade", name=organisation.name) + " | " + _author(),
        subtitle=_subtitle(publication),
        updated=_feed_updated(publication, entries),
        self_url=public_url("opendata.org_feed", uscc=check.code),
        alternate_url=public_url("orgs.report", uscc=check.code),
        author=_author(),
        author_url=public_url("orgs.home"),
        language=HTML_LANG.get(get_locale().language, "zh-CN"),
        data_as_of=publication.data_as_of if publication else None,
        entries=entries,
    )
    return _atom_response(body)


# -- the batch check -----------------------------------------------------------------------


def _batch_limit():
    return current_app.config["BATCH_RATE_LIMIT"]


def _header_labels():
    return [
        _("Result code"),
        _("Result"),
        _("Grade"),
        _("Score"),
        _("Unified social credit code (matched)"),
        _("Name (matched)"),
    ]


def result_text(item):
    """Describe one batch result in the visitor's language."""
    result = item["result"]
    if result == batch_service.RESULT_PUBLISHED:
        return _("Published: grade %(grade)s, score %(score)s", grade=item["grade"], score=item["score"])
    if result == batch_service.RESULT_NOT_PUBLIC:
        return _("Not in the public list")
    if result == batch_service.RESULT_INVALID_CODE:
        return _("Not a valid unified social credit code")
    if result == batch_service.RESULT_UNKNOWN_NAME:
        return _("No published organisation has this name")
    if result == batch_service.RESULT_AMBIGUOUS_NAME:
        return _("Several published organisations have this name: check by code")
    return _("Empty row")


def _file_error_message(error):
    details = error.details
    rows = format_number(batch_service.MAX_ROWS)
    if error.code == "cell_too_long" and details.get("row"):
        return _(
            "The cell in row %(row)s, column %(column)s holds more than %(limit)s characters: "
            "no code or name is this long. Check that this is the right file.",
            row=format_number(details["row"]),
            column=format_number(details["column"]),
            limit=format_number(details["limit"]),
        )
    messages = {
        "empty": _("The file is empty: it has no rows to check."),
        "malformed": _(
            "The file could not be read. Check that it is a valid CSV or XLSX file and save it again."
        ),
        "encoding": _(
            "The CSV file is neither UTF-8 nor GB18030 (GBK) text. Save it as “CSV UTF-8” and upload it again."
        ),
        "too_many_rows": _(
            "The file has more than %(limit)s rows. Check at most %(limit)s rows at a time: split the file.",
            limit=rows,
        ),
        "xls": _(
            "Old Excel files (.xls) cannot be read. Save the file as XLSX or CSV and upload it again."
        ),
        "file_type": _(
            "Only CSV and XLSX files can be checked (not “.%(extension)s”).",
            extension=details.get("extension", "")[:10],
        ),
        "too_large": _too_large_message(),
        "not_workbook": _(
            "The file is a ZIP archive but not an Excel workbook. Upload a CSV file or an XLSX workbook."
        ),
        "unpacked_too_large": _(
            "The XLSX file is not read: unpacked, it holds far more than a list of %(rows)s rows needs. "
            "Copy the list into a new workbook, or save it as CSV, and upload it again.",
            rows=rows,
        ),
        "too_many_sheets": _(
            "The workbook has %(count)s sheets; at most %(limit)s are accepted, and only the first is checked. "
            "Copy the list into a new workbook, or save it as CSV, and upload it again.",
            count=format_number(details.get("count", 0)),
            limit=format_number(details.get("limit", 0)),
        ),
        "too_many_strings": _(
            "The workbook holds more than %(limit)s different texts, more than a list of %(rows)s rows needs. "
            "Copy the list into a new workbook, or save it as CSV, and upload it again.",
            limit=format_number(details.get("limit", 0)),
            rows=rows,
        ),
        "dimension": _(
            "The first sheet declares a used range of %(range)s, larger than a header and %(rows)s rows "
            "of at most %(columns)s columns. Delete the empty rows and columns after the list, "
            "or save it as CSV, and upload it again.",
            range=details.get("range", ""),
            rows=rows,
            columns=format_number(details.get("columns", 0)),
        ),
        "too_many_columns": _(
            "Row %(row)s has more than %(limit)s columns. Keep only the columns you need and upload the file again.",
            row=format_number(details.get("row", 0)),
            limit=format_number(details.get("limit", 0)),
        ),
        "too_many_cells": _(
            "The file has more than %(limit)s cells. Keep only the columns you need and upload it again.",
            limit=format_number(details.get("limit", 0)),
        ),
        "cell_too_long": _(
            "A cell holds more than %(limit)s characters, more than a spreadsheet cell can hold. "
            "Check that this is the right file.",
            limit=format_number(details.get("limit", 0)),
        ),
        "line_too_long": _(
            "Line %(line)s of the CSV file is longer than %(limit)s KB: a list of codes or names has short lines. "
            "Check that this is the right file, or save it again as CSV.",
            line=format_number(details.get("line", 0)),
            limit=format_number(details.get("limit", 0)),
        ),
    }
    return messages[error.code]


def _too_large_message():
    return _("The file is too large. Upload at most %(size)s MB.", size=current_app.config["BATCH_MAX_BYTES"] // (1024 * 1024))


def _batch_error(message, status=400):
    return render_template("opendata/batch.html", error=message, max_rows=batch_service.MAX_ROWS), status


#: Room for the multipart envelope around the file: boundaries, part headers, the CSRF token.
MULTIPART_ALLOWANCE = 64 * 1024


def _batch_body_limit():
    return current_app.config["BATCH_MAX_BYTES"] + MULTIPART_ALLOWANCE


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(error):
    # Raised while the body is read (by the CSRF check or the view), as soon as it passes the limit.
    if request.endpoint == "opendata.batch":
        return _batch_error(_too_large_message(), 413)
    return render_template("errors/413.html", message=None), 413


@bp.route("/batch", methods=["GET", "POST"])
@limit_request_body(_batch_body_limit)
@limiter.limit(_batch_limit, methods=["POST"])
def batch():
    if request.method == "GET":
        return render_template("opendata/batch.html", error=None, max_rows=batch_service.MAX_ROWS)
    max_bytes = current_app.config["BATCH_MAX_BYTES"]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _batch_error(_("Choose a CSV or XLSX file to check."))
    try:
        table = batch_service.read_upload(upload.filename, upload.stream, max_bytes)
    except batch_service.BatchFileError as error:
        return _batch_error(_file_error_message(error), 413 if error.code == "too_large" else 400)
    results = batch_service.check_values(table.values())
    body, media_type, extension = batch_service.write_result(table, results, _header_labels(), result_text)
    stem = os.path.splitext(os.path.basename(upload.filename))[0][:80] or "batch"
    response = make_response(body)
    response.headers["Content-Type"] = media_type
    checked = _("checked")
    download_name = f"{stem}-{checked}.{extension}"
    ascii_name = f"batch-checked.{extension}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
    )
    response.headers["Cache-Control"] = "no-store"
    if table.encoding:
        # Said in a header too: the file is read as GB18030 if it is not UTF-8.
        response.headers["X-Input-Encoding"] = table.encoding
    response.headers["X-Rows-Checked"] = str(len(results))
    return response


# -- findability -----------------------------------------------------------------------------


def _sitemap_state():
    """Return (state, number of organisation sitemaps) of the current publication."""
    publication = current_publication()
    if publication is None:
        abort_with_message(503, _("Information on the published data is temporarily unavailable."))
    chunks = max(1, -(-publication.published_count // sitemap.chunk_size()))
    return (publication.version, publication.data_as_of), chunks


def _send_sitemap(path):
    response = send_from_directory(
        os.path.dirname(path), os.path.basename(path), mimetype="application/xml", conditional=True, etag=True, max_age=0
    )
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    return response


@bp.get("/sitemap.xml")
def sitemap_index():
    state, chunks = _sitemap_state()
    base = public_base_url()
    urls = [_no_lang("opendata.sitemap_part", name="pages")]
    urls += [_no_lang("opendata.sitemap_part", name=f"orgs-{number}") for number in range(1, chunks + 1)]
    lastmod = sitemap.w3c_time(state[1])
    path = sitemap.cached_file(state, base, "index.xml", lambda handle: sitemap.write_index(handle, urls, lastmod))
    return _send_sitemap(path)


@bp.get("/sitemaps/<name>.xml", endpoint="sitemap_part")
def sitemap_part(name):
    state, chunks = _sitemap_state()
    base = public_base_url()
    lastmod = sitemap.w3c_time(state[1])
    if name == "pages":
        pages = [
            (_no_lang(endpoint), changefreq)
            for endpoint, changefreq in sitemap.PAGES
            if endpoint in current_app.view_functions
        ]
        path = sitemap.cached_file(state, base, "pages.xml", lambda handle: sitemap.write_pages(handle, pages, lastmod))
        return _send_sitemap(path)
    match = _SITEMAP_NAME.fullmatch(name)
    if match is None or int(match.group(1)) > chunks:
        abort_with_message(404, _("There is no sitemap of that name."))
    number = int(match.group(1))
    prefix = _no_lang("orgs.report", uscc="X")[:-1]
    path = sitemap.cached_file(
        state, base, f"orgs-{number}.xml", lambda handle: sitemap.write_organisations(handle, prefix, number)
    )
    return _send_sitemap(path)


@bp.get("/robots.txt")
def robots():
    response = make_response(sitemap.robots_txt(_no_lang("opendata.sitemap_index")))
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
