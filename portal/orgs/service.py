"""The public list of organisations: its filters, sorts and pages; published rows only.

Every query of an organisation's data in this package starts from
``PUBLISHED`` (``portal.publication.state``): publication is decided by the
sync, never by a page. An organisation's report is in ``report``, the list's
changes and its state on a past date in ``changes``.
"""

from sqlalchemy import func, select

from portal.extensions import db
from portal.grades import PUBLISHED_GRADES
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.reference import DISTRICTS, ORG_TYPES


def page_count(total, per_page):
    """Return the number of pages of ``total`` rows (at least one, which may be empty)."""
    return max(1, -(-total // per_page))


# -- the published list --------------------------------------------------------

#: Filters of the published list: query argument -> allowed values.
EVALUATION_NONE = "none"
LIST_FILTERS = {
    "grade": tuple(PUBLISHED_GRADES),
    "type": tuple(ORG_TYPES),
    "district": tuple(DISTRICTS),
    "evaluation": ("5A", "4A", "3A", "2A", "1A", EVALUATION_NONE),
}

_FILTER_COLUMNS = {
    "grade": Organisation.grade,
    "type": Organisation.org_type,
    "district": Organisation.district_code,
    "evaluation": Organisation.evaluation_level,
}

#: Sorts of the published list; each ends with the name and code so that pages never overlap.
_BY_NAME = (Organisation.name_pinyin, Organisation.name, Organisation.uscc)
LIST_SORTS = {
    "name": _BY_NAME,
    "score_desc": (Organisation.score.desc(), *_BY_NAME),
    "score_asc": (Organisation.score.asc(), *_BY_NAME),
    "registered_desc": (Organisation.registered_on.desc().nulls_last(), *_BY_NAME),
    "registered_asc": (Organisation.registered_on.asc().nulls_last(), *_BY_NAME),
}
DEFAULT_SORT = "name"


def _filter_condition(name, value):
    column = _FILTER_COLUMNS[name]
    if name == "evaluation":
        return column.is_(None) if value == EVALUATION_NONE else column == int(value[0])
    return column == value


def _conditions(filters):
    return [PUBLISHED] + [_filter_condition(name, value) for name, value in filters.items() if value is not None]


def published_organisations(filters, sort, page, per_page):
    """Return (rows, total): one page of the published organisations that match ``filters``.

    ``filters`` maps names of LIST_FILTERS to an allowed value (or None);
    ``sort`` is a key of LIST_SORTS. A page past the end gives no rows,
    without asking the database for them.
    """
    conditions = _conditions(filters)
    total = db.session.scalar(select(func.count()).select_from(Organisation).where(*conditions))
    offset = (page - 1) * per_page
    if offset >= total:
        return [], total
    rows = db.session.execute(
        select(
            Organisation.name,
            Organisation.uscc,
            Organisation.org_type,
            Organisation.grade,
            Organisation.score,
            Organisation.district_code,
            Organisation.registered_on,
            Organisation.evaluation_level,
            Organisation.evaluation_valid_until,
        )
        .where(*conditions)
        .order_by(*LIST_SORTS[sort])
        .limit(per_page)
        .offset(offset)
    ).all()
    return rows, total


def _option_of(name, value):
    if name == "evaluation":
        return EVALUATION_NONE if value is None else f"{value}A"
    return value


def filter_counts(filters):
    """Return {filter: {value: count}}: how many organisations each option of each filter would list.

    Each filter's counts apply the other filters, not itself, so that the
    numbers say what choosing another option gives. One scan counts every
    combination of the four filters' values (a few hundred at most); the
    counts are summed from it here.
    """
    names = list(_FILTER_COLUMNS)
    combinations = db.session.execute(
        select(*_FILTER_COLUMNS.values(), func.count()).where(PUBLISHED).group_by(*_FILTER_COLUMNS.values())
    ).all()
    counts = {name: dict.fromkeys(LIST_FILTERS[name], 0) for name in names}
    for *values, count in combinations:
        options = {name: _option_of(name, value) for name, value in zip(names, values)}
        mismatched = [name for name in names if filters.get(name) is not None and options[name] != filters[name]]
        for name in names:
            # A row counts for a filter if every other filter matches it.
            if mismatched in ([], [name]) and options[name] in counts[name]:
                counts[name][options[name]] += count
    return counts

