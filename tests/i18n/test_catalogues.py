"""The catalogs: complete in both languages, compiled, and in step with the source."""

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from portal import create_app

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
LOCALES = ("zh", "en")


def read_catalog(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def _hashable(value):
    # Plural ids and strings are tuples when read from .po, lists when read from .mo.
    return value if isinstance(value, str) else tuple(value)


def translations_of(catalog):
    """Return {(msgid, context): msgstr} of a catalog's usable messages (the header left out)."""
    return {
        (_hashable(message.id), message.context): _hashable(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def source_message_ids():
    """Extract the message ids from the code as `pybabel extract` does with babel.cfg."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    return {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    }


def test_chinese_catalog_folder_is_zh():
    # Babel maps zh_CN to zh_Hans_CN, so a zh_CN folder is never loaded.
    assert (TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po").is_file()
    assert not (TRANSLATIONS / "zh_CN").exists()


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete(locale):
    catalog = read_catalog(locale)
    untranslated = [
        message.id
        for message in catalog
        if message.id and (not message.string or (isinstance(message.string, tuple) and not all(message.string)))
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_placeholders_match(locale):
    problems = [(message.id, [str(error) for error in errors]) for message, errors in read_catalog(locale).check()]
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_po(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = read_mo(mo)
    assert translations_of(compiled) == translations_of(read_catalog(locale)), (
        "messages.mo is out of date: run pybabel compile -d portal/translations"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_every_source_message(locale):
    catalog_ids = {message.id if isinstance(message.id, str) else message.id[0] for message in read_catalog(locale)}
    missing = sorted(source_message_ids() - catalog_ids)
    assert missing == [], "run pybabel extract and update (see the Makefile)"


def test_reference_labels_are_extracted():
    # reference.py builds its labels at import time with _l.
    assert {"Dongcheng", "Social group", "Foundation"} <= source_message_ids()


def test_flask_babel_loads_both_catalogs():
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context("/"):
        with force_locale("zh"):
            assert gettext("Home") == "首页"
        with force_locale("en"):
            assert gettext("Home") == "Home"
    with app.app_context():  # no request, as in the CLI: the default language
        assert gettext("Home") == "首页"
