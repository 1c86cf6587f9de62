"""The tiers of an understood query (``portal.search.understanding``): every part matched, in any order.

For each part the matcher finds the documents whose current name has it
(literally, or by a synonym, or by the sound of its characters when they
match nothing: a homophone typo), whose former name has it, and whose
business scope, address, supervising unit or legal representative has it.
Runs of characters are cut into the longest pieces that some published name
holds (its bigrams all in one name: the names' own words are the
dictionary), so 发展基金会青少年 is 发展基金会 and 青少年.

Tiers, best first, each within the district when the query names one:
all parts in the name (as typed or by an equivalent term); in the name or a
former name; (after the whole-query tiers of ``Matcher``) a name that holds
the district's word without being registered there; all parts anywhere in the
text fields; then with related terms (养老院 ~ 敬老院); and last by the sound
of the characters (a typo). When nothing matches every part,
``partial_tiers`` ranks by how many parts matched ("没有完全匹配的结果").
"""

from portal.chinese import name_readings
from portal.search import bitmaps
from portal.search.analysis import cjk_bigrams, former, query_text_words, syllable_pairs
from portal.search.pinyin import pinyin_corrections, pinyin_splits, syllables_near

#: A legal representative's name is 2 to 4 characters.
PERSON_LENGTHS = range(2, 5)
#: Respellings of a pinyin part tried when it matches nothing (one edit a syllable; each
#: costs a few term lookups, most of them of pairs no name has).
PINYIN_CORRECTIONS_TRIED = 24


def _may_be_pinyin(letters):
    """Tell whether letters could be mistyped pinyin (bjsqsn, initials, could not: no vowel to speak of)."""
    letters = letters.replace(" ", "")
    vowels = sum(letter in "aeiouv" for letter in letters)
    return vowels * 4 >= len(letters)


class PartMatcher:
    """Bitmaps of the parts of one understood query, on one index state (through a ``Matcher``)."""

    def __init__(self, matcher, understanding):
        self.matcher = matcher
        self.understanding = understanding
        self._cache = {}
        # Whether a part was found only by respelling it (a pinyin typo) or by its sound (a character typo).
        self.respelled = False

    # -- one part ------------------------------------------------------------------

    def _bigrams(self, text, prefix=False):
        grams = tuple(dict.fromkeys(cjk_bigrams(text)))
        if not grams or (len(grams) == 1 and len(grams[0]) == 1):
            return 0
        return self.matcher.terms("name_bigrams", former(grams) if prefix else grams)

    def chunks(self, text):
        """Cut a run of characters into the longest pieces that a published name holds; () if a bigram is in none."""
        pieces = []
        start = 0
        while start < len(text):
            if len(text) - start == 1:
                break  # a lone last character: optional
            end = start + 2
            if not self._bigrams(text[start:end]):
                return ()
            while end < len(text) and self._bigrams(text[start : end + 1]):
                end += 1
            pieces.append(text[start:end])
            start = end
        return tuple(pieces)

    def name(self, part, related=False):
        """Return the documents whose current name has the part (or an equivalent; with ``related``, a related term)."""
        key = ("name", part, related)
        if key in self._cache:
            return self._cache[key]
        if part.kind == "pinyin":
            found = self._pinyin(part, prefix=False)
        elif related:
            found = self.name(part)
            for alternative in part.alternatives[part.related_from :]:
                found |= self._bigrams(alternative)
        else:
            pieces = self.chunks(part.text) if part.chunked else ()
            if pieces:
                found = bitmaps.all_of([self._bigrams(piece) for piece in pieces], self.matcher.live)
            else:
                found = self._bigrams(part.text)
            for alternative in part.alternatives[1 : part.related_from]:
                found |= self._bigrams(alternative)
        self._cache[key] = found
        return found

    def homophone(self, part):
        """Return the documents whose name sounds like the part's characters (a typo: 幼儿圆, 养劳)."""
        if part.kind != "han":
            return 0
        pairs = syllable_pairs(name_readings(part.text).syllables)
        return self.matcher.terms("name_pinyin", pairs) if pairs else 0

    def _pinyin(self, part, prefix):
        def of(options):
            found = 0
            for syllables in options:
                pairs = syllable_pairs(syllables)
                if pairs:
                    found |= self.matcher.terms("name_pinyin", former(pairs) if prefix else pairs)
            return found

        found = of(part.alternatives)
        if found and part.respelled and not prefix:
            self.respelled = True
        if found or prefix or not self.matcher.respell or not _may_be_pinyin(part.text):
            return found
        if part.alternatives:
            self.respelled = True
            # One syllable mistyped (yanglayuan, youeryan): each syllable's neighbours, the others as typed.
            for syllables in part.alternatives[:2]:
                for position, syllable in enumerate(syllables):
                    found |= of(
                        (*syllables[:position], near, *syllables[position + 1 :]) for near in syllables_near(syllable)
                    )
        if not found:
            self.respelled = True
            # Letters that are no pinyin as typed (zixnu): the nearest spellings that are.
            for corrected in pinyin_corrections(part.text.replace(" ", ""), limit=PINYIN_CORRECTIONS_TRIED):
                found = of(pinyin_splits(corrected.replace(" ", ""))[:1])
                if found:
                    break
        return found

    def former_name(self, part):
        key = ("former", part)
        if key not in self._cache:
            if part.kind == "pinyin":
                found = self._pinyin(part, prefix=True)
            else:
                found = 0
                for alternative in part.alternatives[: part.related_from]:
                    found |= self._bigrams(alternative, prefix=True)
            self._cache[key] = found
        return self._cache[key]

    def text(self, part):
        """Return the documents with the part in the business scope, address, supervising unit or legal representative."""
        key = ("text", part)
        if key in self._cache:
            return self._cache[key]
        found = 0
        if part.kind == "han" and self.matcher.free_text:
            for index, alternative in enumerate(part.alternatives[: part.related_from]):
                words = query_text_words(alternative)
                # Only words that spell the whole of what was typed: 幼儿圆 is not 幼儿.
                if words and (index or sum(map(len, words)) >= len(alternative)):
                    for field in ("business_scope", "address", "supervising_unit"):
                        found |= self.matcher.terms(field, words)
        if part.kind == "han" and len(part.text) in PERSON_LENGTHS:
            found |= self._person(part.text)
        self._cache[key] = found
        return found

    def _person(self, text):
        grams = tuple(dict.fromkeys(cjk_bigrams(text)))
        return self.matcher.terms("legal_representative", grams) if grams else 0

    # -- the query -----------------------------------------------------------------

    def district(self):
        """Return the documents registered in the query's districts, or None if it names none."""
        if not self.understanding.districts:
            return None
        facet = self.matcher.state.facet(self.matcher.reader, "district_code")
        return bitmaps.any_of(facet.get(code, 0) for code in self.understanding.districts)

    def anywhere(self, part):
        """Return the documents with the part (or an equivalent) in a name, a former name or the text fields."""
        return self.name(part) | self.former_name(part) | self.text(part)

    def _all(self, of, within):
        parts = self.understanding.parts
        if not parts:
            return 0
        return bitmaps.all_of([of(part) for part in parts], within)

    def tiers(self):
        """Return {tier: bitmap} of the understood query (see the module's docstring)."""
        live = self.matcher.live
        district = self.district()
        within = live if district is None else district & live
        found = {}
        if not self.understanding.parts:
            if district is not None:
                found["district"] = within
            return found
        found["understood_literal"] = self._all(self.name, within)
        found["understood_former"] = self._all(lambda part: self.name(part) | self.former_name(part), within)
        if district is not None:
            # A name holding the district's word, registered elsewhere (密云区朝阳花养老院 for 朝阳 养老).
            words = [self._bigrams(word) for word in self.understanding.district_words if not word.isascii()]
            if words:
                found["district_word"] = self._all(self.name, bitmaps.any_of(words) & live)
        if not self.matcher.free_text:
            return found  # autocomplete suggests names as typed (or an equivalent), nothing looser
        found["understood_text"] = self._all(self.anywhere, within)
        found["understood"] = self._all(lambda part: self.anywhere(part) | self.name(part, related=True), within)
        found["understood_homophone"] = self._all(
            lambda part: self.anywhere(part) | self.name(part, related=True) | self.homophone(part), within
        )
        return found

    def partial_tiers(self):
        """Return [(tier, bitmap)] of documents matching some parts: most parts first, the district's first."""
        parts = self.understanding.parts
        district = self.district()
        live = self.matcher.live
        matched = [(self.anywhere(part) | self.name(part, related=True) | self.homophone(part)) & live for part in parts]
        # at_least[k]: documents matching at least k parts.
        at_least = [live] + [0] * len(matched)
        for bitmap in matched:
            for k in range(len(matched), 0, -1):
                at_least[k] |= at_least[k - 1] & bitmap
        tiers = []
        for k in range(len(matched), 0, -1):
            exactly = at_least[k] & ~(at_least[k + 1] if k < len(matched) else 0)
            if district is not None:
                tiers.append((f"partial_{k}", exactly & district))
                tiers.append((f"partial_{k}", exactly & ~district))
            else:
                tiers.append((f"partial_{k}", exactly))
        return [(tier, bitmap) for tier, bitmap in tiers if bitmap]
