"""The search pages: /search (results with facets) and /search/suggest (autocomplete JSON).

The service (``portal.search.service``) and the index are imported when a
search is made, not with the blueprint: they load jieba and pypinyin (1.6 s),
which no other page needs.
"""

import re

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.extensions import limiter
from portal.i18n import current_language
from portal.pagecache import cached_page
from portal.reference import DISTRICTS, ORG_TYPES
from portal.search.download import download_response
from portal.web import abort_with_message, current_publication

bp = Blueprint("search", __name__)

#: Query arguments that filter the results (the published list uses the same names).
FILTER_ARGUMENTS = ("grade", "type", "district", "evaluation")
#: Input longer than this is cut before it is even cleaned (the service then
#: keeps at most QUERY_MAXIMUM_LENGTH characters of it).
RAW_QUERY_MAXIMUM = 1000
#: Seconds a browser or proxy may reuse a suggestion response.
SUGGEST_MAX_AGE = 300
RETRY_AFTER_SECONDS = 300

_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
_ECHO_LENGTH = 40


def _echo(value):
    value = str(value)
    return value if len(value) <= _ECHO_LENGTH else value[:_ECHO_LENGTH] + "…"


def _requested_text():
    return request.args.get("q", "")[:RAW_QUERY_MAXIMUM]


def _requested_page():
    value = request.args.get("page")
    if value is None or value == "":
        return 1
    if not _PAGE_NUMBER.fullmatch(value) or int(value) < 1:
        abort_with_message(400, _("The page number must be a whole number from 1 upwards."))
    return int(value)


def _invalid_search_message(error, service):
    value = _echo(error.value)
    if error.parameter == "grade":
        return _(
            "Only organisations rated A or B are published, so the grade can only be A or B (not “%(value)s”).",
            value=value,
        )
    if error.parameter == "type":
        return _("“%(value)s” is not an organisation type. Choose one from the list.", value=value)
    if error.parameter == "district":
        return _("“%(value)s” is not a district code of Beijing. Choose one from the list.", value=value)
    if error.parameter == "evaluation":
        return _("“%(value)s” is not an evaluation level. Choose 1A to 5A, or not evaluated.", value=value)
    if error.parameter == "sort":
        return _("“%(value)s” is not a way to sort search results. Choose one from the list.", value=value)
    if error.parameter == "page" and error.reason == "too_deep":
        return _(
            "Only the first %(num)s results can be shown. Add words or filters to narrow the search.",
            num=service.RESULTS_MAXIMUM,
        )
    return _("The page number must be a whole number from 1 upwards.")


def _unavailable():
    response = current_app.make_response((render_template("search/unavailable.html"), 503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _publication_version():
    """The version this request reads (once per request); the search checks its hits against it."""
    publication = current_publication()
    return publication.version if publication is not None else None


def _index_caught_up(publication):
    from portal.search.index import index_version

    return index_version(current_app.config["INDEX_DIR"]) == publication.version


@bp.get("/search", endpoint="results")
@cached_page(usable=_index_caught_up)
def results():
    """Show one page of organisations matching ?q=, with filters, sorts and pages."""
    from portal.search import service
    from portal.search.index import SearchIndexMissing

    text = _requested_text()
    filters = {name: request.args.getlist(name) for name in FILTER_ARGUMENTS if name in request.args}
    sort = request.args.get("sort") or service.DEFAULT_SORT
    page = _requested_page()
    per_page = current_app.config["SEARCH_PAGE_SIZE"]
    try:
        found = service.search(
            text, filters, sort, page, per_page, locale=current_language(), publication_version=_publication_version()
        )
    except service.InvalidSearch as error:
        abort_with_message(400, _invalid_search_message(error, service))
    except SearchIndexMissing:
        return _unavailable()
    if page > found.pages:
        abort_with_message(
            404,
            ngettext(
                "There is no page %(page)s of these results: they have %(num)s page.",
                "There is no page %(page)s of these results: they have %(num)s pages.",
                found.pages,
                page=page,
            ),
        )
    # Caching (ETag per publication state) is cached_page's.
    # Zero results: the organisations the did-you-mean query finds, as names to choose from.
    close_names = service.suggest(found.suggestion) if found.suggestion and not found.total else []
    return render_template(
        "search/results.html",
        results=found,
        close_names=close_names,
        sort_options=service.SORTS,
        org_types={code: str(label) for code, label in ORG_TYPES.items()},
        districts={code: str(label) for code, label in DISTRICTS.items()},
    )


@bp.get("/search.csv", endpoint="download")
def download():
    """Send the current search's results (same query, filters and order as /search) as CSV, up to 5,000 rows."""
    from portal.search import service
    from portal.search.index import SearchIndexMissing

    text = _requested_text()
    filters = {name: request.args.getlist(name) for name in FILTER_ARGUMENTS if name in request.args}
    sort = request.args.get("sort") or service.DEFAULT_SORT
    publication = current_publication()
    try:
        found = service.search_for_download(
            text, filters, sort, locale=current_language(), publication_version=_publication_version()
        )
    except service.InvalidSearch as error:
        abort_with_message(400, _invalid_search_message(error, service))
    except SearchIndexMissing:
        return _unavailable()
    return download_response(found, publication)


def _suggest_limit():
    return current_app.config["SEARCH_SUGGEST_RATE_LIMIT"]


@bp.get("/search/suggest", endpoint="suggest")
@limiter.limit(_suggest_limit)
def suggest():
    """Return up to 8 organisations for what is being typed in a search box, as JSON."""
    from portal.search import service
    from portal.search.index import SearchIndexMissing
    from portal.search.query import clean_query

    text = _requested_text()
    try:
        suggestions = service.suggest(text, publication_version=_publication_version())
    except SearchIndexMissing:
        response = jsonify(query=clean_query(text)[0], results=[], error="search_unavailable")
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = jsonify(
        query=clean_query(text)[0],
        results=[
            {
                "uscc": item.uscc,
                "name": item.name,
                "grade": item.grade,
                "url": url_for("orgs.report", uscc=item.uscc),
            }
            for item in suggestions
        ],
    )
    # Short: the same prefix is typed by many visitors, and the index changes nightly.
    response.headers["Cache-Control"] = f"public, max-age={SUGGEST_MAX_AGE}"
    return response
