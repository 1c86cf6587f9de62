"""/organisations (the published list, by cursor) and /organisations/<uscc> (one report)."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.api import service
from portal.api.http import ApiError, api_language, published_json
from portal.api.views.arguments import (
    FILTER_ARGUMENTS,
    FILTER_MESSAGES,
    api_timezone,
    check_arguments,
    choice,
    cursor_query,
    echo,
    integer_argument,
    invalid_cursor,
    next_link,
    organisation_links,
)
from portal.api.views.blueprint import bp
from portal.clock import local_today
from portal.orgs import service as orgs_service
from portal.uscc import check_uscc

@bp.get("/organisations")
@published_json
def organisations():
    """List the published organisations, filtered and sorted as the list page, by cursor."""
    check_arguments((*FILTER_ARGUMENTS, "sort", "limit", "cursor"))
    query = {
        name: choice(name, orgs_service.LIST_FILTERS[name], FILTER_MESSAGES[name]) for name in FILTER_ARGUMENTS
    }
    query["sort"] = choice(
        "sort",
        service.ORGANISATION_SORTS,
        lambda value: _("“%(value)s” is not a way to sort the list. Choose one from the list.", value=value),
    )
    limit = integer_argument("limit", current_app.config["API_PAGE_SIZE"], current_app.config["API_PAGE_SIZE_MAXIMUM"])
    query, key = cursor_query("organisations", query)
    query["sort"] = query.get("sort") or service.DEFAULT_ORGANISATION_SORT
    filters = {name: query.get(name) for name in FILTER_ARGUMENTS}
    try:
        page = service.published_organisations(filters, query["sort"], limit, key)
    except service.InvalidCursor:
        raise invalid_cursor() from None
    today = local_today(api_timezone())
    cursor, next_url = next_link("organisations", query, page.next_key, limit)
    return {
        "total": page.total,
        "limit": limit,
        "sort": query["sort"],
        "filters": filters,
        "next_cursor": cursor,
        "next": next_url,
        "organisations": [
            {**service.organisation_summary(row, today), **organisation_links(row.uscc)} for row in page.items
        ],
    }


def _invalid_uscc(check):
    # The credit report page's messages, so both say the same.
    code = echo(check.code)
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
    check_arguments(())
    check = check_uscc(uscc)
    if check.problem is not None:
        raise _invalid_uscc(check)
    timezone_name = api_timezone()
    report = service.organisation_report(
        check.code, local_today(timezone_name), timezone_name, api_language()
    )
    if report is None:
        raise _not_in_public_list(check.code)
    return {"organisation": {**report, **organisation_links(check.code)}}


def _not_in_public_list(code):
    # One answer for unpublished, cancelled and unknown codes alike.
    return ApiError(
        404,
        "organisation_not_found",
        _("No organisation with the unified social credit code %(code)s is in the public list.", code=code),
        "uscc",
    )


@bp.get("/organisations/<uscc>/changes")
@published_json
def organisation_changes(uscc):
    """Return a published organisation's change record, newest first; the same 404 as its report otherwise."""
    check_arguments(("limit",))
    check = check_uscc(uscc)
    if check.problem is not None:
        raise _invalid_uscc(check)
    limit = integer_argument("limit", current_app.config["API_PAGE_SIZE"], current_app.config["API_PAGE_SIZE_MAXIMUM"])
    record = service.organisation_change_record(check.code, limit, api_timezone())
    if record is None:
        raise _not_in_public_list(check.code)
    changes, total = record
    return {
        "uscc": check.code,
        "total": total,
        "limit": limit,
        "changes": changes,
        **organisation_links(check.code),
    }
