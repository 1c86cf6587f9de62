"""The statistics page (/stats) and its tables as CSV files (/stats/<name>.csv)."""

import hashlib
import io
from datetime import datetime

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from portal import spreadsheets
from portal.characters import clean_text
from portal.citation import download_filename
from portal.complaints import accountability
from portal.complaints.workflow import OUTCOMES, REVIEW_RESULTS
from portal.pagecache import cached_page
from portal.stats import charts, service
from portal.web import abort_with_message

bp = Blueprint("stats", __name__)

#: The downloadable tables, in the order of the page.
TABLES = ("grades", "types", "districts", "evaluation-levels", "scores", "changes-by-month")

_BREAKDOWNS = {
    "grades": "by_grade",
    "types": "by_type",
    "districts": "by_district",
    "evaluation-levels": "by_evaluation",
}


def _label(row):
    return row["label_en"] if get_locale().language == "en" else row["label_zh"]


def _percent(count, total):
    return format_decimal(count / total * 100 if total else 0, format="0.0")


def _score_range(row):
    # Scores have two decimals: a bin from 80 up to (not including) 85 holds 80.00 to 84.99.
    return _("%(low)s to %(high)s", low=format_decimal(row["min"], format="0.00"), high=format_decimal(row["max"] - 0.01, format="0.00"))


@bp.get("/stats", endpoint="index")
@cached_page
def index():
    statistics = service.published_statistics()
    months = statistics["changes_by_month"]
    bins = statistics["score_distribution"]["bins"]
    return render_template(
        "stats/index.html",
        statistics=statistics,
        label=_label,
        percent=_percent,
        score_range=_score_range,
        bar_charts={name: charts.count_bars(statistics[key]) for name, key in _BREAKDOWNS.items()},
        score_chart=charts.column_chart([(format_decimal(row["min"]), [row["count"]]) for row in bins]),
        months_chart=charts.column_chart([(row["month"], [row["entries"], row["exits"]]) for row in months], series=2),
    )


@bp.get("/stats/complaints", endpoint="complaints")
def complaints():
    """How complaints were handled in the last 12 months: received, on time, outcomes, reviews (never cached)."""
    response = make_response(
        render_template(
            "stats/complaints.html", figures=accountability.accountability(), percent=_percent,
            outcomes=OUTCOMES, review_results=REVIEW_RESULTS,
        )
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _csv_rows(name, statistics):
    """Return (header, rows) of one downloadable table, in the request's language."""
    if name in _BREAKDOWNS:
        rows = statistics[_BREAKDOWNS[name]]
        total = sum(row["count"] for row in rows)
        header = [_("Code"), _("Name"), _("Published organisations"), _("Share (%)")]
        return header, [[row["code"], _label(row), row["count"], _percent(row["count"], total)] for row in rows]
    if name == "scores":
        header = [_("Lowest score (inclusive)"), _("Highest score (exclusive)"), _("Published organisations")]
        return header, [[row["min"], row["max"], row["count"]] for row in statistics["score_distribution"]["bins"]]
    header = [_("Month"), _("Entries"), _("Exits"), _("Grade changes")]
    return header, [
        [row["month"], row["entries"], row["exits"], row["grade_changes"]] for row in statistics["changes_by_month"]
    ]


@bp.get("/stats/<name>.csv", endpoint="csv")
def csv_download(name):
    """Send one table of the statistics as CSV (UTF-8 with a BOM, so that Excel reads the Chinese)."""
    if name not in TABLES:
        abort_with_message(
            404,
            _("There is no statistics table “%(name)s”. The tables are: %(tables)s.", name=clean_text(name[:40])[0], tables=", ".join(TABLES)),
        )
    statistics = service.published_statistics()
    header, rows = _csv_rows(name, statistics)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    # Codes and labels come from the published data: formula-like text is neutralised.
    writer = spreadsheets.csv_writer(buffer, lineterminator="\r\n")
    # Every row says which publication it counts, so a copy of the file still tells its date.
    writer.writerow([*header, _("Data as of (UTC)"), _("Publication version")])
    for row in rows:
        writer.writerow([*row, statistics["data_as_of"] or "", statistics["publication_version"]])
    response = make_response(buffer.getvalue())
    response.content_type = "text/csv; charset=utf-8"
    version = statistics["publication_version"]
    data_as_of = statistics["data_as_of"]
    moment = datetime.fromisoformat(data_as_of.removesuffix("Z")) if data_as_of else None
    filename = download_filename(f"stats-{name}", "csv", moment, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Data-As-Of"] = data_as_of or ""
    response.headers["X-Publication-Version"] = str(version)
    response.headers["Content-Language"] = "zh-CN" if get_locale().language == "zh" else get_locale().language
    response.vary.update(("Accept-Language", "Cookie"))
    # Not through the page cache, which keeps only a body and its type: the headers above matter here.
    state = repr((version, statistics["data_as_of"], name, get_locale().language))
    response.set_etag(hashlib.sha256(state.encode()).hexdigest()[:32])
    return response.make_conditional(request)
