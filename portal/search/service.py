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

from flask import has_app_context
from flask_babel import force_locale, get_locale

from portal.grades import PUBLISHED_GRADES
from portal.reference import DISTRICTS, ORG_TYPES
from portal.search import bitmaps, publication_check
from portal.search.hits import hit_of
from portal.search.matcher import Matcher, request_searcher, shown_tier, word_terms_of
from portal.search.query import plan_query
from portal.search.results import (  # noqa: F401 (the pages and the API read these through the service)
    DEFAULT_PER_PAGE,
    DOWNLOAD_MAXIMUM,
    DEFAULT_SORT,
    EVALUATION_OPTIONS,
    FACETS,
    PER_PAGE_MAXIMUM,
    RESULTS_MAXIMUM,
    SORTS,
    SUGGESTIONS_MAXIMUM,
    Facet,
    FacetOption,
    InvalidSearch,
    SearchResults,
    Suggestion,
    check_filters,
    check_paging,
)
from portal.search.suggestions import checked_best_matches, did_you_mean

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
    filters = check_filters(filters)
    check_paging(sort, page, per_page)
    return _search(text, filters, sort, page, per_page, locale, searcher, publication_version)


def search_for_download(text, filters=None, sort=DEFAULT_SORT, locale=None, searcher=None, publication_version=None):
    """Return the first ``DOWNLOAD_MAXIMUM`` results of a search, in the page's order, for a CSV download."""
    filters = check_filters(filters)
    check_paging(sort, 1, 1)
    return _search(text, filters, sort, 1, DOWNLOAD_MAXIMUM, locale, searcher, publication_version)


def _search(text, filters, sort, page, per_page, locale, searcher, publication_version):
    searcher = request_searcher(searcher)
    plan = plan_query(text, word_terms_of(searcher.schema))
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

    matcher = Matcher(searcher, plan)
    visibility = publication_check.visibility(searcher, matcher.state, publication_version)
    facet_bitmaps = {name: matcher.state.facet(matcher.reader, FACETS[name][0]) for name in FACETS}
    offset = (page - 1) * per_page
    for attempt in range(1, publication_check.PAGE_ATTEMPTS + 1):
        matcher.hidden = visibility.hidden
        tiers = matcher.tiers()
        matched = bitmaps.any_of(bitmap for _, bitmap in tiers)
        chosen = {name: _chosen_bitmap(facet_bitmaps[name], name, values) for name, values in filters.items()}
        filtered = bitmaps.all_of(chosen.values(), matched)
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
        hit_of(publication_check.with_database_values(fields, published[fields["uscc"]]), tier, plan)
        for (_, tier), fields in zip(page_docnums, page_fields)
        if fields.get("uscc") in published
    )

    suggestion, suggestion_total = (None, 0)
    if not matched or matcher.partial or matcher.respelled:
        suggestion, suggestion_total = did_you_mean(matcher)

    return SearchResults(
        total=total,
        unfiltered_total=matched.bit_count(),
        hits=hits,
        facets=_facets(matched, facet_bitmaps, chosen, filters, locale),
        suggestion=suggestion,
        suggestion_total=suggestion_total,
        tiers=_shown_tiers(tiers, plan),
        index_behind=visibility.behind,
        partial=matcher.partial,
        respelled=matcher.respelled,
        relaxed=_relaxed(plan) if (not total or matcher.partial) else None,
        districts=plan.understanding.districts if plan.understanding else (),
        **results,
    )


def _relaxed(plan):
    """Return a looser query than the plan's: without its district, or without its last word; None if none."""
    understanding = plan.understanding
    if understanding is None or not understanding.parts:
        return None
    texts = [part.text for part in understanding.parts]
    if understanding.districts:
        return " ".join(texts)
    if len(texts) > 1:
        return " ".join(texts[:-1])
    return None


def _shown_tiers(tiers, plan):
    """Return {tier as shown: matches} (see ``matcher.shown_tier``)."""
    shown = {}
    for tier, bitmap in tiers:
        name = shown_tier(tier, plan)
        shown[name] = shown.get(name, 0) + bitmap.bit_count()
    return shown


def _chosen_bitmap(option_bitmaps, name, options):
    values = FACETS[name][1]
    return bitmaps.any_of(option_bitmaps.get(values[option], 0) for option in options)


def _facets(matched, facet_bitmaps, chosen, filters, locale):
    labels = _labels(locale)
    facets = []
    for name, (_, options) in FACETS.items():
        others = bitmaps.all_of([bitmap for other, bitmap in chosen.items() if other != name], matched)
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


def suggest(text, limit=SUGGESTIONS_MAXIMUM, searcher=None, publication_version=None):
    """Return up to ``limit`` Suggestions (best first) for what a visitor is typing."""
    return [
        Suggestion(fields["uscc"], fields["name"], fields.get("grade") or "")
        for _, fields in checked_best_matches(
            text, max(0, min(limit, SUGGESTIONS_MAXIMUM)), searcher, publication_version
        )
    ]
