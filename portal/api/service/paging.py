"""Keyset pages and their signed cursors.

A cursor holds the last row's sort key, so a page is as fast at the end of
the list as at its start, and pages neither repeat nor skip rows while the
data stays the same.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, false, or_

from portal.publication.models import Organisation

_CURSOR_SALT = "portal.api.cursor"
_CURSOR_VERSION = 1


class InvalidCursor(ValueError):
    """A cursor that this portal did not make, or made for another list."""


def _serializer(secret_key):
    return URLSafeSerializer(secret_key, salt=_CURSOR_SALT)


def encode_cursor(secret_key, kind, query, key):
    """Return an opaque, signed cursor: the list it belongs to, its query and the last row's key."""
    return _serializer(secret_key).dumps({"v": _CURSOR_VERSION, "k": kind, "q": query, "after": key})


def decode_cursor(secret_key, kind, cursor):
    """Return (query, key) of a cursor made by ``encode_cursor`` for ``kind``; raise InvalidCursor otherwise."""
    if not cursor or len(cursor) > 2000:
        raise InvalidCursor(cursor)
    try:
        payload = _serializer(secret_key).loads(cursor)
    except BadSignature as error:
        raise InvalidCursor(cursor) from error
    if not isinstance(payload, dict) or payload.get("v") != _CURSOR_VERSION or payload.get("k") != kind:
        raise InvalidCursor(cursor)
    if not isinstance(payload.get("q"), dict) or not isinstance(payload.get("after"), list):
        raise InvalidCursor(cursor)
    return payload["q"], payload["after"]


def rows_after(columns, values):
    """Return the condition "the row sorts after ``values``" for ((column, descending), ...).

    NULLs sort last in both directions (as the published list sorts them), so
    a NULL is after every value, and nothing but a later key is after a NULL.
    """
    alternatives = []
    equal_so_far = []
    for (column, descending), value in zip(columns, values):
        if value is None:
            later = false()
            same = column.is_(None)
        else:
            later = or_(column < value if descending else column > value, column.is_(None))
            same = column == value
        alternatives.append(and_(*equal_so_far, later))
        equal_so_far.append(same)
    condition = or_(*alternatives)
    (first, descending), value = columns[0], values[0]
    if value is not None:
        # Implied by the condition, but a plain range on the first sort column
        # lets the database walk its index instead of testing every row.
        bound = first <= value if descending else first >= value
        condition = and_(or_(bound, first.is_(None)) if first.nullable else bound, condition)
    return condition


def keyset_order(columns):
    return [
        (column.desc() if descending else column.asc()).nulls_last() for column, descending in columns
    ]

def key_values(row, columns):
    values = []
    for column, _ in columns:
        value = getattr(row, column.key)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        values.append(value)
    return values


def key_from_cursor(values, columns):
    """Turn a cursor's JSON key back into column values; raise InvalidCursor if it does not fit."""
    if len(values) != len(columns):
        raise InvalidCursor(values)
    parsed = []
    try:
        for value, (column, _) in zip(values, columns):
            if value is None:
                parsed.append(None)
            elif column is Organisation.score:
                parsed.append(Decimal(value))
            elif column is Organisation.registered_on:
                parsed.append(date.fromisoformat(value))
            elif isinstance(value, str):
                parsed.append(value)
            else:
                raise InvalidCursor(values)
    except (ArithmeticError, ValueError, TypeError) as error:
        raise InvalidCursor(values) from error
    return parsed


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paged list."""

    items: list
    total: int
    next_key: list | None
