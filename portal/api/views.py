"""The public JSON API (/api/v1) and its human-readable page (/api).

Views parse the request, call a service and return plain data; ``portal.api.http``
turns it into JSON with the publication state, validators, CORS and the one
error shape. Every JSON endpoint shares one rate limit per client address.
"""

import re
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_babel import force_locale, format_number
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import default_exceptions

from portal.api import service
from portal.api.http import (
    RETRY_AFTER_SECONDS,
    ApiError,
    api_language,
    handle_api_error,
    handle_http_error,
    handle_unexpected_error,
    json_response,
    published_json,
)
from portal.api.openapi import openapi_document
from portal.clock import local_today
from portal.extensions import limiter
from portal.opendata import batch
from portal.orgs import service as orgs_service
from portal.origin import public_path_url, public_url
from portal.pagecache import cached_page
from portal.publication.models import CHANGE_TYPES
from portal.uscc import check_uscc
from portal.web import current_publication, limit_request_body

API_PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
#: The human-readable page, an ordinary HTML page outside the JSON prefix.
docs_bp = Blueprint("api_docs", __name__)

FILTER_ARGUMENTS = ("grade", "type", "district", "evaluation")
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ECHO_LENGTH = 40
#: Input longer than this is cut before the search service cleans it.
RAW_QUERY_MAXIMUM = 1000
#: A value of the batch check longer than this is no code or name.
BATCH_VALUE_MAXIMUM = 500


# -- limits and error handlers ----------------------------------------------------------------


def _rate_limit():
    return current_app.config["API_RATE_LIMIT"]


def _batch_rate_limit():
    return current_app.config["API_BATCH_RATE_LIMIT"]


# One limit per client address across every JSON endpoint (not one per endpoint); preflights are free.
limiter.shared_limit(_rate_limit, scope="api", methods=["GET", "HEAD", "POST"])(bp)


def _timezone():
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _echo(value):
    value = str(value)
    return value if len(value) <= _ECHO_LENGTH else value[:_ECHO_LENGTH] + "…"


# Every HTTP error of the blueprint's routes, by code (an app-wide handler of
# the code would otherwise come first), then the API's own, then the rest.
for _code in default_exceptions:
    if _code >= 400:
        bp.register_error_handler(_code, handle_http_error)
bp.register_error_handler(ApiError, handle_api_error)
bp.register_error_handler(Exception, handle_unexpected_error)


# -- request arguments -----------------------------------------------------------------------


def _check_arguments(allowed):
    unknown = sorted(set(request.args) - set(allowed) - {"lang"})
    if unknown:
        raise ApiError(
            400, "unknown_parameter",
            _("“%(name)s” is not a parameter of this endpoint. See /api/v1/openapi.json.", name=_echo(unknown[0])),
            parameter=unknown[0],
        )


def _single(name):
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, "invalid_parameter", _("Choose at most one value for “%(name)s”.", name=name), name)
    value = values[0].strip() if values else ""
    return value or None


def _choice(name, allowed, message):
    value = _single(name)
    if value is not None and value not in allowed:
        raise ApiError(400, "invalid_parameter", message(_echo(value)), name)
    return value


def _grade_message(value):
    return _(
        "Only organisations rated A or B are published, so the grade can only be A or B (not “%(value)s”).",
        value=value,
    )


def _type_message(value):
    return _("“%(value)s” is not an organisation type. Choose one from the list.", value=value)


def _district_message(value):
    return _("“%(value)s” is not a district code of Beijing. Choose one from the list.", value=value)


def _evaluation_message(value):
    return _("“%(value)s” is not an evaluation level. Choose 1A to 5A, or not evaluated.", value=value)


FILTER_MESSAGES = {
    "grade": _grade_message,
    "type": _type_message,
    "district": _district_message,
    "evaluation": _evaluation_message,
}


def _integer(name, default, maximum):
    value = _single(name)
    if value is None:
        return default
    if not _PAGE_NUMBER.fullmatch(value) or not 1 <= int(value) <= maximum:
        raise ApiError(
            400, "invalid_parameter",
            _("“%(name)s” must be a whole number from 1 to %(maximum)s.", name=name, maximum=maximum),
            name,
        )
    return int(value)


def _date(name, required=False):
    value = _single(name)
    if value is None:
        if required:
            raise ApiError(
                400, "missing_parameter",
                _("Give “%(name)s” as a date (year-month-day), for example 2026-11-29.", name=name), name,
            )
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, "invalid_date",
            _(
                "“%(value)s” is not a valid date for “%(name)s”. "
                "Write dates as year-month-day, for example 2026-11-29.",
                value=_echo(value),
                name=name,
            ),
            name,
        ) from None


def _invalid_cursor():
    return ApiError(
        400,
        "invalid_cursor",
        _("This cursor is not valid. Use the “next” link of a previous page, unchanged."),
        "cursor",
    )


def _cursor(kind, query):
    """Return (query, key) for the page asked for: from ?cursor= if given, else ``query`` and no key.

    A cursor carries its list's filters and sort; other arguments given with
    it must agree with them.
    """
    cursor = _single("cursor")
    if cursor is None:
        return query, None
    try:
        cursor_query, key = service.decode_cursor(current_app.config["SECRET_KEY"], kind, cursor)
    except service.InvalidCursor:
        raise _invalid_cursor() from None
    for name, value in query.items():
        if value is not None and value != cursor_query.get(name):
            raise ApiError(
                400, "cursor_mismatch",
                _(
                    "“%(name)s” differs from the list this cursor belongs to. "
                    "Leave it out, or start again without a cursor.",
                    name=name,
                ),
                name,
            )
    return cursor_query, key


def _next_link(kind, query, key, limit):
    if key is None:
        return None, None
    cursor = service.encode_cursor(current_app.config["SECRET_KEY"], kind, query, key)
    return cursor, public_url(request.endpoint, cursor=cursor, limit=limit)


def _organisation_links(uscc):
    return {
        "api_url": public_url("api.organisation", uscc=uscc),
        "report_url": public_url("orgs.report", uscc=uscc),
    }


# -- endpoints ---------------------------------------------------------------------------------


@bp.get("")
@bp.get("/")
@published_json
def index():
    """Say what the API offers, with links."""
    _check_arguments(())

    return {
        "name": _("Beijing Social Organisation Credit Information Portal"),
        "version": "v1",
        "documentation": public_url("api_docs.page"),
        "openapi": public_url("api.openapi"),
        "endpoints": {
            "organisations": public_url("api.organisations"),
            "organisation": public_url("api.organisation", uscc="{uscc}").replace("%7B", "{").replace("%7D", "}"),
            "search": public_url("api.search"),
            "changes": public_url("api.changes"),
            "rules": public_url("api.rules"),
            "statistics": public_url("api.statistics"),
            "batch_check": public_url("api.batch_check"),
        },
    }


@bp.get("/organisations")
@published_json
def organisations():
    """List the published organisations, filtered and sorted as the list page, by cursor."""
    _check_arguments((*FILTER_ARGUMENTS, "sort", "limit", "cursor"))
    query = {
        name: _choice(name, orgs_service.LIST_FILTERS[name], FILTER_MESSAGES[name]) for name in FILTER_ARGUMENTS
    }
    query["sort"] = _choice(
        "sort",
        service.ORGANISATION_SORTS,
        lambda value: _("“%(value)s” is not a way to sort the list. Choose one from the list.", value=value),
    )
    limit = _integer("limit", current_app.config["API_PAGE_SIZE"], current_app.config["API_PAGE_SIZE_MAXIMUM"])
    query, key = _cursor("organisations", query)
    query["sort"] = query.get("sort") or service.DEFAULT_ORGANISATION_SORT
    filters = {name: query.get(name) for name in FILTER_ARGUMENTS}
    try:
        page = service.published_organisations(filters, query["sort"], limit, key)
    except service.InvalidCursor:
        raise _invalid_cursor() from None
    today = local_today(_timezone())
    cursor, next_url = _next_link("organisations", query, page.next_key, limit)
    return {
        "total": page.total,
        "limit": limit,
        "sort": query["sort"],
        "filters": filters,
        "next_cursor": cursor,
        "next": next_url,
        "organisations": [
            {**service.organisation_summary(row, today), **_organisation_links(row.uscc)} for row in page.items
        ],
    }


def _invalid_uscc(check):
    # The credit report page's messages, so both say the same.
    code = _echo(check.code)
    if check.problem == "length":
        message = ngettext(
            "“%(code)s” has %(num)s character, but a unified social credit code has 18.",
            "“%(code)s” has %(num)s characters, but a unified social credit code has 18.",
            len(check.code),
            code=code,
        )
    elif check.problem == "characters":
        message = ngettext(
            "“%(code)s” has a character that a unified social credit code cannot have, at position %(positions)s.",
            "“%(code)s” has characters that a unified social credit code cannot have, at positions %(positions)s.",
            len(check.bad_positions),
            code=code,
            positions=", ".join(map(str, check.bad_positions)),
        )
    else:
        message = _(
            "The last character of “%(code)s”, its check character, does not match the first 17 characters. "
            "One of the characters may be mistyped.",
            code=code,
        )
    return ApiError(400, "invalid_uscc", message, "uscc")


@bp.get("/organisations/<uscc>")
@published_json
def organisation(uscc):
    """Return a published organisation's report data; the same 404 for every code the public may not see."""
    _check_arguments(())
    check = check_uscc(uscc)
    if check.problem is not None:
        raise _invalid_uscc(check)
    timezone_name = _timezone()
    report = service.organisation_report(
        check.code, local_today(timezone_name), timezone_name, api_language()
    )
    if report is None:
        # One answer for unpublished, cancelled and unknown codes alike.
        raise ApiError(
            404,
            "organisation_not_found",
            _("No organisation with the unified social credit code %(code)s is in the public list.", code=check.code),
            "uscc",
        )
    return {"organisation": {**report, **_organisation_links(check.code)}}


def _search_state():
    from portal.search.index import index_version

    return (index_version(current_app.config["INDEX_DIR"]),)


def _invalid_search(error, search_service):
    value = _echo(error.value)
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

    _check_arguments(("q", *FILTER_ARGUMENTS, "sort", "page", "per_page"))
    text = request.args.get("q", "")[:RAW_QUERY_MAXIMUM]
    filters = {name: request.args.getlist(name) for name in FILTER_ARGUMENTS if name in request.args}
    sort = _single("sort") or search_service.DEFAULT_SORT
    page = _integer("page", 1, 10**9)
    per_page = _integer("per_page", search_service.DEFAULT_PER_PAGE, search_service.PER_PAGE_MAXIMUM)
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
            **_organisation_links(hit.uscc),
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


@bp.get("/changes")
@published_json
def changes():
    """List entries to and exits from the public list and grade changes from a date on, oldest first."""
    _check_arguments(("since", "until", "type", "limit", "cursor"))
    change_type = _choice(
        "type",
        CHANGE_TYPES,
        lambda value: _("“%(value)s” is not a kind of change. Choose entry, exit or grade_change.", value=value),
    )
    limit = _integer("limit", current_app.config["API_PAGE_SIZE"], current_app.config["API_PAGE_SIZE_MAXIMUM"])
    has_cursor = _single("cursor") is not None
    since = _date("since", required=not has_cursor)
    until = _date("until")
    query = {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "type": change_type,
    }
    query, key = _cursor("changes", query)
    since = date.fromisoformat(query["since"])
    until = date.fromisoformat(query["until"]) if query.get("until") else None
    if until is not None and since > until:
        raise ApiError(
            400, "invalid_date_range", _("The start date (“since”) must not be later than the end date (“until”)."),
            "since",
        )
    try:
        page = service.list_changes(since, until, query.get("type"), limit, _timezone(), key)
    except service.InvalidCursor:
        raise _invalid_cursor() from None
    for line in page.items:
        # Only an organisation that is published now has a report to link to.
        if line["currently_published"]:
            line.update(_organisation_links(line["uscc"]))
        else:
            line.update(api_url=None, report_url=None)
    cursor, next_url = _next_link("changes", query, page.next_key, limit)
    return {
        "since": query["since"],
        "until": query.get("until"),
        "type": query.get("type"),
        "total": page.total,
        "limit": limit,
        "next_cursor": cursor,
        "next": next_url,
        "changes": page.items,
    }


@bp.get("/rules")
@published_json
def rules():
    """Return the rule sets: grade bands, dimensions and the catalogue of plus and minus items."""
    _check_arguments(())
    return {"rule_sets": service.rule_sets()}


def statistics_data():
    """Return the statistics pages' numbers (``portal.stats``), with labels in the request's language."""
    from portal.stats.service import published_statistics

    figures = published_statistics()
    label = "label_en" if api_language() == "en" else "label_zh"

    def counts(rows):
        return [
            {
                "code": row["code"],
                "label": row[label],
                "label_zh": row["label_zh"],
                "label_en": row["label_en"],
                "count": row["count"],
            }
            for row in rows
        ]

    return {
        "total": figures["total"],
        "first_sync_at": figures["first_sync_at"],
        "timezone": figures["timezone"],
        "by_grade": counts(figures["by_grade"]),
        "by_type": counts(figures["by_type"]),
        "by_district": counts(figures["by_district"]),
        "by_evaluation": counts(figures["by_evaluation"]),
        "score_distribution": figures["score_distribution"],
        "changes_by_month": figures["changes_by_month"],
    }


@bp.get("/statistics")
@published_json
def statistics():
    """Return the published organisations counted by grade, type, district, evaluation and score; changes per month."""
    _check_arguments(())
    return {"statistics": statistics_data()}


def _batch_result(row_number, item):
    """Return one result of ``portal.opendata.batch.check_values`` in the API's shape (scores as numbers)."""

    def match(found):
        return {
            "uscc": found["uscc"],
            "name": found["name"],
            "grade": found["grade"],
            "score": service.number(found["score"]),
        }

    result = {
        "row": row_number,
        "input": item["input"],
        "kind": item["kind"],
        "result": item["result"],
        "uscc": item.get("uscc"),
        "name": item.get("name"),
        "grade": item.get("grade"),
        "score": service.number(item.get("score")),
    }
    if "matches" in item:
        result["matches"] = [match(found) for found in item["matches"]]
    return result


def _batch_values():
    maximum_bytes = current_app.config["API_BATCH_MAX_BYTES"]
    if request.content_length is not None and request.content_length > maximum_bytes:
        raise ApiError(413, "payload_too_large", _("The request is too large."))
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", _("Send the request body as JSON (Content-Type: application/json).")
        )
    if len(request.get_data(cache=True)) > maximum_bytes:
        raise ApiError(413, "payload_too_large", _("The request is too large."))
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None  # nested thousands deep: no list of values
    values = body.get("values") if isinstance(body, dict) else body
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ApiError(
            400, "invalid_body",
            _('Send a JSON object {"values": [...]} whose values are codes or names, as strings.'), "values",
        )
    maximum = batch.MAX_ROWS
    if len(values) > maximum:
        raise ApiError(
            400, "too_many_values",
            _(
                "Send at most %(maximum)s values at a time (this request has %(num)s).",
                maximum=format_number(maximum),
                num=format_number(len(values)),
            ),
            "values",
        )
    if any(len(value) > BATCH_VALUE_MAXIMUM for value in values):
        raise ApiError(
            400, "invalid_body",
            _(
                "A value is longer than %(maximum)s characters: no code or name is this long.",
                maximum=BATCH_VALUE_MAXIMUM,
            ),
            "values",
        )
    # A lone surrogate (valid in JSON) can be neither queried nor echoed back: drop it.
    return [value.encode("utf-16", "surrogatepass").decode("utf-16", "ignore") for value in values]


def _batch_body_limit():
    # One byte more than allowed: a chunked body is cut at the limit without an error,
    # so reading one byte over it is how _batch_values knows that the body was longer.
    return current_app.config["API_BATCH_MAX_BYTES"] + 1


@bp.post("/batch-check")
@limit_request_body(_batch_body_limit)
@limiter.limit(_batch_rate_limit, override_defaults=False)
def batch_check():
    """Check up to 5,000 codes or names against the public list."""
    with force_locale(api_language()):
        publication = current_publication()
        values = _batch_values()
        results = [_batch_result(number, item) for number, item in enumerate(batch.check_values(values), start=1)]
        summary = {}
        for result in results:
            summary[result["result"]] = summary.get(result["result"], 0) + 1
        response = json_response({"count": len(results), "summary": summary, "results": results}, 200, publication)
        response.headers["Cache-Control"] = "no-store"
        return response


@bp.get("/openapi.json")
@published_json(publication_fields=False)
def openapi():
    """Return the OpenAPI 3.1 description of this API, with the publication it describes as x- fields."""
    _check_arguments(())
    fields = service.publication_fields(current_publication())
    document = openapi_document()
    # Absolute, from PUBLIC_BASE_URL: a client generated from this document calls the real site.
    document["servers"] = [{"url": public_path_url(API_PREFIX)}]
    document["info"] = {
        **document["info"],
        "x-data-as-of": fields["data_as_of"],
        "x-publication-version": fields["publication_version"],
    }
    return document


def describe_rate(rate):
    """Return a Flask-Limiter rate such as "120 per minute" in the page's language."""
    from limits import parse_many

    periods = {
        "second": lambda num: ngettext("%(num)s request a second", "%(num)s requests a second", num),
        "minute": lambda num: ngettext("%(num)s request a minute", "%(num)s requests a minute", num),
        "hour": lambda num: ngettext("%(num)s request an hour", "%(num)s requests an hour", num),
        "day": lambda num: ngettext("%(num)s request a day", "%(num)s requests a day", num),
    }
    try:
        items = parse_many(rate)
    except ValueError:
        return rate
    described = []
    for item in items:
        period = item.GRANULARITY.name
        if item.multiples != 1 or period not in periods:
            return rate
        described.append(periods[period](item.amount))
    return "; ".join(described) if described else rate


# -- the human-readable page ---------------------------------------------------------------------


@docs_bp.get("/api")
@cached_page
def page():
    """Explain the API with examples and curl lines."""
    base = public_path_url(API_PREFIX)
    return render_template(
        "api/index.html",
        base=base,
        page_size=current_app.config["API_PAGE_SIZE"],
        page_size_maximum=current_app.config["API_PAGE_SIZE_MAXIMUM"],
        batch_maximum=format_number(batch.MAX_ROWS),
        rate_limit=describe_rate(current_app.config["API_RATE_LIMIT"]),
        batch_rate_limit=describe_rate(current_app.config["API_BATCH_RATE_LIMIT"]),
        max_age=current_app.config["API_MAX_AGE"],
    )
