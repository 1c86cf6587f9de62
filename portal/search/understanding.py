"""Query understanding: what a visitor typed, read as districts, optional words and parts to match.

People type 朝阳区养老院, 营养协会东城, 北京青少年发展基金会, 残联 or
haidianyoueryuan, not the exact registered name. ``understand(text)`` reads
the text with a dictionary of its own: the districts (with and without
区, in characters and in pinyin), 北京 and 北京市 (optional: nearly every
name has them), and the terms of the reviewed thesaurus (``synonyms.tsv``,
read again when it changes, so an edit needs no reindex). What is left is a
list of *parts*: runs of characters (cut further by the matcher, with the
words of the published names themselves: ``Matcher.chunks``) or of pinyin
syllables. A document matches a query when it matches every part, in any
order; the district becomes a filter, and a name that merely contains the
district's word (密云区朝阳花养老院 for 朝阳 养老) ranks after the district's own.
"""

import functools
import re
from dataclasses import dataclass

from portal.chinese import name_readings
from portal.reference import DISTRICT_NAMES_ZH
from portal.search.pinyin import pinyin_corrections, pinyin_splits
from portal.search.synonyms import load_synonyms

#: Words that add nothing to a Beijing organisation's name: nearly all start with them.
OPTIONAL_WORDS = ("北京市", "北京")
OPTIONAL_SYLLABLES = (("bei", "jing", "shi"), ("bei", "jing"))
MUNICIPAL = "110000"
#: Respellings of letters that are not pinyin (one edit a syllable) tried as its syllables.
PINYIN_RESPELLINGS = 6

_TOKENS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z']+|[0-9]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Part:
    """One thing every result must match: characters (with their synonyms) or pinyin syllables."""

    text: str  # as typed
    kind: str  # "han" or "pinyin"
    #: han: the text, then its equivalent and related terms; pinyin: syllable tuples (ways to split the letters).
    alternatives: tuple
    #: han: whether the matcher may cut the text into the words of published names.
    chunked: bool = True
    #: han: alternatives before this index name the same thing (the text and its ``=`` equivalents);
    #: the ones from it on are related terms (``~``), matched in a later tier.
    related_from: int = 1
    #: pinyin: the letters were no pinyin as typed; the alternatives are their nearest spellings.
    respelled: bool = False


@dataclass(frozen=True)
class Understanding:
    districts: tuple = ()  # registrar codes
    district_words: tuple = ()  # as typed (朝阳, 朝阳区, chaoyang)
    parts: tuple = ()


@functools.lru_cache(maxsize=1)
def district_words():
    """Return {word: district code}: 朝阳区 and 朝阳, and so on (not the municipal bureau)."""
    words = {}
    for code, name in DISTRICT_NAMES_ZH.items():
        if code == MUNICIPAL:
            continue
        words[name] = code
        words[name.removesuffix("区")] = code
    return words


#: How the districts are said: 朝阳 is chao yang, although the characters' first reading is zhao yang.
DISTRICT_SAID = {"110105": ("chao", "yang")}


@functools.lru_cache(maxsize=1)
def district_syllables():
    """Return {syllables of a district: code}: (chao, yang) and (chao, yang, qu)."""
    syllables = {}
    for code, name in DISTRICT_NAMES_ZH.items():
        if code == MUNICIPAL:
            continue
        for reading in (DISTRICT_SAID.get(code), tuple(name_readings(name.removesuffix("区")).syllables)):
            if reading:
                syllables.setdefault(reading, code)
                syllables.setdefault((*reading, "qu"), code)
    return syllables


@functools.lru_cache(maxsize=1)
def _district_words_longest_first():
    return tuple(sorted(district_words().items(), key=lambda item: -len(item[0])))


def _near(a, b):
    """Tell whether two strings are at most one edit (insert, delete, replace or swap) apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differences) == 1:
            return True
        first, *rest = differences
        return len(differences) == 2 and rest[0] == first + 1 and a[first] == b[first + 1] and a[first + 1] == b[first]
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _district_of_letters(letters):
    """Return the district code that letters spell (haidian, chaoyangqu, dongchen), or None."""
    for syllables, code in district_syllables().items():
        spelled = "".join(syllables)
        if letters == spelled or (len(letters) >= 6 and _near(letters, spelled)):
            return code
    return None


def _strip_optional(text):
    stripped = True
    while stripped:
        stripped = False
        for word in OPTIONAL_WORDS:
            if text.startswith(word):
                text = text[len(word) :]
                stripped = True
    return text


def _districts_in_run(run):
    """Return (codes, words, rest of the run): a district's word at the start or the end of a run comes out."""
    codes, words = [], []
    found = True
    while found and run:
        found = False
        for word, code in _district_words_longest_first():
            rest = None
            if run.startswith(word):
                rest = run[len(word) :]
            elif run.endswith(word):
                rest = run[: -len(word)]
            # 朝阳门 is a place, not 朝阳 and 门: a word without 区 needs two characters or nothing beside it.
            if rest is None or (not word.endswith("区") and len(rest) == 1):
                continue
            codes.append(code)
            words.append(word)
            run = _strip_optional(rest)
            found = True
            break
    return codes, words, run


def _term_set(thesaurus):
    """Return (the thesaurus's terms as a set, the length of the longest), kept on the thesaurus."""
    found = getattr(thesaurus, "_term_set", None)
    if found is None:
        terms = frozenset(thesaurus.terms())
        found = thesaurus._term_set = (terms, max((len(term) for term in terms), default=0))
    return found


#: The thesaurus category of abbreviated names of bodies (残联, 书协, 团市委).
ABBREVIATION_CATEGORY = "简称"


def _name_abbreviations(thesaurus):
    """Return the short terms of the thesaurus's abbreviated names (书协, 足协, 残联)."""
    found = getattr(thesaurus, "_name_abbreviations", None)
    if found is None:
        found = frozenset(
            min(entry.terms, key=len) for entry in thesaurus.entries if entry.category == ABBREVIATION_CATEGORY
        )
        thesaurus._name_abbreviations = found
    return found


def _thesaurus_parts(run, thesaurus, related_too=True):
    """Cut a run of characters at the thesaurus's terms (longest first); return its Parts.

    Without ``related_too`` only equivalent terms are alternatives (a query
    that spells out a whole registered name means that name, not a related kind).
    """
    terms, longest = _term_set(thesaurus)
    parts = []
    plain_start = 0
    position = 0
    while position < len(run):
        match = None
        for length in range(min(longest, len(run) - position), 1, -1):
            candidate = run[position : position + length]
            if candidate in terms:
                match = candidate
                break
        if match is None:
            position += 1
            continue
        before = run[plain_start:position]
        after_end = position + len(match)
        # A lone character beside a term belongs to a word of its own (朝阳花养老院: 花 is not
        # a word): the run is then read as plain text, without the thesaurus.
        if len(before) == 1 or (len(run) - after_end == 1):
            return [Part(run, "han", (run,))]
        if before:
            parts.append(Part(before, "han", (before,)))
        # The abbreviation of a body's name (书协 for 书法协会) is not itself in names, and would
        # match inside other words (读书协会); a field's short form (非遗, 环保, 科普) is.
        abbreviations = _name_abbreviations(thesaurus)
        equivalents = (
            match,
            *(term for term in thesaurus.equivalents(match) if len(term) >= len(match) or term not in abbreviations),
        )
        related = tuple(term for term in thesaurus.related(match) if term not in equivalents) if related_too else ()
        parts.append(Part(match, "han", equivalents + related, chunked=False, related_from=len(equivalents)))
        position = after_end
        plain_start = position
    if plain_start < len(run):
        parts.append(Part(run[plain_start:], "han", (run[plain_start:],)))
    return [part for part in parts if len(part.text) >= 2]


def _syllable_options(letters):
    """Return the ways (syllable tuples) to read letters as pinyin, or their nearest respellings if none."""
    splits = pinyin_splits(letters)
    if splits:
        return tuple(splits)
    if sum(letter in "aeiouv" for letter in letters) * 4 < len(letters):
        return ()  # initials (bjqsn), not mistyped pinyin
    options = []
    for corrected in pinyin_corrections(letters)[:PINYIN_RESPELLINGS]:
        options.extend(pinyin_splits(corrected.replace(" ", ""))[:1])
    return tuple(dict.fromkeys(options))


def _pinyin_parts(tokens, codes, words):
    """Turn a run of letter tokens into Parts, taking districts and 北京 out of it."""
    parts = []
    pending = []  # single-syllable tokens, read together: "tuo yu zhong xin"

    def flush():
        if len(pending) == 1:
            pending.clear()  # one syllable alone names nothing
        if pending:
            syllables = tuple(s for token in pending for s in token[1])
            parts.append(Part(" ".join(token[0] for token in pending), "pinyin", (syllables,)))
            pending.clear()

    unsplittable = sum(1 for token in tokens if not pinyin_splits(token) and _district_of_letters(token) is None)
    for token in tokens:
        code = _district_of_letters(token)
        if code is not None:
            flush()
            codes.append(code)
            words.append(token)
            continue
        respelled = not pinyin_splits(token)
        # One word that is no pinyin as typed is a typo; two (hello world) are not pinyin at all.
        options = () if respelled and unsplittable > 1 else _syllable_options(token)
        if not options:
            flush()
            continue
        syllables = options[0]
        for optional in OPTIONAL_SYLLABLES:
            if syllables[: len(optional)] == optional and len(syllables) > len(optional) + 1:
                syllables = syllables[len(optional) :]
                options = (syllables,)
                break
        if not syllables or syllables in OPTIONAL_SYLLABLES:
            continue
        # A district spelled at the start or the end of unspaced pinyin: haidianyoueryuan.
        for reading, district in district_syllables().items():
            size = len(reading)
            if len(syllables) >= size + 2 and syllables[:size] == reading:
                codes.append(district)
                words.append("".join(reading))
                syllables = syllables[size:]
                options = (syllables,)
                break
            if len(syllables) >= size + 2 and syllables[-size:] == reading:
                codes.append(district)
                words.append("".join(reading))
                syllables = syllables[:-size]
                options = (syllables,)
                break
        if len(syllables) == 1:
            pending.append((token, syllables))
            continue
        flush()
        # The letters left once a district or 北京 is taken out, for respelling a typo.
        parts.append(
            Part(token if len(options) > 1 else "".join(syllables), "pinyin", options, respelled=respelled)
        )
    flush()
    return parts


def understand(text, thesaurus=None):
    """Return the Understanding of cleaned query text (``portal.search.query.clean_query``)."""
    if thesaurus is None:
        thesaurus = load_synonyms()
    codes, words, parts = [], [], []
    letters = []
    # 北京市丰台区祥云养老院 is a whole name: its 养老院 is not also 养老照料中心.
    whole_name = text.startswith(OPTIONAL_WORDS) and any(word in text for word in district_words() if word.endswith("区"))
    for token in _TOKENS.findall(text):
        if _HAN.match(token):
            if letters:
                parts.extend(_pinyin_parts(letters, codes, words))
                letters = []
            run = _strip_optional(token)
            found, typed, run = _districts_in_run(run)
            codes.extend(found)
            words.extend(typed)
            if run:
                parts.extend(_thesaurus_parts(run, thesaurus, related_too=not whole_name))
        elif token.isalpha() or "'" in token:
            letters.append(token.lower().replace("'", ""))
        # Digits are a code's business (``plan_query``), not a name's part.
    if letters:
        parts.extend(_pinyin_parts(letters, codes, words))
    return Understanding(
        districts=tuple(dict.fromkeys(codes)),
        district_words=tuple(dict.fromkeys(words)),
        parts=tuple(parts),
    )
