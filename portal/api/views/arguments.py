"""The API's request arguments: checked, with a clear 400 in the request's language for each mistake."""

import re

from flask import current_app, request
from flask_babel import gettext as _

from portal.api import service
from portal.api.http import ApiError
from portal.clock import parse_iso_date
from portal.origin import public_url

FILTER_ARGUMENTS = ("grade", "type", "district", "evaluation")
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
_ECHO_LENGTH = 40


def api_timezone():
    """Return the timezone of dates in the API (Beijing)."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def echo(value):
    """Return ``value`` cut to a length that an error message may quote."""
    value = str(value)
    return value if len(value) <= _ECHO_LENGTH else value[:_ECHO_LENGTH] + "…"


def check_arguments(allowed):
    """Refuse any query argument but ``allowed`` and lang."""
    unknown = sorted(set(request.args) - set(allowed) - {"lang"})
    if unknown:
        raise ApiError(
            400, "unknown_parameter",
            _("“%(name)s” is not a parameter of this endpoint. See /api/v1/openapi.json.", name=echo(unknown[0])),
            parameter=unknown[0],
        )


def single(name):
    """Return the one value of argument ``name``, stripped, or None; refuse several."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, "invalid_parameter", _("Choose at most one value for “%(name)s”.", name=name), name)
    value = values[0].strip() if values else ""
    return value or None


def choice(name, allowed, message):
    """Return argument ``name`` if it is one of ``allowed`` (or absent); else a 400 with ``message(value)``."""
    value = single(name)
    if value is not None and value not in allowed:
        raise ApiError(400, "invalid_parameter", message(echo(value)), name)
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


def integer_argument(name, default, maximum):
    value = single(name)
    if value is None:
        return default
    if not _PAGE_NUMBER.fullmatch(value) or not 1 <= int(value) <= maximum:
        raise ApiError(
            400, "invalid_parameter",
            _("“%(name)s” must be a whole number from 1 to %(maximum)s.", name=name, maximum=maximum),
            name,
        )
    return int(value)


def date_argument(name, required=False):
    value = single(name)
    if value is None:
        if required:
            raise ApiError(
                400, "missing_parameter",
                _("Give “%(name)s” as a date (year-month-day), for example 2026-11-29.", name=name), name,
            )
        return None
    try:
        return parse_iso_date(value)
    except ValueError:
        raise ApiError(
            400, "invalid_date",
            _(
                "“%(value)s” is not a valid date for “%(name)s”. "
                "Write dates as year-month-day, for example 2026-11-29.",
                value=echo(value),
                name=name,
            ),
            name,
        ) from None


def invalid_cursor():
    return ApiError(
        400,
        "invalid_cursor",
        _("This cursor is not valid. Use the “next” link of a previous page, unchanged."),
        "cursor",
    )


def cursor_query(kind, query):
    """Return (query, key) for the page asked for: from ?cursor= if given, else ``query`` and no key.

    A cursor carries its list's filters and sort; other arguments given with
    it must agree with them.
    """
    cursor = single("cursor")
    if cursor is None:
        return query, None
    try:
        cursor_query, key = service.decode_cursor(current_app.config["SECRET_KEY"], kind, cursor)
    except service.InvalidCursor:
        raise invalid_cursor() from None
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


def next_link(kind, query, key, limit):
    if key is None:
        return None, None
    cursor = service.encode_cursor(current_app.config["SECRET_KEY"], kind, query, key)
    return cursor, public_url(request.endpoint, cursor=cursor, limit=limit)


def organisation_links(uscc):
    return {
        "api_url": public_url("api.organisation", uscc=uscc),
        "report_url": public_url("orgs.report", uscc=uscc),
    }
