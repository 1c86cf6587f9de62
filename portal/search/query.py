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

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import product

from portal.chinese import name_readings
from portal.search.analysis import (
    cjk_bigrams,
    normalise_name,
    normalise_uscc,
    query_text_words,
    syllable_pairs,
)
from portal.search.schema import USCC_PREFIX_MAXIMUM

#: Longer input is cut: no organisation name or code is this long.
QUERY_MAXIMUM_LENGTH = 100
#: A USCC prefix shorter than this is not looked up (it would list thousands).
USCC_MINIMUM_PREFIX = 4
USCC_LENGTH = 18
#: Letters longer than this are not split into syllables (the number of
#: splits grows quickly, and no name's pinyin is this long).
PINYIN_MAXIMUM_LETTERS = 60
#: At most this many ways of splitting letters into syllables are searched.
PINYIN_MAXIMUM_SPLITS = 4
INITIALS_MAXIMUM_LETTERS = 20
#: A legal representative's name is 2 to 4 characters (a few more for
#: ethnic minority names); longer text is not looked up as a person.
PERSON_MAXIMUM_CHARACTERS = 6

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CODE = re.compile(r"[0-9A-Za-z]+")
_LETTERS = re.compile(r"[a-z' ]+")
_SPACES = re.compile(r"\s+")

#: Every toneless pinyin syllable with a vowel (from pypinyin's dictionary,
#: ü written v as ``name_readings`` writes it). Kept here rather than derived
#: at start-up: deriving it takes 0.4 s.
PINYIN_SYLLABLES = frozenset(
    """
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca
cai can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua
chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den
deng di dia dian diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei
fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun
guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian
jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku
kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin
ling liu lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie
min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nia nian niang niao nie nin ning niu
nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po
pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri
rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei
shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta
tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei
wen weng wo wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao
ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang
zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu
zuan zui zun zuo
""".split()
)
_LONGEST_SYLLABLE = max(map(len, PINYIN_SYLLABLES))


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
    #: ``legal_representative`` terms.
    person: tuple = ()
    #: ``address`` and ``business_scope`` terms (jieba words), all required.
    text_words: tuple = ()
    #: The syllables found in letters, for display and spelling suggestions.
    syllables: tuple = field(default=(), compare=False)

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
    if len(compact) >= USCC_MINIMUM_PREFIX and _CODE.fullmatch(compact) and any(c.isdigit() for c in compact):
        code = normalise_uscc(compact)
        if len(code) == USCC_LENGTH:
            plan["uscc_exact"] = code
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

    searchable = ("bigrams", "uscc_exact", "uscc_prefix", "uscc_long_prefix", "pinyin_pairs", "initials")
    if not any(plan.get(key) for key in searchable):
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


@functools.lru_cache(maxsize=4096)
def pinyin_splits(letters, limit=PINYIN_MAXIMUM_SPLITS):
    """Return up to ``limit`` ways of reading letters as pinyin syllables, fewest syllables first.

    Spaces and apostrophes separate syllables for certain ("xi'an"); within a
    run of letters every split into known syllables is considered ("xian" is
    xian or xi an). Returns () if the letters are not pinyin.
    """
    parts = [part for part in re.split(r"[ ']+", letters) if part]
    if not parts or sum(map(len, parts)) > PINYIN_MAXIMUM_LETTERS:
        return ()
    per_part = []
    for part in parts:
        splits = _splits_of_run(part, limit)
        if not splits:
            return ()
        per_part.append(splits)
    combined = sorted((sum(split, ()) for split in product(*per_part)), key=len)
    return tuple(combined[:limit])


def _splits_of_run(run, limit):
    """Return up to ``limit`` splits of one run of letters into syllables, fewest syllables first."""
    # fewest[i]: the fewest syllables that spell run[i:] (None if impossible).
    length = len(run)
    fewest = [None] * (length + 1)
    fewest[length] = 0
    for start in range(length - 1, -1, -1):
        best = None
        for end in range(start + 1, min(length, start + _LONGEST_SYLLABLE) + 1):
            if run[start:end] in PINYIN_SYLLABLES and fewest[end] is not None:
                best = fewest[end] + 1 if best is None else min(best, fewest[end] + 1)
        fewest[start] = best
    if fewest[0] is None:
        return []
    # Enumerate splits with at most one syllable more than the fewest.
    budget = fewest[0] + 1
    found = []

    def walk(start, taken):
        if len(found) >= limit * 4:
            return
        if start == length:
            found.append(tuple(taken))
            return
        for end in range(min(length, start + _LONGEST_SYLLABLE), start, -1):
            if run[start:end] in PINYIN_SYLLABLES and fewest[end] is not None:
                if len(taken) + 1 + fewest[end] <= budget:
                    taken.append(run[start:end])
                    walk(end, taken)
                    taken.pop()

    walk(0, [])
    found.sort(key=len)
    return found[:limit]


@functools.lru_cache(maxsize=1)
def _syllables_by_deletion():
    """Return {a syllable, or it with one letter deleted: the syllables it may be a typo of}."""
    index = {}
    for syllable in PINYIN_SYLLABLES:
        index.setdefault(syllable, set()).add(syllable)
        for i in range(len(syllable)):
            index.setdefault(syllable[:i] + syllable[i + 1 :], set()).add(syllable)
    return index


def _near_syllables(piece):
    """Return the syllables within one edit (insert, delete, replace or swap) of ``piece``, nearest first."""
    index = _syllables_by_deletion()
    if piece in PINYIN_SYLLABLES:
        return [(0, piece)]
    near = set(index.get(piece, ()))  # piece is a syllable with a letter missing
    for i in range(len(piece)):
        shorter = piece[:i] + piece[i + 1 :]
        if shorter in PINYIN_SYLLABLES:
            near.add(shorter)  # one letter too many
        near.update(index.get(shorter, ()))  # a letter replaced (or two letters swapped)
    return [(1, syllable) for syllable in sorted(near)]


@functools.lru_cache(maxsize=1024)
def pinyin_corrections(letters, limit=12):
    """Return up to ``limit`` respellings of letters as the nearest pinyin, nearest first.

    At most one edit per syllable: "beijng qingshaonain" -> "beijing
    qingshaonian", ... Used for "did you mean" (the caller keeps the first
    that finds something). Letters that already are pinyin give ().
    """
    parts = [part for part in re.split(r"[ ']+", letters.lower()) if part]
    if not parts or sum(map(len, parts)) > PINYIN_MAXIMUM_LETTERS or not all(part.isalpha() for part in parts):
        return ()
    per_part = []
    for part in parts:
        length = len(part)
        # best[i]: the cheapest respellings of part[i:], as (edits, syllables, spelling).
        best = [None] * (length + 1)
        best[length] = [(0, 0, "")]
        for start in range(length - 1, -1, -1):
            options = []
            for end in range(start + 1, min(length, start + _LONGEST_SYLLABLE + 1) + 1):
                if not best[end]:
                    continue
                for edits, syllable in _near_syllables(part[start:end]):
                    options.extend(
                        (edits + rest_edits, 1 + rest_syllables, syllable + rest)
                        for rest_edits, rest_syllables, rest in best[end]
                    )
            best[start] = sorted(set(options))[: limit * 2]
        if not best[0]:
            return ()
        per_part.append(best[0][:limit])
    if len(per_part) > 4:
        return ()
    spelled = sorted(
        (sum(option[0] for option in combination), " ".join(option[2] for option in combination))
        for combination in product(*per_part)
    )
    original = " ".join(parts)
    return tuple(dict.fromkeys(text for edits, text in spelled if edits and text != original))[:limit]
