"""A search's results as a CSV file: what /search shows, in its order, up to ``DOWNLOAD_MAXIMUM`` rows.

UTF-8 with a byte order mark (so that Excel reads the Chinese), every text
cell through ``portal.spreadsheets`` (formula-like text neutralised), and on
every row the publication it was read from, so that a copy still tells its date.
"""

import io

from flask import current_app, make_response
from flask_babel import gettext as _
from flask_babel import get_locale

from portal import spreadsheets
from portal.citation import download_filename
from portal.origin import public_url
from portal.reference import DISTRICTS, ORG_TYPES


def download_response(found, publication):
    """Return the CSV response of a ``SearchResults`` (its hits are the rows)."""
    version = publication.version if publication is not None else None
    data_as_of = (
        publication.data_as_of.isoformat(timespec="seconds") + "Z" if publication is not None and publication.data_as_of else ""
    )
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = spreadsheets.csv_writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            _("Name"),
            _("Unified social credit code"),
            _("Credit grade"),
            _("Score"),
            _("Type"),
            _("Registration district"),
            _("Evaluation level"),
            _("Registered on"),
            _("Credit report"),
            _("Data as of (UTC)"),
            _("Publication version"),
        ]
    )
    for hit in found.hits:
        writer.writerow(
            [
                hit.name,
                hit.uscc,
                hit.grade,
                hit.score,
                str(ORG_TYPES.get(hit.org_type, hit.org_type)),
                str(DISTRICTS.get(hit.district_code, hit.district_code)),
                f"{hit.evaluation_level}A" if hit.evaluation_level not in (None, "none") else "",
                hit.registered_on.isoformat() if hit.registered_on else "",
                public_url("orgs.report", uscc=hit.uscc),
                data_as_of,
                version if version is not None else "",
            ]
        )
    response = make_response(buffer.getvalue())
    response.content_type = "text/csv; charset=utf-8"
    filename = download_filename(
        "search", "csv", publication.data_as_of if publication is not None else None,
        current_app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Data-As-Of"] = data_as_of
    response.headers["X-Publication-Version"] = str(version) if version is not None else ""
    response.headers["Content-Language"] = "zh-CN" if get_locale().language == "zh" else get_locale().language
    # How many matched, and how many of them the file holds (at most DOWNLOAD_MAXIMUM).
    response.headers["X-Total-Count"] = str(found.total)
    response.headers["X-Rows"] = str(len(found.hits))
    response.headers["Cache-Control"] = "no-store"
    response.vary.update(("Accept-Language", "Cookie"))
    return response
