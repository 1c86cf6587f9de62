"""/batch: check a CSV or XLSX file of codes or names, and get it back with a result on each row."""

import os
from urllib.parse import quote

from flask import current_app, make_response, render_template, request
from flask_babel import format_number
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from portal.extensions import limiter
from portal.opendata import batch as batch_service
from portal.opendata.views.blueprint import bp
from portal.web import limit_request_body


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
