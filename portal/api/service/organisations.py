"""The published organisations: the list (filtered, sorted, by cursor) and one organisation's report.

Every query starts from ``Organisation.is_published``, as ``portal.orgs.service``
does: publication is decided by the sync, never by the API.
"""

from sqlalchemy import func, select

from portal.api.service.paging import Page, key_from_cursor, key_values, keyset_order, rows_after
from portal.api.service.values import evaluation_code, iso_date, iso_time, label, number
from portal.extensions import db
from portal.orgs import report as orgs_report
from portal.orgs import service as orgs_service
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.reference import DISTRICTS, EVENT_STATUSES, LIST_TYPES, ORG_TYPES, REGISTRATION_STATUSES


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
        "org_type_label": label(ORG_TYPES, row.org_type),
        "district_code": row.district_code,
        "district_label": label(DISTRICTS, row.district_code),
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
        statement = statement.where(rows_after(columns, key_from_cursor(after, columns)))
    # One row more than asked tells whether there is a next page.
    rows = db.session.execute(statement.order_by(*keyset_order(columns)).limit(limit + 1)).all()
    next_key = key_values(rows[limit - 1], columns) if len(rows) > limit else None
    return Page(rows[:limit], total, next_key)


def _dimension(dimension):
    return {
        "code": dimension.code,
        "name_zh": dimension.name_zh,
        "name_en": dimension.name_en,
        "points": number(dimension.points),
        "max_points": number(dimension.max_points),
    }


def _breakdown(view):
    """Return the score as a sum (portal.orgs.ledger.breakdown_view) as JSON values, or None."""
    if view is None:
        return None
    figures = ("base", "plus", "minus", "undisclosed", "total")
    return {
        **{key: number(view[key]) for key in figures},
        "undisclosed_count": view["undisclosed_count"],
        "reconciles": view["reconciles"],
        "dimensions": [
            {
                "code": part["code"],
                "base": number(part["base"]),
                "max_points": number(part["max_points"]),
                "points": number(part["points"]),
                "event_ids": [item["event_id"] for item in part["items"]],
                "undisclosed": number(part["undisclosed"]),
                "undisclosed_count": part["undisclosed_count"],
                "cap_adjustment": number(part["cap_adjustment"]),
            }
            for part in view["dimensions"]
        ],
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
        "shown_until": iso_date(item.window_end),
        "status": event.status,
        "status_label": label(EVENT_STATUSES, event.status),
    }


def _list_entry(entry):
    return {
        "list_type": entry.list_type,
        "list_type_label": label(LIST_TYPES, entry.list_type),
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
        "org_type_label": label(ORG_TYPES, org.org_type),
        "registration_authority": org.registration_authority,
        "district_code": org.district_code,
        "district_label": label(DISTRICTS, org.district_code),
        "legal_representative": org.legal_representative,
        "registered_on": iso_date(org.registered_on),
        "registration_status": org.registration_status,
        "registration_status_label": label(REGISTRATION_STATUSES, org.registration_status),
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
            "breakdown": _breakdown(report.breakdown),
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
