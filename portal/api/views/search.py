"/search: the same search as the search page, as JSON."""

from flask import current_app, request
from flask_babel import gettext as _

from portal.api import service
from portal.api.http import RETRY_AFTER_SECONDS, ApiError, api_language, published_json
from portal.api.views.arguments import (
    FILTER_ARGUMENTS,
    FILTER_MESSAGES,
    check_arguments,
    echo,
    integer_argument,
    organisation_links,
    single,
)
from portal.api.views.blueprint import bp
from portal.web import current_publication

#: Input longer than this is cut before the search service cleans it.
RAW_QUERY_MAXIMUM = 1000


def _search_state():
    from portal.search.index import index_version

    return (index_version(current_app.config["INDEX_DIR"]),)


def _invalid_search(error, search_service):
    value = echo(error.value)
    if error.parameter in FILTER_MESSAGES:
        message = FILTER_MESSAGES[error.parameter](value)
    elif error.parameter == "sort":
        message = _("“%(value)s” is not a way to sort search results. Choose one from the list.", value=value)
    elif error.parameter == "page" and error.reason == "too_deep":
        message = _(
            "Only the first %(num)s results can be shown. Add words or filters to narrow the search.",
            num=search_service.RESULTS_MAXIMUM,
        )
    else:
        message = _("The page number must be a whole number from 1 upwards.")
    return ApiError(400, "invalid_parameter", message, error.parameter)


@bp.get("/search")
@published_json(extra_state=_search_state)
def search():
    """Search the published organisations as /search does: the same matching, filters, sorts and facets."""
    from portal.search import service as search_service
    from portal.search.index import SearchIndexMissing, index_version

    check_arguments(("q", *FILTER_ARGUMENTS, "sort", "page", "per_page"))
    text = request.args.get("q", "")[:RAW_QUERY_MAXIMUM]
    filters = {name: request.args.getlist(name) for name in FILTER_ARGUMENTS if name in request.args}
    sort = single("sort") or search_service.DEFAULT_SORT
    page = integer_argument("page", 1, 10**9)
    per_page = integer_argument("per_page", search_service.DEFAULT_PER_PAGE, search_service.PER_PAGE_MAXIMUM)
    publication = current_publication()
    try:
        found = search_service.search(
            text, filters, sort, page, per_page, locale=api_language(),
            publication_version=publication.version if publication else None,
        )
    except search_service.InvalidSearch as error:
        raise _invalid_search(error, search_service) from None
    except SearchIndexMissing:
        raise ApiError(
            503, "search_unavailable", _("Search is temporarily unavailable. Please try again later."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    # The index may lag the database after a sync: the search service checks
    # every hit against it (nothing that has left the public list is shown),
    # and names, grades and scores are the database's.
    version = index_version(current_app.config["INDEX_DIR"])
    results = [
        {
            "uscc": hit.uscc,
            "name": hit.name,
            "grade": hit.grade,
            "score": service.number(hit.score),
            "org_type": hit.org_type,
            "district_code": hit.district_code,
            "evaluation_level": None if hit.evaluation_level in (None, "none") else f"{hit.evaluation_level}A",
            "registered_on": service.iso_date(hit.registered_on) if hit.registered_on else None,
            "match": hit.match,
            "snippet_field": hit.snippet_field,
            "snippet": hit.snippet_html.striptags() if hit.snippet_html is not None else None,
            **organisation_links(hit.uscc),
        }
        for hit in found.hits
    ]
    return {
        "query": found.query,
        "total": found.total,
        "unfiltered_total": found.unfiltered_total,
        "page": found.page,
        "per_page": found.per_page,
        "pages": found.pages,
        "sort": found.sort,
        "filters": {name: list(values) for name, values in found.filters.items()},
        "truncated": found.truncated,
        "too_short": found.too_short,
        "partial": found.partial,
        "respelled": found.respelled,
        "suggestion": (
            {"query": found.suggestion, "total": found.suggestion_total} if found.suggestion else None
        ),
        "index_version": version,
        "index_current": not found.index_behind and version == (publication.version if publication else None),
        "results": results,
        "facets": [
            {
                "name": facet.name,
                "options": [
                    {"value": o.value, "label": o.label, "count": o.count, "selected": o.selected}
                    for o in facet.options
                ],
            }
            for facet in found.facets
        ],
    }
