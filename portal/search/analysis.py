"""Text analysis for the search index: jieba set-up, character bigrams and pinyin.

The tokenizer classes here are pickled into every index's schema by their
import path (as jieba's ``ChineseAnalyzer`` is). Renaming or moving them makes
existing indexes unreadable until they are rebuilt; bump
``portal.search.schema.SCHEMA_VERSION`` when their output changes.

The query side must analyse user input with the same functions
(``cjk_bigrams``, ``name_readings``, ``normalise_name``, ``normalise_uscc``),
so that what is searched for is spelled the way it was indexed.
"""

import logging
import os
import re
import threading
import time
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import jieba
from pypinyin import lazy_pinyin
from pypinyin.seg.simpleseg import seg as pinyin_segments
from whoosh.analysis import LowercaseFilter, Token, Tokenizer

log = logging.getLogger(__name__)

_jieba_lock = threading.Lock()

# Han ideographs (basic block, extension A and compatibility ideographs), or
# runs of ASCII letters and digits. Everything else separates tokens.
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII_WORDS = re.compile(r"[a-z0-9]+")
_USCC_CHARACTERS = re.compile(r"[^0-9A-Z]")


def initialize_jieba(cache_dir=None):
    """Load jieba's dictionary once in this process, caching it in ``cache_dir``.

    jieba otherwise writes a 9 MB cache to the system temp folder on first use
    (and crashes if that is not writable), at whatever moment the first
    document or query happens to be analysed. Safe to call more than once.
    """
    with _jieba_lock:
        if cache_dir:
            os.makedirs(cache_dir, exist_ok=True)
            jieba.dt.tmp_dir = cache_dir
        if jieba.dt.initialized:
            return
        jieba.setLogLevel(logging.WARNING)
        started = time.perf_counter()
        jieba.initialize()
        log.info("jieba dictionary loaded in %.2f s (cache in %s)", time.perf_counter() - started, jieba.dt.tmp_dir)


class CjkBigramTokenizer(Tokenizer):
    """Split text into overlapping Han-character bigrams and ASCII words.

    A run of Han characters "青少年发展" gives 青少, 少年, 年发, 发展; a lone
    character is kept as it is; letters and digits are kept as words.
    Bigrams find any substring of two or more characters, including those that
    cross jieba's word boundaries (少年发), at a third of jieba's analysis time.
    """

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return

        pos = start_pos
        for match in _RUNS.finditer(value):
            run = match.group()
            start = match.start()
            if len(run) > 1 and _HAN.match(run):
                pieces = ((run[i : i + 2], start + i) for i in range(len(run) - 1))
            else:
                pieces = ((run, start),)
            for text, offset in pieces:
                token.text = text
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = text
                if positions:
                    token.pos = pos
                    pos += 1
                if chars:
                    token.startchar = start_char + offset
                    token.endchar = start_char + offset + len(text)
                yield token


def CjkBigramAnalyzer():
    """Return the bigram analyzer (names, legal representatives; highlighting stored text)."""
    return CjkBigramTokenizer() | LowercaseFilter()


def cjk_bigrams(text):
    """Return the bigram terms of ``text``, as the index spells them."""
    return [token.text for token in CjkBigramAnalyzer()(text or "")]


class NameReadings(NamedTuple):
    """The pinyin of one name, computed once and used by three fields."""

    syllables: tuple  # toneless syllables and lowercase ASCII words: ("bei", "jing", "it", ...)
    initials: str  # first letter of each syllable, ASCII words whole: "bjitxh"
    sort_key: str  # syllables joined by spaces, then the name: sorts by pinyin, then by character


@lru_cache(maxsize=65536)
def _segment_readings(segment):
    # pypinyin converts a name word by word (its own segmentation picks the
    # reading of polyphones such as 银行 / 行长 from the word). Caching per word
    # gives the same result as converting the whole name, and organisation
    # names share most of their words (北京市, 协会, 基金会...), which makes
    # this several times faster than calling lazy_pinyin per name.
    is_han = bool(_HAN.match(segment))
    syllables = []
    initials = []
    for piece in lazy_pinyin(segment):
        piece = piece.lower()
        if _HAN.match(piece):
            continue  # a character pypinyin has no reading for
        for word in _ASCII_WORDS.findall(piece):
            syllables.append(word)
            # A pinyin syllable contributes its initial; a Latin word or a
            # number is typed whole ("北京IT协会" -> "bjitxh").
            initials.append(word[0] if is_han else word)
    return tuple(syllables), "".join(initials)


@lru_cache(maxsize=8192)
def name_readings(name):
    """Return the pinyin syllables, initials and sort key of a name."""
    syllables = []
    initials = []
    for segment in pinyin_segments(unicodedata.normalize("NFKC", name or "")):
        segment_syllables, segment_initials = _segment_readings(segment)
        syllables.extend(segment_syllables)
        initials.append(segment_initials)
    return NameReadings(tuple(syllables), "".join(initials), " ".join(syllables) + "\x1f" + (name or ""))


def name_sort_key(name):
    """Return the key that sorts names by pinyin (the sync may reuse it for ``name_pinyin``)."""
    return name_readings(name).sort_key


def normalise_name(text):
    """Return a name in the form used for whole-name matches."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace(",", " ")
    return " ".join(text.split())


def normalise_uscc(text):
    """Return a USCC or USCC prefix in upper case without separators."""
    return _USCC_CHARACTERS.sub("", unicodedata.normalize("NFKC", text or "").upper())
