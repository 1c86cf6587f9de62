"""The tiers of a query: the sets of documents that match it, each way it can match, best first.

A ``Matcher`` holds one plan (``portal.search.query``) on one index state
(``portal.search.docsets``); ``tiers()`` gives [(tier, bitmap)], each
without the documents of the tiers before it, and ``page()`` a page of them
in the order of relevance or of a sort.
"""

from portal.search import bitmaps
from portal.search.analysis import former, normalise_name
from portal.search.docsets import index_state

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


def request_searcher(searcher):
    if searcher is not None:
        return searcher
    from portal.search.index import get_searcher

    return get_searcher()


def word_terms_of(schema):
    def word_terms(text):
        return list(schema["name"].process_text(text, mode="query"))

    return word_terms


class Matcher:
    """The tiers of one plan, on one index state."""

    def __init__(self, searcher, plan, free_text=True):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.state = index_state(self.reader)
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
            found["pinyin"] = bitmaps.any_of(self.terms("name_pinyin", pairs) for pairs in splits)
            found["former_pinyin"] = bitmaps.any_of(self.terms("name_pinyin", former(pairs)) for pairs in splits)
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
            candidates = bitmaps.docnums_of(same_length)
            if len(candidates) > _EXACT_CHECKED:
                return same_length
            stored = self.searcher.stored_fields
            exact = [d for d in candidates if normalise_name(stored(d).get("name")) == plan.whole_name]
        if in_former and in_former.bit_count() <= _EXACT_CHECKED // 5:
            for docnum in bitmaps.docnums_of(in_former):
                names = self.searcher.stored_fields(docnum).get("former_names") or ""
                if plan.whole_name in {normalise_name(name) for name in names.split("\n")}:
                    exact.append(docnum)
        return bitmaps.bitmap_of(sorted(exact))

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
                    taken = bitmaps.page_of(part, ordered, rank, offset, limit - len(page), size)
                    page.extend((docnum, tier) for docnum in taken)
                    offset = 0
                    if len(page) >= limit:
                        return page
            return page
        ordered, rank = self.order(sort)
        taken = bitmaps.page_of(matched, ordered, rank, offset, limit, size)
        return [(docnum, tier_of(docnum, tiers)) for docnum in taken]


def tier_of(docnum, tiers):
    for tier, bitmap in tiers:
        if bitmaps.contains(bitmap, docnum):
            return tier
    return "name"

