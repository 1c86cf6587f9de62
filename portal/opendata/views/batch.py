"""/batch: check codes or names, pasted one a line or in a CSV or XLSX file, and its CSV and XLSX templates.

A file comes back in its own format with the result on each row. A pasted
list is answered on the page, or as a CSV or XLSX file, line by line in the
visitor's order. Every result file also says which data it was checked
against: the data-as-of time and the publication version, on every row.
"""

import os
from urllib.parse import quote

from flask import current_app, make_response, render_template, request
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from portal.citation import FILE_PREFIX, download_filename, provenance
from portal.extensions import limiter
from portal.opendata import batch as batch_service
from portal.opendata.views.blueprint import bp, local_timezone
from portal.web import current_publication, limit_request_body


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
        _("Data as of (UTC)"),
        _("Publication version"),
    ]


def _provenance(publication):
    return provenance(
        publication, current_app.config["DATA_LICENCE_NAME"], current_app.config["DATA_LICENCE_URL"], None
    )


def _stamp(facts):
    """The values added to every result row: what the check read (empty before the first publication)."""
    return [facts["data_as_of"] or "", facts["publication_version"] if facts["publication_version"] is not None else ""]


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
        "value_too_long": _(
            "Line %(line)s is longer than %(limit)s characters: no code or name is this long. "
            "Put one code or name on each line.",
            line=format_number(details.get("line", 0)),
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


def _paste_error_message(error):
    if error.code == "empty":
        return _("Paste at least one unified social credit code or organisation name, one on each line.")
    if error.code == "too_many_rows":
        return _(
            "The list has more than %(limit)s lines. Check at most %(limit)s codes or names at a time: split the list.",
            limit=format_number(batch_service.MAX_ROWS),
        )
    if error.code == "too_large":
        return _paste_too_large_message()
    return _file_error_message(error)


def _too_large_message():
    return _("The file is too large. Upload at most %(size)s MB.", size=current_app.config["BATCH_MAX_BYTES"] // (1024 * 1024))


def _paste_too_large_message():
    return _(
        "The pasted list is too large: at most %(size)s MB. Check at most %(rows)s codes or names at a time.",
        size=current_app.config["BATCH_MAX_BYTES"] // (1024 * 1024),
        rows=format_number(batch_service.MAX_ROWS),
    )


def _page(status=200, **context):
    context.setdefault("error", None)
    context.setdefault("pasted", "")
    context.setdefault("output", "page")
    context.setdefault("results", None)
    context.setdefault("error_in", None)
    response = make_response(
        render_template(
            "opendata/batch.html",
            max_rows=batch_service.MAX_ROWS,
            outputs=OUTPUTS,
            **context,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _batch_error(message, status=400, error_in="file", **context):
    """The page with ``message``, said of the paste box (``error_in="paste"``) or of the file field."""
    return _page(status, error=message, error_in=error_in, **context)


#: Room for the multipart envelope around the file: boundaries, part headers, the CSRF token.
MULTIPART_ALLOWANCE = 64 * 1024
#: How the result of a pasted list is given: on the page, or as a file.
OUTPUTS = ("page", "csv", "xlsx")


def _batch_body_limit():
    return current_app.config["BATCH_MAX_BYTES"] + MULTIPART_ALLOWANCE


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(error):
    # Raised while the body is read (by the CSRF check or the view), as soon as it passes the limit.
    if request.endpoint == "opendata.batch":
        # The paste form is sent URL-encoded, the file form as multipart.
        pasted = request.mimetype == "application/x-www-form-urlencoded"
        if pasted:
            return _batch_error(_paste_too_large_message(), 413, error_in="paste")
        return _batch_error(_too_large_message(), 413)
    return render_template("errors/413.html", message=None), 413


@bp.route("/batch", methods=["GET", "POST"])
@limit_request_body(_batch_body_limit, form_fields=True)
@limiter.limit(_batch_limit, methods=["POST"])
def batch():
    if request.method == "GET":
        return _page()
    # Read before the check, as the API does: the stamp names the publication the check read.
    facts = _provenance(current_publication())
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return _checked_file(upload, facts)
    if "values" in request.form:
        return _checked_paste(request.form["values"], request.form.get("output"), facts)
    return _batch_error(_("Choose a CSV or XLSX file to check, or paste codes or names."))


def _checked_file(upload, facts):
    try:
        table = batch_service.read_upload(upload.filename, upload.stream, current_app.config["BATCH_MAX_BYTES"])
    except batch_service.BatchFileError as error:
        return _batch_error(_file_error_message(error), 413 if error.code == "too_large" else 400)
    results = batch_service.check_values(table.values())
    body, media_type, extension = batch_service.write_result(
        table, results, _header_labels(), result_text, _stamp(facts)
    )
    stem = os.path.splitext(os.path.basename(upload.filename))[0][:80] or "batch"
    checked = _("checked")
    response = _attachment(body, media_type, f"{stem}-{checked}.{extension}", f"batch-checked.{extension}", facts)
    if table.encoding:
        # Said in a header too: the file is read as GB18030 if it is not UTF-8.
        response.headers["X-Input-Encoding"] = table.encoding
    response.headers["X-Rows-Checked"] = str(len(results))
    return response


def _checked_paste(text, output, facts):
    output = output if output in OUTPUTS else "page"
    try:
        lines = batch_service.read_pasted(text, current_app.config["BATCH_MAX_BYTES"])
    except batch_service.BatchFileError as error:
        status = 413 if error.code == "too_large" else 400
        # A list that is merely wrong comes back in the box to be corrected; one too large does not.
        return _batch_error(
            _paste_error_message(error), status, "paste", pasted="" if status == 413 else text, output=output
        )
    results = batch_service.check_values([value for _number, value in lines])
    if output == "page":
        rows = [
            {"line": number, "item": item, "text": result_text(item)}
            for (number, _value), item in zip(lines, results, strict=True)
        ]
        summary = {}
        for item in results:
            summary[item["result"]] = summary.get(item["result"], 0) + 1
        return _page(results=rows, summary=summary, facts=facts, pasted=text, output=output)
    table = batch_service.pasted_table(output, lines, [_("Line"), _("Code or name")], _("Batch check"))
    body, media_type, extension = batch_service.write_result(
        table, results, _header_labels(), result_text, _stamp(facts)
    )
    publication = current_publication()
    name = download_filename("batch-check", extension, publication.data_as_of if publication else None, local_timezone())
    response = _attachment(body, media_type, name, name, facts)
    response.headers["X-Rows-Checked"] = str(len(results))
    return response


def _attachment(body, media_type, download_name, ascii_name, facts):
    response = make_response(body)
    response.headers["Content-Type"] = media_type
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Data-As-Of"] = facts["data_as_of"] or ""
    response.headers["X-Publication-Version"] = str(facts["publication_version"] or "")
    return response


#: The templates' column headings: the checker recognises both languages' (batch.CODE_HEADERS, NAME_HEADERS).
TEMPLATE_HEADINGS = {"zh": ("统一社会信用代码", "名称", "备注"), "en": ("uscc", "name", "note")}


@bp.get("/batch/template.<any(csv, xlsx):kind>", endpoint="batch_template")
def batch_template(kind):
    """The batch check's template: a heading row and one example row, labelled as an example."""
    language = get_locale().language
    rows = [
        list(TEMPLATE_HEADINGS.get(language, TEMPLATE_HEADINGS["zh"])),
        [
            batch_service.EXAMPLE_USCC,
            "北京市示例协会",
            _("Example row, not a real organisation: delete it, then write one code or name on each row."),
        ],
    ]
    body, media_type = batch_service.template_file(kind, rows, _("Batch check"))
    name = f"{FILE_PREFIX}-batch-template.{kind}"
    response = make_response(body)
    response.headers["Content-Type"] = media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Language"] = "zh-CN" if language == "zh" else language
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.vary.update(("Accept-Language", "Cookie"))
    return response
