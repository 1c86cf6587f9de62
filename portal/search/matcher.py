"""The tiers of a query: the sets of documents that match it, each way it can match, best first.

A ``Matcher`` holds one plan (``portal.search.query``) on one index state
(``portal.search.docsets``); ``tiers()`` gives [(tier, bitmap)], each
without the documents of the tiers before it, and ``page()`` a page of them
in the order of relevance or of a sort.
"""

import contextlib

from portal.reference import DISTRICT_NAMES_ZH
from portal.search import bitmaps
from portal.search.analysis import cjk_bigrams, former, normalise_name
from portal.search.docsets import index_state
from portal.search.parts import PartMatcher
from portal.search.understanding import OPTIONAL_WORDS
from portal.uscc import check_character

#: The second character of a social organisation's USCC: 1 社会团体, 2 社会服务机构, 3 基金会, 9 other.
ORG_TYPE_DIGITS = "1239"

#: Relevance tiers, best first (see the module's docstring). A ``former_``
#: tier is the same match on a former name rather than the current one.
#: ``understood_*``, ``district_word`` and ``district`` are the tiers of the
#: understood query (``portal.search.parts``): every part, in any order, in
#: the district the query names.
TIERS = (
    "exact",
    "uscc",
    "org_code",
    "person_exact",
    "pinyin",
    "former_pinyin",
    "understood_literal",
    "name_words",
    "name",
    "former_name",
    "understood_former",
    "district_word",
    "uscc_prefix",
    "initials",
    "former_initials",
    "person",
    "understood_text",
    "business_scope",
    "address",
    "understood",
    "homophone",
    "former_homophone",
    "understood_homophone",
    "district",
)
#: Tiers found in free text rather than in a name, a code or a person: the
#: search page lists them, autocomplete (which suggests names) does not.
FREE_TEXT_TIERS = ("business_scope", "address", "understood_text")
#: Candidates for a whole-name match that are checked against the stored
#: name. More than this many (the same name registered many times) are
#: taken as they are: all bigrams and the same length is a whole-name match.
_EXACT_CHECKED = 50


#: What each tier of the understood query is shown as (``Hit.match``, ``SearchResults.tiers``).
SHOWN_AS = {
    "understood_literal": "name_words",
    "understood_former": "former_name",
    "understood_text": "business_scope",
    "understood": "name",
    "understood_homophone": "homophone",
    "district_word": "name",
    "org_code": "uscc",
    "person_exact": "person",
}
#: The same for a query typed in pinyin only.
SHOWN_AS_PINYIN = {"understood_literal": "pinyin", "understood_former": "former_pinyin", "understood": "pinyin"}


def shown_tier(tier, plan):
    """Return the name a tier is shown by: the kind of match a visitor can tell (name, pinyin, scope...)."""
    if tier.startswith("partial_"):
        return "partial"
    understanding = plan.understanding
    if understanding and understanding.parts and all(part.kind == "pinyin" for part in understanding.parts):
        tier = SHOWN_AS_PINYIN.get(tier, tier)
    return SHOWN_AS.get(tier, tier)


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
        # Whether a pinyin part that matches nothing is respelled (did-you-mean's counts do not).
        self.respell = True
        # Whether the last tiers() matched only some of the query's parts, or only a respelling of it.
        self.partial = False
        self.respelled = False

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
            if plan.person:
                found["person_exact"] = self._whole_person()
        if plan.org_code:
            found["org_code"] = self._org_code()
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
        parts = PartMatcher(self, plan.understanding) if plan.understanding else None
        if parts is not None:
            found.update(parts.tiers())
        tiers = []
        seen = self.hidden
        for tier in TIERS:
            bitmap = found.get(tier, 0) & ~seen
            if bitmap:
                tiers.append((tier, bitmap))
                seen |= bitmap
        self.partial = False
        typo_tiers = {"homophone", "former_homophone", "understood_homophone"}
        self.respelled = bool(tiers) and (
            all(tier in typo_tiers for tier, _ in tiers) or (parts is not None and parts.respelled)
        )
        if not tiers and parts is not None and self.free_text:
            # Not every part matched: rank by how many did, and say so.
            tiers = [(tier, bitmap & ~self.hidden) for tier, bitmap in parts.partial_tiers()]
            tiers = [(tier, bitmap) for tier, bitmap in tiers if bitmap]
            self.partial = bool(tiers)
        return tiers

    def _whole_person(self):
        """Return the documents whose legal representative is the whole query (a person's full name)."""
        plan = self.plan
        candidates = self.terms("legal_representative", plan.person)
        if not candidates or candidates.bit_count() > _EXACT_CHECKED:
            return 0
        stored = self.searcher.stored_fields
        return bitmaps.bitmap_of(
            [d for d in bitmaps.docnums_of(candidates) if stored(d).get("legal_representative") == plan.text]
        )

    def _org_code(self):
        """Return the documents whose USCC holds the organisation code (any social organisation type, any district)."""
        found = 0
        for kind in ORG_TYPE_DIGITS:
            for district in DISTRICT_NAMES_ZH:
                first17 = f"5{kind}{district}{self.plan.org_code}"
                if len(first17) == 17 and first17.isalnum():
                    with contextlib.suppress(ValueError):
                        code = first17 + check_character(first17)
                        found |= self.state.term(self.reader, "uscc", code)
        return found & self.state.live

    def _whole_names(self, in_name, in_former):
        """Return the documents whose name (or a former name) is the whole query, with or without 北京/北京市."""
        plan = self.plan
        exact = []
        core = plan.whole_name
        for word in OPTIONAL_WORDS:
            core = core.removeprefix(word)
        for name in dict.fromkeys((plan.whole_name, *(word + core for word in OPTIONAL_WORDS), core)):
            if name == plan.whole_name:
                in_variant = in_name
            else:
                in_variant = self.terms("name_bigrams", tuple(dict.fromkeys(cjk_bigrams(name))))
            if not in_variant:
                continue
            same_length = in_variant & self.state.name_lengths(self.reader).get(len(name), 0)
            candidates = bitmaps.docnums_of(same_length)
            if len(candidates) > _EXACT_CHECKED:
                return same_length
            stored = self.searcher.stored_fields
            exact.extend(d for d in candidates if normalise_name(stored(d).get("name")) == name)
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

