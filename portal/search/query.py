"""What a visitor typed, turned into the index terms to look up: never a query language.

``plan_query(text)`` cleans the input (NFKC, no control characters, one
space between words, at most ``QUERY_MAXIMUM_LENGTH`` characters) and works
out every way it could name an organisation: Chinese characters (bigrams and
jieba words), a unified social credit code or its prefix, full pinyin (split
into syllables), pinyin initials, a homophone typo (the pinyin of the
characters), a legal representative's name, and the words of an address or
a business scope (jieba). The terms are spelled with the functions the index
is built with (``portal.search.analysis``).
"""

import re
import unicodedata
from dataclasses import dataclass, field

from portal.chinese import name_readings
from portal.search.analysis import (
    cjk_bigrams,
    normalise_name,
    normalise_uscc,
    query_text_words,
    syllable_pairs,
)
from portal.search.pinyin import pinyin_splits
from portal.search.schema import USCC_PREFIX_MAXIMUM
from portal.search.understanding import understand

#: Longer input is cut: no organisation name or code is this long.
QUERY_MAXIMUM_LENGTH = 100
#: A USCC prefix shorter than this is not looked up (it would list thousands).
USCC_MINIMUM_PREFIX = 4
USCC_LENGTH = 18
#: An organisation code (组织机构代码): 8 characters and a check character, inside a USCC.
ORG_CODE_LENGTH = 9
INITIALS_MAXIMUM_LETTERS = 20
#: A legal representative's name is 2 to 4 characters (a few more for
#: ethnic minority names); longer text is not looked up as a person.
PERSON_MAXIMUM_CHARACTERS = 6

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CODE = re.compile(r"[0-9A-Za-z]+")
_CODE_LABEL = re.compile(r"[\u3400-\u9fff]+[:：]?([0-9A-Za-z]{4,})")
_LETTERS = re.compile(r"[a-z' ]+")
_SPACES = re.compile(r"\s+")



def clean_query(text):
    """Return (text, truncated): the input in NFKC, without control characters, spaces collapsed, capped."""
    text = unicodedata.normalize("NFKC", text or "")
    # Control, format, surrogate and private-use characters become spaces:
    # they are never part of a name, and some would break the page or a log.
    text = "".join(" " if unicodedata.category(character)[0] == "C" else character for character in text)
    text = _SPACES.sub(" ", text).strip()
    truncated = len(text) > QUERY_MAXIMUM_LENGTH
    if truncated:
        text = text[:QUERY_MAXIMUM_LENGTH].rstrip()
    return text, truncated


@dataclass(frozen=True)
class QueryPlan:
    """The terms to look up for one query, by the way they could match.

    Every tuple of terms is an AND (all must be in the document); a tuple of
    such tuples is an OR of them.
    """

    text: str
    truncated: bool = False
    #: Too little to search: fewer than two characters that can match.
    too_short: bool = False
    #: ``normalise_name(text)``: a whole name equal to it ranks first.
    whole_name: str = ""
    #: ``name_bigrams`` terms (Han bigrams and ASCII words).
    bigrams: tuple = ()
    #: jieba words of the text in ``name`` (a word match ranks above a substring match).
    words: tuple = ()
    #: ``name_pinyin`` pairs of the characters' readings (homophone typos).
    homophone_pairs: tuple = ()
    #: ``name_pinyin`` pairs for each way of reading letters as full pinyin.
    pinyin_pairs: tuple = ()
    #: ``name_initials`` terms of letters read as initials.
    initials: tuple = ()
    uscc_exact: str | None = None
    #: A ``uscc_prefix`` term (4..14 characters, lower case).
    uscc_prefix: str | None = None
    #: A 15..17-character prefix, matched against the ``uscc`` terms.
    uscc_long_prefix: str | None = None
    #: A 9-character organisation code (the 9th to 17th characters of a USCC: 58174021-1).
    org_code: str | None = None
    #: ``legal_representative`` terms.
    person: tuple = ()
    #: ``address`` and ``business_scope`` terms (jieba words), all required.
    text_words: tuple = ()
    #: The syllables found in letters, for display and spelling suggestions.
    syllables: tuple = field(default=(), compare=False)
    #: Districts, optional words and parts (``portal.search.understanding``).
    understanding: object = field(default=None, compare=False)

    @property
    def empty(self):
        return not self.text


def plan_query(text, word_terms=None):
    """Return the QueryPlan of what a visitor typed.

    ``word_terms(text)`` returns the jieba words of text as the ``name``
    field indexes them (``schema["name"].process_text(text, mode="query")``);
    without it no word terms are planned.
    """
    text, truncated = clean_query(text)
    if not text:
        return QueryPlan(text="", truncated=truncated)
    plan = {"text": text, "truncated": truncated, "whole_name": normalise_name(text)}

    bigrams = tuple(dict.fromkeys(cjk_bigrams(text)))
    han_characters = len(_HAN.findall(text))
    # A lone Han character is kept as a term by the analyser, but names are
    # indexed as bigrams, so it could only ever match a one-character name.
    if bigrams and not (len(bigrams) == 1 and len(bigrams[0]) == 1):
        plan["bigrams"] = bigrams
        if word_terms is not None and han_characters >= 2:
            plan["words"] = tuple(dict.fromkeys(word_terms(text)))
    if han_characters >= 2:
        syllables = name_readings(text).syllables
        plan["homophone_pairs"] = tuple(dict.fromkeys(syllable_pairs(syllables)))
        if han_characters <= PERSON_MAXIMUM_CHARACTERS and len(text) <= PERSON_MAXIMUM_CHARACTERS + 2:
            plan["person"] = bigrams
        plan["text_words"] = query_text_words(text)

    compact = text.replace(" ", "").replace("-", "")
    labelled = _CODE_LABEL.fullmatch(compact)
    if labelled:  # 统一社会信用代码：5211...
        compact = labelled.group(1)
    if len(compact) >= USCC_MINIMUM_PREFIX and _CODE.fullmatch(compact) and any(c.isdigit() for c in compact):
        code = normalise_uscc(compact)
        if len(code) == USCC_LENGTH:
            plan["uscc_exact"] = code
        elif len(code) == ORG_CODE_LENGTH:
            plan["org_code"] = code
            plan["uscc_prefix"] = code.lower()
        elif len(code) <= USCC_PREFIX_MAXIMUM:
            plan["uscc_prefix"] = code.lower()
        elif len(code) < USCC_LENGTH:
            plan["uscc_long_prefix"] = code

    letters = text.lower()
    if _LETTERS.fullmatch(letters):
        splits = pinyin_splits(letters)
        pairs = tuple(tuple(dict.fromkeys(syllable_pairs(split))) for split in splits if len(split) >= 2)
        if pairs:
            plan["pinyin_pairs"] = pairs
        if splits:
            plan["syllables"] = splits[0]
        plan["initials"] = initials_terms(letters.replace(" ", "").replace("'", ""))

    understanding = understand(text)
    plan["understanding"] = understanding
    searchable = ("bigrams", "uscc_exact", "uscc_prefix", "uscc_long_prefix", "pinyin_pairs", "initials")
    if not any(plan.get(key) for key in searchable) and not understanding.parts and not understanding.districts:
        plan["too_short"] = len(compact) < 2
    return QueryPlan(**plan)


_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def han_runs(text):
    """Return the runs of two or more Han characters in text."""
    return _HAN_RUN.findall(text or "")


def initials_terms(letters):
    """Return the ``name_initials`` terms that all occur for ``letters`` to be a run of initials."""
    if not 2 <= len(letters) <= INITIALS_MAXIMUM_LETTERS or not letters.isalpha():
        return ()
    if len(letters) == 2:
        return (letters,)
    return tuple(dict.fromkeys(letters[i : i + 3] for i in range(len(letters) - 2)))


