"""/changes as CSV and JSON: every change the filters select, with what a citation needs.

The CSV (UTF-8 with a BOM, for Excel) starts with a comment row: the data-as-of
time, the publication version, the licence and the source address; the JSON
carries the same facts beside the changes. Both are named
``beijing-social-org-credit-changes-<Beijing date of the data>.<ext>``.
"""

import io
import json

from flask import current_app, make_response, request
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.citation import comment_line, download_filename, provenance
from portal.orgs.changes import list_changes
from portal.orgs.views import bp, requested_change_filters
from portal.publication.changes import EXIT_REASON_LABELS
from portal.origin import public_path_url
from portal.spreadsheets import csv_writer
from portal.web import current_publication

#: The most changes one download holds (a year of a large register); the filters narrow it.
MAX_ROWS = 100_000
COLUMNS = (
    "date", "changed_at", "uscc", "name", "change_type", "change", "exit_reason", "exit_reason_text",
    "old_grade", "new_grade", "published_now",
)


def _change_label(change_type):
    labels = {"entry": _("Entered the public list"), "exit": _("Left the public list"), "grade_change": _("Grade changed")}
    return labels.get(change_type, change_type)


def _selected():
    change_type, date_from, date_to = requested_change_filters()
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    lines, _total = list_changes(change_type, date_from, date_to, 1, MAX_ROWS, timezone)
    publication = current_publication()
    query = request.query_string.decode("latin-1")
    facts = provenance(
        publication,
        current_app.config["DATA_LICENCE_NAME"],
        current_app.config["DATA_LICENCE_URL"],
        public_path_url("/changes" + ("?" + query if query else "")),
    )
    name = lambda extension: download_filename(  # noqa: E731
        "changes", extension, publication.data_as_of if publication else None, timezone
    )
    return lines, facts, name


def _attachment(body, mimetype, filename, facts):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Data-As-Of"] = facts["data_as_of"] or ""
    response.headers["X-Publication-Version"] = str(facts["publication_version"])
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _row(line):
    return (
        line.day.isoformat(),
        line.changed_at.isoformat() + "Z",
        line.uscc,
        line.name,
        line.change_type,
        _change_label(line.change_type),
        line.exit_reason or "",
        str(EXIT_REASON_LABELS[line.exit_reason]) if line.exit_reason in EXIT_REASON_LABELS else "",
        line.old_grade or "",
        line.new_grade or "",
        "yes" if line.currently_published else "no",
    )


@bp.get("/changes.csv", endpoint="changes_csv")
def changes_csv():
    """The changes the filters select, as CSV with a comment row of provenance."""
    lines, facts, name = _selected()
    handle = io.StringIO()
    handle.write("\ufeff")
    with force_locale("zh"):
        handle.write(comment_line(facts, "北京市社会组织信用信息公示平台 公示名单变动") + "\r\n")
        writer = csv_writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(_row(line) for line in lines)
    return _attachment(handle.getvalue().encode("utf-8"), "text/csv", name("csv"), facts)


@bp.get("/changes.json", endpoint="changes_json")
def changes_json():
    """The changes the filters select, as JSON with their provenance."""
    lines, facts, name = _selected()
    with force_locale("zh"):
        changes = [dict(zip(COLUMNS, _row(line), strict=True)) for line in lines]
    for change in changes:
        change["published_now"] = change["published_now"] == "yes"
        change["old_grade"] = change["old_grade"] or None
        change["new_grade"] = change["new_grade"] or None
        change["exit_reason"] = change["exit_reason"] or None
        change["exit_reason_text"] = change["exit_reason_text"] or None
    body = json.dumps({**facts, "count": len(changes), "changes": changes}, ensure_ascii=False, indent=1)
    return _attachment(body.encode("utf-8"), "application/json", name("json"), facts)
