"""How organisation data is shown on pages: pinyin names, localised names, points, links.

Registered as template filters and globals by ``portal.orgs.init_app``.
"""

import logging
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import urlencode

from flask import current_app, has_app_context, request
from flask_babel import format_decimal, get_locale
from markupsafe import Markup

from portal.chinese import HAN, HAN_RANGES, syllables

log = logging.getLogger(__name__)

_TOKENS = re.compile(f"[{HAN_RANGES}]+|[^{HAN_RANGES}]+")
_HAN_RUN = re.compile(f"[{HAN_RANGES}]+")
#: Administrative suffixes written as a word of their own: 北京市 -> Beijing Shi.
_PLACE_SUFFIXES = "省市区县镇乡"


def _segmenter():
    """Return jieba with its dictionary loaded: once per process, from the app's cache folder.

    Web servers load it before they fork (gunicorn.conf.py), so this only
    loads it in other processes (the CLI, tests).
    """
    import jieba

    if not jieba.dt.initialized:
        from portal.search.analysis import initialize_jieba

        initialize_jieba(current_app.config.get("JIEBA_CACHE_DIR") if has_app_context() else None)
    return jieba


def _han_words(word):
    """Split a dictionary word the way pinyin spells words: place suffixes apart, long compounds in pairs."""
    if len(word) >= 3 and word[-1] in _PLACE_SUFFIXES:
        return [*_han_words(word[:-1]), word[-1]]
    if len(word) >= 4:
        return [word[index : index + 2] for index in range(0, len(word), 2)]
    return [word]


def _han_readings(text):
    """Return {index: syllable} for every Han character of ``text``, read in context.

    Each run of Han characters is read as a whole, as the sync reads names
    for ``Organisation.name_pinyin``, so polyphones get the same reading
    (朝阳区 is chao yang qu, not zhao yang).
    """
    readings = {}
    for match in _HAN_RUN.finditer(text):
        run = match.group()
        run_syllables = syllables(run)
        if len(run_syllables) != len(run):
            run_syllables = [syllables(character)[0] for character in run]
        readings.update(zip(range(match.start(), match.end()), run_syllables))
    return readings


def _join_syllables(word_syllables):
    """Join the syllables of a word, with an apostrophe before a, o, e inside it: Tian'anmen."""
    joined = word_syllables[0]
    for syllable in word_syllables[1:]:
        joined += ("'" if syllable[:1] in ("a", "o", "e") else "") + syllable
    return joined.capitalize()


@lru_cache(maxsize=50_000)
def pinyin_name(name):
    """Return a Chinese name in pinyin, title-cased by word: 北京市青少年发展基金会 -> Beijing Shi Qingshaonian Fazhan Jijinhui.

    Words come from jieba's dictionary; the syllables are those the portal
    sorts and searches by (``portal.chinese``). Latin letters and digits are
    kept; full-width punctuation becomes its ASCII form.
    """
    text = unicodedata.normalize("NFKC", name or "")
    readings = _han_readings(text)
    try:
        tokens = list(_segmenter().cut(text, HMM=False))
    except Exception:
        # Without a dictionary, pairs of characters are the best guess at words.
        log.exception("jieba is not available; pinyin names are split into pairs of syllables")
        tokens = _TOKENS.findall(text)
    words = []
    position = 0
    for token in tokens:
        start, position = position, position + len(token)
        if not HAN.search(token):
            if token.strip():
                words.append(token.strip())
            continue
        offset = start
        for word in _han_words(token):
            indexes = range(offset, offset + len(word))
            words.append(_join_syllables([readings.get(index, text[index]) for index in indexes]))
            offset += len(word)
    text = " ".join(words)
    # No space inside brackets or before punctuation: "Xiehui (Chou)".
    text = re.sub(r"([(\[]) ", r"\1", text)
    return re.sub(r" ([)\],.;:!?])", r"\1", text)


def is_english():
    return get_locale().language == "en"


def localised(obj, field="name"):
    """Return ``obj.<field>_en`` on English pages (if set) and ``obj.<field>_zh`` otherwise.

    ``obj`` may also be a mapping (plain data such as a breakdown view).
    """
    if isinstance(obj, Mapping):
        value = obj.get
    else:
        def value(name, default=None):
            return getattr(obj, name, default)
    if is_english():
        english = value(f"{field}_en", None)
        if english:
            return english
    return value(f"{field}_zh")


def points(value):
    """Format points with up to two decimals: 12.5, 10, 97.35."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.##")


def score(value):
    """Format a credit score with exactly two decimals: 88.00."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.00")


def signed_points(value):
    """Format points with their sign: +2, −3.5 (a true minus sign)."""
    if value is None:
        return "—"
    return format_decimal(value, format="+#,##0.##;\u2212#,##0.##")


def explicit_language():
    """Return the ``?lang=`` of the current request if it names a language, else None."""
    value = request.args.get("lang")
    return value if value in current_app.config["LANGUAGES"] else None


def site_path(path, **query):
    """Return a path on this site with a query, carrying an explicit ``?lang=``.

    For pages that no blueprint of this process may serve (``/search``,
    ``/complaints/new``), where ``url_for`` cannot build the URL.
    """
    arguments = [(key, value) for key, value in query.items() if value is not None]
    language = explicit_language()
    if language:
        arguments.append(("lang", language))
    url = request.script_root + path
    if arguments:
        url += "?" + urlencode(arguments)
    return url


def zh_text(value):
    """Mark Chinese source text (names, descriptions) as Chinese on English pages."""
    if value is None:
        return ""
    if is_english():
        return Markup('<span lang="zh-CN">{}</span>').format(value)
    return value


def init_app(app):
    app.add_template_filter(pinyin_name, "pinyin_name")
    app.add_template_filter(points, "points")
    app.add_template_filter(score, "score")
    app.add_template_filter(signed_points, "signed_points")
    app.add_template_filter(zh_text, "zh")
    app.add_template_global(localised)
    app.add_template_global(site_path)
    app.add_template_global(explicit_language)
    app.add_template_global(is_english)
