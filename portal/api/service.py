"""What the public JSON API answers: published data as plain, JSON-ready dicts.

Every organisation query here starts from ``Organisation.is_published``, as
``portal.orgs.service`` does: publication is decided by the sync, never by
the API. Lists are paged by keyset (a cursor holds the last row's sort key),
so a page is as fast at the end of the list as at its start, and pages
neither repeat nor skip rows while the data stays the same.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, false, func, or_, select

from portal.clock import day_end_utc, day_start_utc, local_date
from portal.extensions import db
from portal.orgs import report as orgs_report
from portal.orgs import service as orgs_service
from portal.publication.models import CHANGE_EXIT, ListChange, Organisation
from portal.publication.state import PUBLISHED
from portal.reference import DISTRICTS, EVENT_STATUSES, LIST_TYPES, ORG_TYPES, REGISTRATION_STATUSES
from portal.rules import service as rules_service


#: Sorts of the organisation list: name -> ((column, descending), ...), each
#: ending with the name and the code, so that every row has its own place.
_NAME_KEY = ((Organisation.name_pinyin, False), (Organisation.name, False), (Organisation.uscc, False))
ORGANISATION_SORTS = {
    "name": _NAME_KEY,
    "score_desc": ((Organisation.score, True), *_NAME_KEY),
    "score_asc": ((Organisation.score, False), *_NAME_KEY),
    "registered_desc": ((Organisation.registered_on, True), *_NAME_KEY),
    "registered_asc": ((Organisation.registered_on, False), *_NAME_KEY),
}
DEFAULT_ORGANISATION_SORT = "name"

_CURSOR_SALT = "portal.api.cursor"
_CURSOR_VERSION = 1


class InvalidCursor(ValueError):
    """A cursor that this portal did not make, or made for another list."""


# -- cursors -----------------------------------------------------------------------


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


def _after(columns, values):
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


def _order_by(columns):
    return [
        (column.desc() if descending else column.asc()).nulls_last() for column, descending in columns
    ]


# -- JSON values ---------------------------------------------------------------------


def number(value):
    """Return a Decimal score or points as a JSON number (None stays None)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def iso_date(value):
    return value.isoformat() if value is not None else None


def iso_time(value):
    """Return a naive UTC timestamp as ISO 8601 with a Z."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def _label(labels, code):
    label = labels.get(code)
    return str(label) if label is not None else code


def evaluation_code(level):
    return f"{level}A" if level else None


def _key_values(row, columns):
    values = []
    for column, _ in columns:
        value = getattr(row, column.key)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        values.append(value)
    return values


def _key_from_cursor(values, columns):
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


# -- publication ----------------------------------------------------------------------


def publication_fields(publication):
    """Return the two fields every API response carries."""
    if publication is None:
        return {"data_as_of": None, "publication_version": None}
    return {"data_as_of": iso_time(publication.data_as_of), "publication_version": publication.version}


# -- organisations --------------------------------------------------------------------

_SUMMARY_COLUMNS = (
    Organisation.uscc,
    Organisation.name,
    Organisation.name_pinyin,
    Organisation.org_type,
    Organisation.district_code,
    Organisation.grade,
    Organisation.score,
    Organisation.registered_on,
    Organisation.evaluation_level,
    Organisation.evaluation_valid_until,
    Organisation.assessed_at,
)


def organisation_summary(row, today):
    """Return the list fields of one published organisation."""
    until = row.evaluation_valid_until
    return {
        "uscc": row.uscc,
        "name": row.name,
        "org_type": row.org_type,
        "org_type_label": _label(ORG_TYPES, row.org_type),
        "district_code": row.district_code,
        "district_label": _label(DISTRICTS, row.district_code),
        "grade": row.grade,
        "score": number(row.score),
        "registered_on": iso_date(row.registered_on),
        "evaluation_level": evaluation_code(row.evaluation_level),
        "evaluation_valid_until": iso_date(until),
        "evaluation_expired": bool(row.evaluation_level and until is not None and until < today),
        "assessed_at": iso_time(row.assessed_at),
    }


_FILTER_COLUMNS = {
    "grade": Organisation.grade,
    "type": Organisation.org_type,
    "district": Organisation.district_code,
    "evaluation": Organisation.evaluation_level,
}


def _filter_condition(name, value):
    """Return the condition of one filter of the list page (``portal.orgs.service.LIST_FILTERS``)."""
    column = _FILTER_COLUMNS[name]
    if name == "evaluation":
        return column.is_(None) if value == orgs_service.EVALUATION_NONE else column == int(value[0])
    return column == value


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paged list."""

    items: list
    total: int
    next_key: list | None


def published_organisations(filters, sort, limit, after=None):
    """Return a Page of published organisations matching ``filters``, in ``sort`` order.

    ``filters`` maps the list page's filter names (``portal.orgs.service.LIST_FILTERS``)
    to an allowed value or None; ``after`` is the key of the previous page's
    last row (from a cursor), or None for the first page.
    """
    columns = ORGANISATION_SORTS[sort]
    conditions = [PUBLISHED] + [_filter_condition(name, value) for name, value in filters.items() if value is not None]
    total = db.session.scalar(select(func.count()).select_from(Organisation).where(*conditions))
    statement = select(*_SUMMARY_COLUMNS).where(*conditions)
    if after is not None:
        statement = statement.where(_after(columns, _key_from_cursor(after, columns)))
    # One row more than asked tells whether there is a next page.
    rows = db.session.execute(statement.order_by(*_order_by(columns)).limit(limit + 1)).all()
    next_key = _key_values(rows[limit - 1], columns) if len(rows) > limit else None
    return Page(rows[:limit], total, next_key)


def _dimension(dimension):
    return {
        "code": dimension.code,
        "name_zh": dimension.name_zh,
        "name_en": dimension.name_en,
        "points": number(dimension.points),
        "max_points": number(dimension.max_points),
    }


def _event(item, language):
    event = item.event
    item_name = item.item_name_en if language == "en" and item.item_name_en else item.item_name_zh
    return {
        "event_id": event.event_id,
        "item_code": event.item_code,
        "item_name": item_name,
        "dimension_code": event.dimension_code,
        "description": event.description,
        "points": number(event.points),
        "reporting_department": event.reporting_department,
        "legal_basis": event.legal_basis,
        "effective_on": iso_date(event.effective_on),
        "expires_on": iso_date(event.expires_on),
        "status": event.status,
        "status_label": _label(EVENT_STATUSES, event.status),
    }


def _list_entry(entry):
    return {
        "list_type": entry.list_type,
        "list_type_label": _label(LIST_TYPES, entry.list_type),
        "listed": entry.removed_on is None,
        "listed_on": iso_date(entry.listed_on),
        "listed_by": entry.listed_by,
        "reason": entry.reason,
        "removed_on": iso_date(entry.removed_on),
        "removal_reason": entry.removal_reason,
    }


def _history_point(point):
    return {
        "date": iso_date(point.day),
        "effective_at": iso_time(point.effective_at),
        "published": point.published,
        "score": number(point.score),
        "grade": point.grade,
        "previous_grade": point.previous_grade,
        "reentered": point.reentered,
    }


def organisation_report(uscc, today, timezone_name, language):
    """Return the report data of a published organisation as a dict, or None.

    None for every code the public may not see (unpublished, cancelled,
    unknown): callers must answer all of them in the same way.
    """
    report = orgs_report.credit_report(uscc, today, timezone_name)
    if report is None:
        return None
    org = report.organisation
    band = report.band
    evaluation = report.evaluation
    return {
        "uscc": org.uscc,
        "name": org.name,
        "former_names": list(org.former_names or []),
        "org_type": org.org_type,
        "org_type_label": _label(ORG_TYPES, org.org_type),
        "registration_authority": org.registration_authority,
        "district_code": org.district_code,
        "district_label": _label(DISTRICTS, org.district_code),
        "legal_representative": org.legal_representative,
        "registered_on": iso_date(org.registered_on),
        "registration_status": org.registration_status,
        "registration_status_label": _label(REGISTRATION_STATUSES, org.registration_status),
        "address": org.address,
        "business_scope": org.business_scope,
        "supervising_unit": org.supervising_unit,
        "published_since": iso_time(org.published_since),
        "credit": {
            "grade": org.grade,
            "score": number(org.score),
            "assessed_at": iso_time(org.assessed_at),
            "rule_set_version": org.rule_set_version,
            "grade_band": (
                {"grade": band.grade, "min_score": number(band.min_score), "max_score": number(band.max_score)}
                if band is not None
                else None
            ),
            "dimensions": [_dimension(d) for d in report.dimensions + report.unknown_dimensions],
        },
        "history": [_history_point(point) for point in report.history],
        "current_events": [_event(item, language) for item in report.current_events],
        "earlier_events": [_event(item, language) for item in report.earlier_events],
        "evaluation": {
            "level": evaluation_code(evaluation.level),
            "valid_from": iso_date(evaluation.valid_from),
            "valid_until": iso_date(evaluation.valid_until),
            "expired": evaluation.expired,
        },
        "list_entries": [_list_entry(entry) for entry in report.list_entries],
    }


# -- changes to the public list -------------------------------------------------------------

_CHANGE_KEY = ((ListChange.changed_at, False), (ListChange.id, False))


def list_changes(since, until, change_type, limit, timezone_name, after=None):
    """Return a Page of changes to the public list from ``since`` on, oldest first.

    ``since`` and ``until`` are inclusive calendar dates in ``timezone_name``
    (``until`` may be None); ``change_type`` is one of CHANGE_TYPES or None.
    An exit carries no grade, and no link unless the organisation is published again.
    """
    conditions = [ListChange.changed_at >= day_start_utc(since, timezone_name)]
    if until is not None:
        conditions.append(ListChange.changed_at < day_end_utc(until, timezone_name))
    if change_type is not None:
        conditions.append(ListChange.change_type == change_type)
    total = db.session.scalar(select(func.count()).select_from(ListChange).where(*conditions))
    statement = (
        select(
            ListChange.id,
            ListChange.changed_at,
            ListChange.publication_version,
            ListChange.uscc,
            ListChange.name,
            ListChange.change_type,
            ListChange.old_grade,
            ListChange.new_grade,
            Organisation.is_published,
        )
        .outerjoin(Organisation, Organisation.uscc == ListChange.uscc)
        .where(*conditions)
    )
    if after is not None:
        statement = statement.where(_after(_CHANGE_KEY, _change_key(after)))
    rows = db.session.execute(statement.order_by(ListChange.changed_at, ListChange.id).limit(limit + 1)).all()
    next_key = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_key = [last.changed_at.isoformat(), last.id]
    lines = [
        {
            "changed_at": iso_time(row.changed_at),
            "date": iso_date(local_date(row.changed_at, timezone_name)),
            "publication_version": row.publication_version,
            "uscc": row.uscc,
            "name": row.name,
            "change_type": row.change_type,
            # An exit never shows a grade: nothing may suggest why it left.
            "old_grade": None if row.change_type == CHANGE_EXIT else row.old_grade,
            "new_grade": None if row.change_type == CHANGE_EXIT else row.new_grade,
            "currently_published": bool(row.is_published),
        }
        for row in rows[:limit]
    ]
    return Page(lines, total, next_key)


def _change_key(values):
    try:
        changed_at, change_id = values
        if not isinstance(change_id, int) or isinstance(change_id, bool):
            raise TypeError(change_id)
        return [datetime.fromisoformat(changed_at), change_id]
    except (TypeError, ValueError) as error:
        raise InvalidCursor(values) from error


# -- the rule sets -----------------------------------------------------------------------------


def rule_sets():
    """Return every rule set in the portal database, newest first, as dicts."""
    result = []
    for view in rules_service.rule_sets_for_display():
        rule_set = view.rule_set
        dimensions = []
        for group in view.dimensions:
            dimension = group.dimension
            dimensions.append(
                {
                    "code": dimension.code if dimension else None,
                    "name_zh": dimension.name_zh if dimension else None,
                    "name_en": dimension.name_en if dimension else None,
                    "max_points": number(dimension.max_points) if dimension else None,
                    "description": dimension.description if dimension else None,
                    "items": [
                        {
                            "item_code": item.item_code,
                            "dimension_code": item.dimension_code,
                            "name_zh": item.name_zh,
                            "name_en": item.name_en,
                            "points": number(item.points),
                            "validity_months": item.validity_months,
                            "legal_basis": item.legal_basis,
                        }
                        for item in group.items
                    ],
                }
            )
        result.append(
            {
                "version": rule_set.version,
                "name": rule_set.name,
                "is_demo": rule_set.is_demo,
                "effective_from": iso_date(rule_set.effective_from),
                "base_score": number(rule_set.base_score),
                "max_total": number(view.max_total),
                "description": rule_set.description,
                "published_count": view.published_count,
                "grade_bands": [
                    {
                        "grade": band.grade,
                        "min_score": number(band.min_score),
                        "max_score": number(band.max_score),
                        "published": band.grade in ("A", "B"),
                        "description": band.description,
                    }
                    for band in rule_set.grade_bands
                ],
                "dimensions": dimensions,
            }
        )
    return result
