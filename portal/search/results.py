"""What a search may ask (facets, sorts, paging) and what it answers (a page of hits, facets, suggestions).

Plain data, shared by the page, the JSON API and the CSV download.
"""

from dataclasses import dataclass, field

from portal.grades import PUBLISHED_GRADES
from portal.reference import DISTRICTS, ORG_TYPES
from portal.search.schema import EVALUATION_NONE


#: Facets: query argument -> (index field, {option: index value}), options in display order.
EVALUATION_OPTIONS = ("5A", "4A", "3A", "2A", "1A", EVALUATION_NONE)
FACETS = {
    "grade": ("grade", {grade: grade for grade in PUBLISHED_GRADES}),
    "type": ("org_type", {code: code for code in ORG_TYPES}),
    "district": ("district_code", {code: code for code in DISTRICTS}),
    "evaluation": (
        "evaluation_level",
        {option: (EVALUATION_NONE if option == EVALUATION_NONE else option[0]) for option in EVALUATION_OPTIONS},
    ),
}
SORTS = ("relevance", "score_desc", "score_asc", "name", "registered_desc", "registered_asc")
DEFAULT_SORT = "relevance"
DEFAULT_PER_PAGE = 20
PER_PAGE_MAXIMUM = 100
#: Nobody reads past this many results; a deeper page is refused rather than walked to.
RESULTS_MAXIMUM = 10000
SUGGESTIONS_MAXIMUM = 8
#: Rows of a search's CSV download (the first results, in the page's order).
DOWNLOAD_MAXIMUM = 5000


class InvalidSearch(ValueError):
    """A filter, sort or page value that the search does not know."""

    def __init__(self, parameter, value, reason="unknown"):
        super().__init__(f"{parameter}={value!r}: {reason}")
        self.parameter = parameter
        self.value = value
        self.reason = reason


def check_filters(filters):
    """Return {facet: tuple of options} from {facet: options}; raise InvalidSearch on an unknown one."""
    checked = {}
    for name, values in (filters or {}).items():
        if name not in FACETS:
            raise InvalidSearch(name, values)
        if isinstance(values, str):
            values = (values,)
        options = FACETS[name][1]
        chosen = []
        for value in values:
            value = (value or "").strip()
            if not value:
                continue
            if value not in options:
                raise InvalidSearch(name, value)
            if value not in chosen:
                chosen.append(value)
        if chosen:
            checked[name] = tuple(option for option in options if option in chosen)
    return checked


def check_paging(sort, page, per_page):
    """Raise InvalidSearch unless sort, page and per_page can be served."""
    if sort not in SORTS:
        raise InvalidSearch("sort", sort)
    if not isinstance(per_page, int) or not 1 <= per_page <= PER_PAGE_MAXIMUM:
        raise InvalidSearch("per_page", per_page)
    if not isinstance(page, int) or page < 1:
        raise InvalidSearch("page", page)
    if (page - 1) * per_page >= RESULTS_MAXIMUM:
        raise InvalidSearch("page", page, "too_deep")


# -- what is returned ----------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One organisation on a page of results; ``*_html`` are escaped, with <mark>s."""

    uscc: str
    name: str
    name_html: object
    grade: str
    org_type: str
    district_code: str
    evaluation_level: str  # "1".."5" or "none"
    score: object
    registered_on: object
    match: str  # the tier it was found by
    uscc_html: object
    snippet_field: str | None = None  # "former_names", "legal_representative", "business_scope", "address"
    snippet_html: object = None


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    options: tuple


@dataclass(frozen=True)
class SearchResults:
    """A page of results and everything the page says about them."""

    query: str  # the text searched for, cleaned
    total: int  # matches with the filters
    unfiltered_total: int  # matches without them
    page: int
    per_page: int
    sort: str
    filters: dict
    hits: tuple = ()
    facets: tuple = ()
    truncated: bool = False  # the text was cut to QUERY_MAXIMUM_LENGTH
    too_short: bool = False  # nothing searchable in it (one character, punctuation)
    suggestion: str | None = None  # "did you mean", when nothing matched
    suggestion_total: int = 0
    tiers: dict = field(default_factory=dict)  # matches per tier, without filters
    # The index reflects an older publication than the database's: departed
    # organisations are left out, but new ones may be missing and facet counts be off.
    index_behind: bool = False
    # Not every part of the query matched: these are the best partial matches (the page says so).
    partial: bool = False
    # Found only by respelling what was typed (a typo): the page offers the respelling.
    respelled: bool = False
    # A looser query to offer when nothing, or only part, matched (the district or the last word left out).
    relaxed: str | None = None
    # The districts the query names (registrar codes), for the links to browse them.
    districts: tuple = ()

    @property
    def pages(self):
        return max(1, -(-min(self.total, RESULTS_MAXIMUM) // self.per_page))

    @property
    def empty_query(self):
        return not self.query


@dataclass(frozen=True)
class Suggestion:
    uscc: str
    name: str
    grade: str

