"""Unified social credit codes (统一社会信用代码, GB 32100-2015): the portal's one USCC check.

``is_valid_uscc`` is the exact check of a code as stored (the sync);
``check_uscc`` says what is wrong with a code a visitor typed (pages, API,
complaints); ``valid_uscc`` normalises a typed value and checks it, fast
enough for the 5,000 values of a batch check.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as uscc_number

#: Characters a USCC may have in positions 9 to 18 (GB 32100-2015: no I, O, S, V, Z).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: The shape of a code: eight digits, then ten characters of ``ALPHABET``.
SHAPE = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")
#: The same shape as a JSON Schema / OpenAPI ``pattern``.
PATTERN = "^[0-9]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"

_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SEPARATORS = re.compile(r"[\s\-]+")


def check_character(first17):
    """Return the check character (the 18th) of the first 17 characters of a code."""
    total = sum(ALPHABET.index(character) * weight for character, weight in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


@lru_cache(maxsize=200_000)
def is_valid_uscc(code):
    """Return whether ``code`` is a USCC exactly as stored: upper case, valid check character.

    The shape is checked first and the check character computed here;
    python-stdnum's full validate() (which normalises the input again) was a
    tenth of a full sync. Cached: events and list entries repeat their codes.
    """
    return isinstance(code, str) and SHAPE.fullmatch(code) is not None and check_character(code[:17]) == code[17]


def valid_uscc(text):
    """Return the normalised code if ``text`` is a valid USCC, else None.

    Full-width forms are folded, spaces and hyphens dropped, letters upper-cased.
    The fast path for 5,000 values: python-stdnum's validate() (which
    ``check_uscc`` uses to say what is wrong) costs 0.5 ms a code.
    """
    code = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    return code if is_valid_uscc(code) else None


@dataclass(frozen=True)
class UsccCheck:
    """The result of checking a code typed by a visitor.

    ``code`` is the input normalised (full-width forms folded, spaces and
    hyphens removed, upper case); ``problem`` is None for a valid code, or
    ``"length"``, ``"characters"`` or ``"check_character"``.
    """

    code: str
    problem: str | None = None
    bad_positions: tuple = ()


def check_uscc(text):
    """Normalise a unified social credit code and say what, if anything, is wrong with it."""
    code = uscc_number.compact(unicodedata.normalize("NFKC", text or ""))
    try:
        uscc_number.validate(code)
    except stdnum_errors.InvalidLength:
        return UsccCheck(code, "length")
    except stdnum_errors.InvalidFormat:
        bad = tuple(
            position
            for position, character in enumerate(code, start=1)
            if not (character in "0123456789" if position <= 8 else character in ALPHABET)
        )
        return UsccCheck(code, "characters", bad)
    except stdnum_errors.ValidationError:
        return UsccCheck(code, "check_character")
    return UsccCheck(code)
