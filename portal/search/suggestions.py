"""Suggestions: the best matches of what a visitor is typing, and "did you mean" when nothing matched."""

from portal.search import bitmaps, publication_check
from portal.search.matcher import Matcher, request_searcher, word_terms_of
from portal.search.pinyin import pinyin_corrections
from portal.search.query import USCC_PREFIX_MAXIMUM, han_runs, plan_query

_SUGGESTION_TEXT_MAXIMUM = 40



def did_you_mean(matcher):
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
    other = Matcher.__new__(Matcher)
    other.searcher, other.reader, other.state = matcher.searcher, matcher.reader, matcher.state
    other.free_text, other.hidden = matcher.free_text, matcher.hidden
    other.partial = other.respelled = other.respell = False
    other.plan = plan_query(text, word_terms_of(matcher.searcher.schema))
    if other.plan.too_short or other.plan.empty:
        return 0
    tiers = other.tiers()
    if other.partial or other.respelled:
        return 0  # a suggestion is something that matches as it is spelled
    return bitmaps.any_of(bitmap for _, bitmap in tiers).bit_count()


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
    searcher = request_searcher(searcher)
    plan = plan_query(text, word_terms_of(searcher.schema))
    if plan.empty or plan.too_short or limit <= 0:
        return []
    matcher = Matcher(searcher, plan, free_text=False)
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

