"""Chinese first: Chinese whatever the browser sends, English by explicit choice, and clean Chinese punctuation."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"

#: Han characters and full-width forms and punctuation.
CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
#: A half-width , : ; ( ) ? ! with a Chinese character right beside it: in Chinese text
#: these are ， ： ； （ ） ？ ！ (GB/T 15834). ``%(num)s`` never matches: ( follows %.
HALF_WIDTH_BESIDE_CHINESE = re.compile(rf"(?<={CJK})[,:;()?!]|[,:;()?!](?={CJK})")
#: Text between tags and quoted strings of a template, outside Jinja's {{ }} and {% %}.
JINJA_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def half_width_punctuation(text):
    """Return the places in ``text`` where a half-width mark stands beside a Chinese character."""
    return [text[max(0, match.start() - 8) : match.end() + 8] for match in HALF_WIDTH_BESIDE_CHINESE.finditer(text)]


def read_catalog(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


@pytest.mark.parametrize(
    "text, found",
    [
        ("名称,地址", True),
        ("评估等级:5A", True),
        ("办法(试行)", True),
        ("是否公开?", True),
        ("名称，地址（试行）：是否？", False),
        ("共 %(num)s 家", False),
        ("统一社会信用代码（USCC）", False),
        ("Evaluation level (评估等级) from 1A", True),  # English text is only checked where it is Chinese
    ],
)
def test_the_punctuation_check_itself(text, found):
    assert bool(half_width_punctuation(text)) is found


def test_chinese_messages_use_full_width_punctuation():
    problems = []
    for message in read_catalog("zh"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        problems += [(message.id, place) for string in strings if string for place in half_width_punctuation(string)]
    assert problems == []


def test_chinese_text_in_templates_and_scripts_uses_full_width_punctuation():
    # Text written in Chinese straight into a template (outside _()), or into a script's messages.
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "static" / "js").rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            text = JINJA_CODE.sub(" ", text)
        else:
            text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("//", "*")))
        problems += [(path.relative_to(ROOT).as_posix(), place) for place in half_width_punctuation(text)]
    assert problems == []


def test_every_message_has_its_english_translation():
    catalog = read_catalog("en")
    missing = [
        message.id
        for message in catalog
        if message.id
        and (message.fuzzy or not all(message.string if isinstance(message.string, tuple) else (message.string,)))
    ]
    assert missing == []


# -- which language a page is in ------------------------------------------------------


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize("accept_language", ["en-US,en;q=0.9", "en", "fr-FR,en;q=0.5", "", "zh-CN"])
def test_chinese_whatever_the_browser_sends(client, accept_language):
    response = client.get("/", headers={"Accept-Language": accept_language} if accept_language else {})
    assert response.status_code == 200
    assert html_lang(response) == "zh-CN"
    assert "首页" in response.get_data(as_text=True)


def test_english_by_explicit_choice_remembered(client):
    switched = client.get("/lang/en?next=/methodology", headers={"Accept-Language": "zh-CN"})
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/methodology")
    assert "lang=en" in switched.headers["Set-Cookie"] and "Max-Age=31536000" in switched.headers["Set-Cookie"]
    # Remembered on the next pages, whatever the browser says.
    for path in ("/methodology", "/", "/about"):
        page = client.get(path, headers={"Accept-Language": "zh-CN,zh"})
        assert html_lang(page) == "en", path
    client.get("/lang/zh?next=/")
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "zh-CN"


def test_english_by_url(client):
    page = client.get("/about?lang=en")
    assert html_lang(page) == "en"
    assert 'href="/methodology?lang=en"' in page.get_data(as_text=True)


def test_hreflang_alternates(client):
    body = client.get("/about").get_data(as_text=True)
    assert '<link rel="alternate" hreflang="zh-CN" href="http://localhost/about?lang=zh">' in body
    assert '<link rel="alternate" hreflang="en" href="http://localhost/about?lang=en">' in body
    assert '<link rel="alternate" hreflang="x-default" href="http://localhost/about?lang=zh">' in body


def test_the_staff_console_follows_the_browser(client):
    # A signed-in tool, not a public page: staff read it in their browser's language unless they choose.
    assert html_lang(client.get("/staff/login", headers={"Accept-Language": "en"})) == "en"
    assert html_lang(client.get("/staff/login", headers={"Accept-Language": "zh-CN"})) == "zh-CN"
    assert html_lang(client.get("/staff/login?lang=zh", headers={"Accept-Language": "en"})) == "zh-CN"
