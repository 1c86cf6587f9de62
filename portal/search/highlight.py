"""Mark what matched in a name or a snippet: escaped text with <mark> around the matches.

Everything comes from stored text and is escaped here; only the <mark> tags
are markup. Matches are found the way they were searched: terms (bigrams,
ASCII words) as substrings, pinyin by the readings of each character,
initials by the first letter of each reading.
"""

import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape

from portal.chinese import name_readings

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_UNITS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+")

#: Characters of a snippet either side of its first match.
SNIPPET_CONTEXT = 24
SNIPPET_LENGTH = 80


def mark(text, spans):
    """Return ``text`` escaped, with the character ranges ``spans`` in <mark>."""
    text = text or ""
    merged = _merge(spans)
    if not merged:
        return escape(text)
    pieces = []
    position = 0
    for start, end in merged:
        pieces.append(escape(text[position:start]))
        pieces.append(Markup("<mark>%s</mark>") % text[start:end])
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def _merge(spans):
    merged = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def term_spans(text, terms):
    """Return the ranges of every occurrence of each term in ``text`` (case-insensitive)."""
    text = (text or "").lower()
    spans = []
    for term in terms:
        if not term:
            continue
        start = text.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = text.find(term, start + 1)
    return spans


@lru_cache(maxsize=4096)
def _units(name):
    """Return [(start, end, syllable, initials)] of a name: one per Han character or run of letters and digits.

    Aligned with ``name_readings`` (None if a character has no reading and
    the two cannot be matched up). Cached: the names on the first pages of
    common queries come back again and again.
    """
    normalised = unicodedata.normalize("NFKC", name or "")
    if len(normalised) != len(name or ""):
        return None
    syllables = name_readings(normalised).syllables
    units = []
    for match, syllable in zip(_UNITS.finditer(normalised), syllables):
        initials = syllable[0] if _HAN.match(match.group()) else syllable
        units.append((match.start(), match.end(), syllable, initials))
    if len(units) != len(syllables) or len(units) != len(_UNITS.findall(normalised)):
        return None
    return tuple(units)


def syllable_spans(name, sequences):
    """Return the ranges of the name whose readings are one of the syllable ``sequences``."""
    units = _units(name)
    if not units:
        return []
    readings = [unit[2] for unit in units]
    spans = []
    for sequence in sequences:
        size = len(sequence)
        if not size:
            continue
        for start in range(len(readings) - size + 1):
            if tuple(readings[start : start + size]) == tuple(sequence):
                spans.append((units[start][0], units[start + size - 1][1]))
    return spans


def initials_spans(name, letters):
    """Return the ranges of the name whose initials spell ``letters``."""
    units = _units(name)
    if not units or not letters:
        return []
    joined = ""
    owners = []  # for each letter of ``joined``, the unit it comes from
    for index, unit in enumerate(units):
        joined += unit[3]
        owners.extend([index] * len(unit[3]))
    spans = []
    start = joined.find(letters)
    while start != -1:
        first, last = owners[start], owners[start + len(letters) - 1]
        spans.append((units[first][0], units[last][1]))
        start = joined.find(letters, start + 1)
    return spans


def snippet(text, terms, length=SNIPPET_LENGTH, context=SNIPPET_CONTEXT):
    """Return a short excerpt of ``text`` around the first match of ``terms``, marked; None if no term occurs."""
    text = " ".join((text or "").split())
    spans = term_spans(text, terms)
    if not spans:
        return None
    first = min(start for start, _ in spans)
    start = max(0, first - context)
    end = min(len(text), start + length)
    start = max(0, min(start, end - length))
    excerpt = text[start:end]
    inside = [(max(0, a - start), min(end, b) - start) for a, b in spans if a < end and b > start]
    marked = mark(excerpt, inside)
    return Markup("").join(
        [Markup("…") if start > 0 else Markup(""), marked, Markup("…") if end < len(text) else Markup("")]
    )


def opening(text, length=SNIPPET_LENGTH):
    """Return the start of ``text`` (escaped), with an ellipsis if it was cut."""
    text = " ".join((text or "").split())
    if not text:
        return None
    if len(text) <= length:
        return escape(text)
    return escape(text[:length]) + Markup("…")
