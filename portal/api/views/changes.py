"""/changes: entries to and exits from the public list and grade changes, by cursor."""

from datetime import date

from flask import current_app
from flask_babel import gettext as _

from portal.api import service
from portal.api.http import ApiError, published_json
from portal.api.views.arguments import (
    api_timezone,
    check_arguments,
    choice,
    cursor_query,
    date_argument,
    integer_argument,
    invalid_cursor,
    next_link,
    organisation_links,
    single,
)
from portal.api.views.blueprint import bp
from portal.publication.models import CHANGE_TYPES

@bp.get("/changes")
@published_json
def changes():
    """List entries to and exits from the public list and grade changes from a date on, oldest first."""
    check_arguments(("since", "until", "type", "limit", "cursor"))
    change_type = choice(
        "type",
        CHANGE_TYPES,
        lambda value: _("“%(value)s” is not a kind of change. Choose entry, exit or grade_change.", value=value),
    )
    limit = integer_argument("limit", current_app.config["API_PAGE_SIZE"], current_app.config["API_PAGE_SIZE_MAXIMUM"])
    has_cursor = single("cursor") is not None
    since = date_argument("since", required=not has_cursor)
    until = date_argument("until")
    query = {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "type": change_type,
    }
    query, key = cursor_query("changes", query)
    since = date.fromisoformat(query["since"])
    until = date.fromisoformat(query["until"]) if query.get("until") else None
    if until is not None and since > until:
        raise ApiError(
            400, "invalid_date_range", _("The start date (“since”) must not be later than the end date (“until”)."),
            "since",
        )
    try:
        page = service.list_changes(since, until, query.get("type"), limit, api_timezone(), key)
    except service.InvalidCursor:
        raise invalid_cursor() from None
    for line in page.items:
        # Only an organisation that is published now has a report to link to.
        if line["currently_published"]:
            line.update(organisation_links(line["uscc"]))
        else:
            line.update(api_url=None, report_url=None)
    cursor, next_url = next_link("changes", query, page.next_key, limit)
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
