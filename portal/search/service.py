"""Search the published organisations: what a visitor types -> one page of results, with facets.

``search(text, filters, sort, page, per_page, locale)`` is the page's
service, ``suggest(text, limit)`` the autocomplete's. Both take plain
arguments and return plain data; the views turn ``InvalidSearch`` into a 400
and ``SearchIndexMissing`` into a 503.

How a query is answered (see ``portal.search.docsets`` for why bitmaps):

1. ``plan_query`` turns the text into index terms, by every way it could
   name an organisation. Input is never given to a query parser.
2. Each way gives a set of documents (a *tier*), in order of relevance:
   the whole name; the USCC; the name's words (jieba); all the name's
   bigrams (any substring of two or more characters, also of former names);
   a USCC prefix; full pinyin; pinyin initials; the legal representative;
   only if none of those found anything, a homophone of the characters;
   and last the words of the business scope, then of the address (a name
   that is the query ranks first, however many scopes mention it).
3. Filters are ANDs of facet bitmaps; each facet's counts apply the other
   facets' filters; a count is one AND and one popcount.
4. By relevance, a page walks the tiers in order, each in a fixed order
   (shorter names first: a name that is mostly the query is the better
   match; then pinyin order). Other sorts take the page from that sort's
   order. Only the page's documents are read and highlighted.
"""

import time
from dataclasses import dataclass, field

from flask import has_app_context
from flask_babel import force_locale, get_locale

from portal.grades import PUBLISHED_GRADES
from portal.reference import DISTRICTS, ORG_TYPES
from portal.search import docsets, publication_check
from portal.search.analysis import former, normalise_name
from portal.search.highlight import initials_spans, mark, opening, snippet, syllable_spans, term_spans
from portal.search.query import USCC_PREFIX_MAXIMUM, han_runs, pinyin_corrections, plan_query
from portal.search.schema import EVALUATION_NONE

# -- what may be asked --------------------------------------------------------

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

#: Relevance tiers, best first (see the module's docstring). A ``former_``
#: tier is the same match on a former name rather than the current one.
TIERS = (
    "exact",
    "uscc",
    "name_words",
    "name",
    "former_name",
    "uscc_prefix",
    "pinyin",
    "former_pinyin",
    "initials",
    "former_initials",
    "person",
    "homophone",
    "former_homophone",
    "business_scope",
    "address",
)
#: Tiers found in free text rather than in a name, a code or a person: the
#: search page lists them, autocomplete (which suggests names) does not.
FREE_TEXT_TIERS = ("business_scope", "address")
#: Candidates for a whole-name match that are checked against the stored
#: name. More than this many (the same name registered many times) are
#: taken as they are: all bigrams and the same length is a whole-name match.
_EXACT_CHECKED = 50
#: Did-you-mean tries substrings of queries up to this long.
_SUGGESTION_TEXT_MAXIMUM = 40


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
    milliseconds: float = 0.0
    # The index reflects an older publication than the database's: departed
    # organisations are left out, but new ones may be missing and facet counts be off.
    index_behind: bool = False

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


# -- the index, per request ------------------------------------------------------


def _searcher(searcher):
    if searcher is not None:
        return searcher
    from portal.search.index import get_searcher

    return get_searcher()


def _word_terms(schema):
    def word_terms(text):
        return list(schema["name"].process_text(text, mode="query"))

    return word_terms


class _Matcher:
    """The tiers of one plan, on one index state."""

    def __init__(self, searcher, plan, free_text=True):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.state = docsets.index_state(self.reader)
        self.plan = plan
        self.free_text = free_text
        # Documents of organisations that are no longer published (see publication_check).
        self.hidden = 0

    @property
    def live(self):
        """The documents that may be found: live in the index, and not hidden."""
        return self.state.live & ~self.hidden if self.hidden else self.state.live

    def terms(self, fieldname, texts, within=None):
        if not texts:
            return 0
        return self.state.terms(self.reader, fieldname, texts, within)

    def tiers(self):
        """Return [(tier, bitmap)], best first, each without the documents of the ones before."""
        plan, state, reader = self.plan, self.state, self.reader
        found = {}
        if plan.bigrams:
            in_name = self.terms("name_bigrams", plan.bigrams)
            in_former = self.terms("name_bigrams", former(plan.bigrams))
            found["exact"] = self._whole_names(in_name, in_former)
            if plan.words and in_name:
                found["name_words"] = self.terms("name", plan.words, within=in_name)
            found["name"] = in_name
            found["former_name"] = in_former
        if plan.uscc_exact:
            found["uscc"] = state.term(reader, "uscc", plan.uscc_exact) & state.live
        if plan.uscc_prefix:
            found["uscc_prefix"] = state.term(reader, "uscc_prefix", plan.uscc_prefix) & state.live
        elif plan.uscc_long_prefix:
            found["uscc_prefix"] = state.prefixed_terms(reader, "uscc", plan.uscc_long_prefix)
        if plan.pinyin_pairs:
            splits = plan.pinyin_pairs
            found["pinyin"] = docsets.any_of(self.terms("name_pinyin", pairs) for pairs in splits)
            found["former_pinyin"] = docsets.any_of(self.terms("name_pinyin", former(pairs)) for pairs in splits)
        if plan.initials:
            found["initials"] = self.terms("name_initials", plan.initials)
            found["former_initials"] = self.terms("name_initials", former(plan.initials))
        if plan.person:
            found["person"] = self.terms("legal_representative", plan.person)
        if plan.homophone_pairs and not any(found.values()):
            # Only when the characters found nothing: 蓝天 should not also list 兰田.
            found["homophone"] = self.terms("name_pinyin", plan.homophone_pairs)
            found["former_homophone"] = self.terms("name_pinyin", former(plan.homophone_pairs))
        if plan.text_words and self.free_text:
            found["business_scope"] = self.terms("business_scope", plan.text_words)
            found["address"] = self.terms("address", plan.text_words)
        tiers = []
        seen = self.hidden
        for tier in TIERS:
            bitmap = found.get(tier, 0) & ~seen
            if bitmap:
                tiers.append((tier, bitmap))
                seen |= bitmap
        return tiers

    def _whole_names(self, in_name, in_former):
        """Return the documents whose name (or a former name) is the whole query."""
        plan = self.plan
        exact = []
        if in_name:
            same_length = in_name & self.state.name_lengths(self.reader).get(len(plan.whole_name), 0)
            candidates = docsets.docnums_of(same_length)
            if len(candidates) > _EXACT_CHECKED:
                return same_length
            stored = self.searcher.stored_fields
            exact = [d for d in candidates if normalise_name(stored(d).get("name")) == plan.whole_name]
        if in_former and in_former.bit_count() <= _EXACT_CHECKED // 5:
            for docnum in docsets.docnums_of(in_former):
                names = self.searcher.stored_fields(docnum).get("former_names") or ""
                if plan.whole_name in {normalise_name(name) for name in names.split("\n")}:
                    exact.append(docnum)
        return docsets.bitmap_of(sorted(exact))

    # Orders

    def order(self, sort):
        if sort == "name":
            ordered, rank, _ = self.state.by_name(self.reader)
            return ordered, rank
        column, descending = {
            "score_desc": ("score_sort", True),
            "score_asc": ("score_sort", False),
            "registered_desc": ("registered_sort", True),
            "registered_asc": ("registered_sort", False),
        }[sort]

        def keys(state, reader):
            _, rank, _ = state.by_name(reader)
            values = state.numeric_column(reader, column)
            missing = 1 << 32  # after every value, both ways (as the published list does)
            if descending:
                keys = ((missing - 1 - value) if value else missing for value in values)
            else:
                keys = (value or missing for value in values)
            return [key << 24 | position for key, position in zip(keys, rank)]

        return self.state.order(self.reader, sort, keys)

    def page(self, tiers, matched, sort, offset, limit):
        """Return [(docnum, tier)] of one page."""
        size = self.state.size
        if sort == "relevance":
            # Tier by tier; within a tier, shorter names first (a length's
            # documents are one bitmap), then pinyin order.
            ordered, rank, _ = self.state.by_name(self.reader)
            lengths = self.state.name_lengths(self.reader)
            page = []
            for tier, bitmap in tiers:
                if offset >= bitmap.bit_count():
                    offset -= bitmap.bit_count()
                    continue
                for length in sorted(lengths):
                    part = bitmap & lengths[length]
                    count = part.bit_count()
                    if offset >= count:
                        offset -= count
                        continue
                    taken = docsets.page_of(part, ordered, rank, offset, limit - len(page), size)
                    page.extend((docnum, tier) for docnum in taken)
                    offset = 0
                    if len(page) >= limit:
                        return page
            return page
        ordered, rank = self.order(sort)
        taken = docsets.page_of(matched, ordered, rank, offset, limit, size)
        return [(docnum, _tier_of(docnum, tiers)) for docnum in taken]


def _tier_of(docnum, tiers):
    for tier, bitmap in tiers:
        if docsets.contains(bitmap, docnum):
            return tier
    return "name"


# -- search -------------------------------------------------------------------------


def search(
    text,
    filters=None,
    sort=DEFAULT_SORT,
    page=1,
    per_page=DEFAULT_PER_PAGE,
    locale=None,
    searcher=None,
    publication_version=None,
):
    """Return a page of published organisations matching what a visitor typed, with facets.

    ``filters`` maps facet names (``FACETS``) to options; ``sort`` is one of
    ``SORTS``; ``locale`` (e.g. "zh", "en") is the language of the facet
    labels. Hits are checked against the portal DB (``publication_check``);
    pass ``publication_version`` if the caller has read it. Raises
    ``InvalidSearch`` for an unknown filter, sort or page, and
    ``portal.search.index.SearchIndexMissing`` if there is no index.
    """
    started = time.perf_counter()
    filters = check_filters(filters)
    check_paging(sort, page, per_page)
    searcher = _searcher(searcher)
    plan = plan_query(text, _word_terms(searcher.schema))
    results = {
        "query": plan.text,
        "page": page,
        "per_page": per_page,
        "sort": sort,
        "filters": filters,
        "truncated": plan.truncated,
        "too_short": plan.too_short,
    }
    if plan.empty or plan.too_short:
        return SearchResults(total=0, unfiltered_total=0, **results)

    matcher = _Matcher(searcher, plan)
    visibility = publication_check.visibility(searcher, matcher.state, publication_version)
    facet_bitmaps = {name: matcher.state.facet(matcher.reader, FACETS[name][0]) for name in FACETS}
    offset = (page - 1) * per_page
    for attempt in range(1, publication_check.PAGE_ATTEMPTS + 1):
        matcher.hidden = visibility.hidden
        tiers = matcher.tiers()
        matched = docsets.any_of(bitmap for _, bitmap in tiers)
        chosen = {name: _chosen_bitmap(facet_bitmaps[name], name, values) for name, values in filters.items()}
        filtered = docsets.all_of(chosen.values(), matched)
        if filters:
            tiers = [(tier, bitmap & filtered) for tier, bitmap in tiers]
            tiers = [(tier, bitmap) for tier, bitmap in tiers if bitmap]
        page_docnums = matcher.page(tiers, filtered, sort, offset, per_page)
        page_fields = [searcher.stored_fields(docnum) for docnum, _ in page_docnums]
        published = publication_check.published_rows([fields.get("uscc") for fields in page_fields])
        departed = [
            docnum for (docnum, _), fields in zip(page_docnums, page_fields) if fields.get("uscc") not in published
        ]
        if not departed or attempt == publication_check.PAGE_ATTEMPTS:
            break
        # Left the list after the index was written: hidden from now on, and the page made again.
        visibility.hide(departed)
    total = filtered.bit_count()
    hits = tuple(
        _hit(publication_check.with_database_values(fields, published[fields["uscc"]]), tier, plan)
        for (_, tier), fields in zip(page_docnums, page_fields)
        if fields.get("uscc") in published
    )

    suggestion, suggestion_total = (None, 0)
    if not matched:
        suggestion, suggestion_total = _did_you_mean(matcher)

    return SearchResults(
        total=total,
        unfiltered_total=matched.bit_count(),
        hits=hits,
        facets=_facets(matched, facet_bitmaps, chosen, filters, locale),
        suggestion=suggestion,
        suggestion_total=suggestion_total,
        tiers={tier: bitmap.bit_count() for tier, bitmap in tiers},
        milliseconds=(time.perf_counter() - started) * 1000,
        index_behind=visibility.behind,
        **results,
    )


def _chosen_bitmap(bitmaps, name, options):
    values = FACETS[name][1]
    return docsets.any_of(bitmaps.get(values[option], 0) for option in options)


def _facets(matched, facet_bitmaps, chosen, filters, locale):
    labels = _labels(locale)
    facets = []
    for name, (_, options) in FACETS.items():
        others = docsets.all_of([bitmap for other, bitmap in chosen.items() if other != name], matched)
        selected = filters.get(name, ())
        listed = []
        for option, value in options.items():
            count = (others & facet_bitmaps[name].get(value, 0)).bit_count() if others else 0
            if count or option in selected:
                listed.append(FacetOption(option, labels[name].get(option, option), count, option in selected))
        facets.append(Facet(name, tuple(listed)))
    return tuple(facets)


#: Facet labels per language: the catalogs do not change while a process runs,
#: and translating ~30 labels took a tenth of a query's time.
_labels_by_locale = {}


def _labels(locale):
    if not has_app_context():
        return {"grade": {}, "type": {}, "district": {}, "evaluation": {}}
    current = locale or get_locale()
    key = str(current) if current else ""
    labels = _labels_by_locale.get(key)
    if labels is None:
        labels = _labels_by_locale[key] = _translated_labels(key)
    return labels


def _translated_labels(locale):
    def plain(labels):
        return {code: str(label) for code, label in labels.items()}

    def translated():
        return {
            "grade": {grade: grade for grade in PUBLISHED_GRADES},
            "type": plain(ORG_TYPES),
            "district": plain(DISTRICTS),
            "evaluation": {option: option for option in EVALUATION_OPTIONS},
        }

    if not locale:
        return translated()
    with force_locale(locale):
        return translated()


# -- one hit ------------------------------------------------------------------------


def _spans(text, tier, plan):
    """Return the ranges of ``text`` (a name) that matched, for a hit found by ``tier``."""
    tier = tier.removeprefix("former_")
    if tier in ("exact", "name_words", "name"):
        return term_spans(text, plan.bigrams)
    if tier == "pinyin":
        return syllable_spans(text, [pairs_to_syllables(pairs) for pairs in plan.pinyin_pairs])
    if tier == "homophone":
        return syllable_spans(text, [pairs_to_syllables(plan.homophone_pairs)])
    if tier == "initials":
        return initials_spans(text, plan.text.lower().replace(" ", "").replace("'", ""))
    return []


def pairs_to_syllables(pairs):
    """Return the syllables of a sequence of overlapping pairs: (bei_jing, jing_shi) -> (bei, jing, shi)."""
    if not pairs:
        return ()
    syllables = list(pairs[0].split("_"))
    for pair in pairs[1:]:
        syllables.append(pair.split("_")[1])
    return tuple(syllables)


def _hit(fields, tier, plan):
    name = fields.get("name", "")
    if tier == "exact" and normalise_name(name) != plan.whole_name:
        tier = "former_name"  # the query is a former name, whole
    name_spans = [] if tier.startswith("former_") else _spans(name, tier, plan)
    uscc = fields.get("uscc", "")
    uscc_spans = []
    if tier in ("uscc", "uscc_prefix"):
        code = plan.uscc_exact or (plan.uscc_prefix or plan.uscc_long_prefix or "").upper()
        uscc_spans = [(0, len(code))] if uscc.startswith(code) else []
    snippet_field, snippet_html = _snippet(fields, tier, plan, bool(name_spans))
    return Hit(
        uscc=uscc,
        name=name,
        name_html=mark(name, name_spans),
        grade=fields.get("grade", ""),
        org_type=fields.get("org_type", ""),
        district_code=fields.get("district_code", ""),
        evaluation_level=fields.get("evaluation_level", EVALUATION_NONE),
        score=fields.get("score"),
        registered_on=fields.get("registered_on"),
        match=tier,
        uscc_html=mark(uscc, uscc_spans),
        snippet_field=snippet_field,
        snippet_html=snippet_html,
    )


def _snippet(fields, tier, plan, name_marked):
    """Return (field, marked excerpt) to show under a hit: why it matched, or what it does."""
    if tier == "person":
        person = fields.get("legal_representative") or ""
        return "legal_representative", mark(person, term_spans(person, plan.bigrams))
    if tier in FREE_TEXT_TIERS:
        excerpt = snippet(fields.get(tier), plan.text_words)
        if excerpt is not None:
            return tier, excerpt
    former_names = (fields.get("former_names") or "").split("\n")
    if former_names[0] and (tier.startswith("former_") or (tier == "exact" and not name_marked)):
        text = "; ".join(former_names)
        spans = []
        position = 0
        for former_name in former_names:
            spans.extend((position + a, position + b) for a, b in _spans(former_name, tier, plan))
            position += len(former_name) + 2
        return "former_names", mark(text, spans)
    for field_name in ("business_scope", "address"):
        excerpt = snippet(fields.get(field_name), plan.bigrams)
        if excerpt is not None:
            return field_name, excerpt
    excerpt = opening(fields.get("business_scope"))
    return ("business_scope", excerpt) if excerpt else (None, None)


# -- did you mean ---------------------------------------------------------------------


def _did_you_mean(matcher):
    """Return (text, matches) of a query close to one that found nothing, or (None, 0)."""
    plan = matcher.plan
    text = plan.text
    if len(text) > _SUGGESTION_TEXT_MAXIMUM:
        return None, 0
    # Letters: the nearest pinyin spelling.
    if text.isascii() and text.replace(" ", "").replace("'", "").isalpha():
        # Several spellings are one edit away; the one that finds most is meant.
        counted = [(_count_for(matcher, corrected), corrected) for corrected in pinyin_corrections(text.lower())]
        found, corrected = max(counted, key=lambda pair: pair[0], default=(0, None))
        if found:
            return corrected, found
    # Characters: the longest part of the text that names something.
    if plan.bigrams and len(plan.bigrams) > 1:
        part = _longest_matching_part(matcher, text)
        if part:
            return part
    # A code: the longest prefix of it that some organisation has.
    code = plan.uscc_exact or (plan.uscc_long_prefix or "") or (plan.uscc_prefix or "").upper()
    for length in range(len(code) - 1, 3, -1):
        prefix = code[:length]
        if length <= USCC_PREFIX_MAXIMUM:
            found = (matcher.state.term(matcher.reader, "uscc_prefix", prefix.lower()) & matcher.live).bit_count()
        else:
            found = (matcher.state.prefixed_terms(matcher.reader, "uscc", prefix) & matcher.live).bit_count()
        if found:
            return prefix, found
    return None, 0


def _count_for(matcher, text):
    other = _Matcher.__new__(_Matcher)
    other.searcher, other.reader, other.state = matcher.searcher, matcher.reader, matcher.state
    other.free_text, other.hidden = matcher.free_text, matcher.hidden
    other.plan = plan_query(text, _word_terms(matcher.searcher.schema))
    if other.plan.too_short or other.plan.empty:
        return 0
    return docsets.any_of(bitmap for _, bitmap in other.tiers()).bit_count()


def _longest_matching_part(matcher, text):
    """Return (part, matches) for the longest run of characters in ``text`` whose bigrams all occur in one name."""
    state, reader, live = matcher.state, matcher.reader, matcher.live
    best = None
    for run in han_runs(text):
        bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
        bitmaps = [state.term(reader, "name_bigrams", bigram) & live for bigram in bigrams]
        # windows[i]: documents with bigrams i .. i+width-1, for the current width.
        windows = list(bitmaps)
        width = 1
        while windows and any(windows):
            if best is None or width + 1 > len(best[0]):
                for start, bitmap in enumerate(windows):
                    if bitmap:
                        best = (run[start : start + width + 1], bitmap.bit_count())
                        break
            windows = [windows[i] & bitmaps[i + width] for i in range(len(windows) - 1)]
            width += 1
    if best is None or best[0] == text:
        return None
    return best


# -- autocomplete ------------------------------------------------------------------


def checked_best_matches(text, limit, searcher=None, publication_version=None):
    """Return [(document number, fields)] of the ``limit`` best matches of ``text`` (no filters, no facets).

    Only published organisations, checked against the portal DB, with the
    DB's name, grade and score in ``fields`` (see ``publication_check``).
    """
    searcher = _searcher(searcher)
    plan = plan_query(text, _word_terms(searcher.schema))
    if plan.empty or plan.too_short or limit <= 0:
        return []
    matcher = _Matcher(searcher, plan, free_text=False)
    visibility = publication_check.visibility(searcher, matcher.state, publication_version)
    for attempt in range(1, publication_check.PAGE_ATTEMPTS + 1):
        matcher.hidden = visibility.hidden
        docnums = [docnum for docnum, _ in matcher.page(matcher.tiers(), 0, "relevance", 0, limit)]
        page_fields = [searcher.stored_fields(docnum) for docnum in docnums]
        published = publication_check.published_rows([fields.get("uscc") for fields in page_fields])
        departed = [docnum for docnum, fields in zip(docnums, page_fields) if fields.get("uscc") not in published]
        if not departed or attempt == publication_check.PAGE_ATTEMPTS:
            break
        visibility.hide(departed)
    return [
        (docnum, publication_check.with_database_values(fields, published[fields["uscc"]]))
        for docnum, fields in zip(docnums, page_fields)
        if fields.get("uscc") in published
    ]


def best_matches(text, limit, searcher=None, publication_version=None):
    """Return the document numbers of the ``limit`` best published matches of ``text``."""
    return [docnum for docnum, _ in checked_best_matches(text, limit, searcher, publication_version)]


def search_names(text, limit=20, searcher=None):
    """Return up to ``limit`` published organisations matching a name, USCC prefix, pinyin or initials.

    Each result is the document's stored fields (uscc, name, grade, ...), in
    the search page's order of relevance: an organisation whose whole name
    is the text comes first. Uses the request's searcher unless one is given.
    """
    # Checked against the portal DB: never an organisation that left the list, even if the index lags.
    return [fields for _, fields in checked_best_matches(text, limit, _searcher(searcher))]


def suggest(text, limit=SUGGESTIONS_MAXIMUM, searcher=None, publication_version=None):
    """Return up to ``limit`` Suggestions (best first) for what a visitor is typing."""
    return [
        Suggestion(fields["uscc"], fields["name"], fields.get("grade") or "")
        for _, fields in checked_best_matches(
            text, max(0, min(limit, SUGGESTIONS_MAXIMUM)), searcher, publication_version
        )
    ]
