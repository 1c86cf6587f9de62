"""A report's stored content document made ready for templates: dates, times and numbers as objects.

The printed report, the PDF and the verify page all show a report from its stored content
(portal/reports/service.py), never from live data; this module only reads that document.
"""

from datetime import date, datetime
from decimal import Decimal

from portal.clock import local_date


def _parse_date(value):
    return date.fromisoformat(value) if value else None


def _parse_moment(value):
    return datetime.fromisoformat(value.removesuffix("Z")) if value else None


def _parse_number(value):
    return Decimal(value) if value is not None else None


class _Namespace(dict):
    """A dict whose keys templates can also read as attributes."""

    __getattr__ = dict.get


def _displayed_breakdown(breakdown):
    """Return a stated breakdown with numbers and dates as objects (None stays None)."""
    if not breakdown:
        return None
    result = _Namespace(breakdown)
    for key in ("base", "plus", "minus", "undisclosed", "total"):
        result[key] = _parse_number(result[key])
    dimensions = []
    for part in breakdown["dimensions"]:
        part = _Namespace(part)
        for key in ("base", "max_points", "points", "undisclosed", "cap_adjustment"):
            part[key] = _parse_number(part[key])
        part["items"] = [
            _Namespace(item, points=_parse_number(item["points"]), shown_until=_parse_date(item["shown_until"]))
            for item in part["items"]
        ]
        dimensions.append(part)
    result["dimensions"] = dimensions
    return result


def displayed(content, timezone_name):
    """Return a content document with dates, times and numbers as objects, for templates.

    Whether the evaluation level had expired is decided on the date of issue
    in ``timezone_name``.
    """
    issued_at = _parse_moment(content["issued_at"])
    org = _Namespace(content["organisation"])
    org["registered_on"] = _parse_date(org.registered_on)
    credit = _Namespace(content["credit"])
    breakdown = _displayed_breakdown(content.get("breakdown"))
    credit["score"] = _parse_number(credit.score)
    credit["assessed_at"] = _parse_moment(credit.assessed_at)
    credit["rule_set"] = _Namespace(credit.rule_set) if credit.rule_set else None
    if credit.band:
        credit["band"] = _Namespace(
            min_score=_parse_number(credit.band["min_score"]), max_score=_parse_number(credit.band["max_score"])
        )
    dimensions = [
        _Namespace(item, points=_parse_number(item["points"]), max_points=_parse_number(item["max_points"]))
        for item in content["dimensions"]
    ]
    history = [
        _Namespace(point, day=_parse_date(point["date"]), score=_parse_number(point["score"]))
        for point in content["history"]
    ]
    events = [
        _Namespace(
            item,
            points=_parse_number(item["points"]),
            effective_on=_parse_date(item["effective_on"]),
            expires_on=_parse_date(item["expires_on"]),
            shown_until=_parse_date(item.get("shown_until")),
            is_plus=Decimal(item["points"]) >= 0,
        )
        for item in content["events"]
    ]
    dimension_names = {item.code: item for item in dimensions}
    for item in events:
        item["dimension"] = dimension_names.get(item.dimension_code)
    entries = [
        _Namespace(entry, listed_on=_parse_date(entry["listed_on"]), removed_on=_parse_date(entry["removed_on"]))
        for entry in content["list_entries"]
    ]
    evaluation = _Namespace(
        level=content["evaluation"]["level"],
        valid_from=_parse_date(content["evaluation"]["valid_from"]),
        valid_until=_parse_date(content["evaluation"]["valid_until"]),
    )
    issued_on = local_date(issued_at, timezone_name)
    evaluation["expired"] = bool(
        evaluation.level and evaluation.valid_until and issued_on and evaluation.valid_until < issued_on
    )
    return _Namespace(
        format=content["format"],
        report_number=content["report_number"],
        language=content["language"],
        issued_at=issued_at,
        publication_version=content["publication"]["version"],
        data_as_of=_parse_moment(content["publication"]["data_as_of"]),
        organisation=org,
        credit=credit,
        dimensions=dimensions,
        breakdown=breakdown,
        history=history,
        current_events=[item for item in events if item.current],
        earlier_events=[item for item in events if not item.current],
        list_entries=entries,
        evaluation=evaluation,
    )
