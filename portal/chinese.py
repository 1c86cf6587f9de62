"""Chinese text: pinyin readings, the pinyin sort key, and the Han character ranges.

The one home of these: the public list (``Organisation.name_pinyin``,
written by the sync), the search index (``name_sort`` and the pinyin fields)
and the pages (pinyin names) read every name with the same syllables.

``pypinyin.lazy_pinyin`` costs about 240 µs per name, most of it converting
styles; over 60,000 names that is 15 s of every full sync and index build.
pypinyin resolves polyphones (银行 / 行长) per phrase of its own mmseg
segmentation, so converting each phrase once and caching it gives exactly
lazy_pinyin's result, about ten times faster: names share most phrases
(北京市, 协会, 基金会, 青少年 ...).
"""

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from pypinyin import lazy_pinyin
from pypinyin.constants import RE_HANS
from pypinyin.seg.mmseg import seg as mmseg
from pypinyin.seg.simpleseg import simple_seg

#: Han ideographs: CJK unified ideographs (extension A and the basic block) and compatibility ideographs.
HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_RANGES}]")

_ASCII_WORDS = re.compile(r"[a-z0-9]+")

#: Separates the pinyin sort key from the name it sorts (below every printable character).
SORT_KEY_SEPARATOR = "\x1f"


@lru_cache(maxsize=100_000)
def _phrase_syllables(phrase):
    return tuple(lazy_pinyin(phrase))


def _readings(text):
    """Yield (reading, is_han) for ``text``: a syllable per Han character, other runs (Latin, digits) as they are.

    Runs of characters pypinyin reads are cut as pypinyin cuts them (its
    ``simple_seg``, then mmseg phrases), so the readings are lazy_pinyin's.
    """
    for run in simple_seg(text or ""):
        if RE_HANS.match(run):
            for phrase in mmseg.cut(run):
                for reading in _phrase_syllables(phrase):
                    yield reading, True
        else:
            for reading in _phrase_syllables(run):
                yield reading, False


def syllables(text):
    """Return the toneless pinyin syllables of ``text``; other runs (Latin, digits) pass through."""
    return [reading for reading, _ in _readings(text)]


def name_pinyin(name):
    """Return the toneless pinyin of a name: the public list's order (``Organisation.name_pinyin``)."""
    return " ".join(syllable.lower() for syllable in syllables(name))


def name_sort_key(name):
    """Return the key the search sorts names by: the syllables of ``name_readings``, then the name.

    It orders names as ``name_pinyin`` does except where a name has
    characters other than Han, letters and digits (brackets, "&", full-width
    letters), which ``name_pinyin`` keeps and this key leaves out.
    """
    return " ".join(name_readings(name).syllables) + SORT_KEY_SEPARATOR + (name or "")


class NameReadings(NamedTuple):
    """The pinyin of one name for the search index, computed once and used by several fields."""

    syllables: tuple  # toneless syllables and lowercase ASCII words: ("bei", "jing", "it", ...)
    initials: str  # first letter of each syllable, ASCII words whole: "bjitxh"


@lru_cache(maxsize=8192)
def name_readings(name):
    """Return the pinyin syllables (letters and digits only) and initials of a name, full-width forms folded."""
    name_syllables = []
    initials = []
    for reading, is_han in _readings(unicodedata.normalize("NFKC", name or "")):
        reading = reading.lower()
        if HAN.match(reading):
            continue  # a character pypinyin has no reading for
        for word in _ASCII_WORDS.findall(reading):
            name_syllables.append(word)
            # A pinyin syllable contributes its initial; a Latin word or a
            # number is typed whole ("北京IT协会" -> "bjitxh").
            initials.append(word[0] if is_han else word)
    return NameReadings(tuple(name_syllables), "".join(initials))
