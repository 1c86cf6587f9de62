"""Candidates for a name as someone typed it into a spreadsheet: the search's best matches, and near names.

Reconciliation (``portal.reconcile``) matches lists of names that people
typed: with or without 北京市, with spaces, with a character wrong. The
search's tiers find the first two, but a wrong character breaks every tier
that needs all of a name's bigrams. So the names holding most of the query's
bigrams are candidates too (one wrong character costs at most two of them);
the caller ranks all of them by how close each name is.
"""

from portal.search import bitmaps, publication_check
from portal.search.analysis import cjk_bigrams
from portal.search.matcher import Matcher, request_searcher, word_terms_of
from portal.search.query import plan_query
from portal.search.understanding import OPTIONAL_WORDS

#: The tier of a candidate found only by the bigrams it shares with the query.
SHARED_BIGRAMS = "shared_bigrams"
#: A name must hold at least this share of the query's bigrams to be a candidate by them.
SHARED_BIGRAMS_MINIMUM = 0.5


def name_candidates(text, limit, searcher=None, publication_version=None):
    """Return [(fields, tier)] of up to ``limit`` published organisations for ``text``, best first.

    The search's own best matches come first (``tier`` is the search tier);
    then, up to ``limit`` more, the names that share most of the query's
    bigrams (``tier`` is ``SHARED_BIGRAMS``). Only published organisations,
    checked against the portal DB, with the DB's values in ``fields``.
    """
    searcher = request_searcher(searcher)
    plan = plan_query(text, word_terms_of(searcher.schema))
    if plan.empty or plan.too_short or limit <= 0:
        return []
    matcher = Matcher(searcher, plan, free_text=False)
    visibility = publication_check.visibility(searcher, matcher.state, publication_version)
    for attempt in range(1, publication_check.PAGE_ATTEMPTS + 1):
        matcher.hidden = visibility.hidden
        found = matcher.page(matcher.tiers(), 0, "relevance", 0, limit)
        seen = bitmaps.bitmap_of(sorted(docnum for docnum, _ in found))
        found += matcher.page(_shared_bigram_tiers(matcher, plan.text, seen), 0, "relevance", 0, limit)
        page_fields = [searcher.stored_fields(docnum) for docnum, _ in found]
        published = publication_check.published_rows([fields.get("uscc") for fields in page_fields])
        departed = [docnum for (docnum, _), fields in zip(found, page_fields) if fields.get("uscc") not in published]
        if not departed or attempt == publication_check.PAGE_ATTEMPTS:
            break
        visibility.hide(departed)
    return [
        (publication_check.with_database_values(fields, published[fields["uscc"]]), tier)
        for (_, tier), fields in zip(found, page_fields)
        if fields.get("uscc") in published
    ]


def _shared_bigram_tiers(matcher, text, seen):
    """Return [(tier, bitmap)]: documents by how many of the text's bigrams their current name holds, most first."""
    core = "".join(text.split())
    for word in OPTIONAL_WORDS:
        core = core.removeprefix(word)
    grams = tuple(dict.fromkeys(gram for gram in cjk_bigrams(core) if len(gram) > 1))
    if len(grams) < 2:
        return []
    live = matcher.live & ~seen
    holding = [matcher.terms("name_bigrams", (gram,)) & live for gram in grams]
    # at_least[k]: documents holding at least k of the bigrams.
    at_least = [live] + [0] * len(holding)
    for bitmap in holding:
        for k in range(len(holding), 0, -1):
            at_least[k] |= at_least[k - 1] & bitmap
    minimum = max(1, int(len(grams) * SHARED_BIGRAMS_MINIMUM + 0.999))
    tiers = []
    for k in range(len(grams), minimum - 1, -1):
        exactly = at_least[k] & ~(at_least[k + 1] if k < len(grams) else 0)
        if exactly:
            tiers.append((SHARED_BIGRAMS, exactly))
    return tiers
