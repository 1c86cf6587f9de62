"""One Chinese word for a complaint: 投诉举报 (issue 19).

The rule (docs/architecture.md, "Words of the complaint pages"): wherever Chinese text reaches
people (the zh catalogue, hence every page, the staff console and the e-mail; Chinese written
straight into templates, scripts and Python, such as demo data; the docs), the characters 投诉
and 举报 occur only inside the word 投诉举报. The one exception is the sentence on the form
that defines the word: it names the two kinds of matter the word covers, so it says each half.
"""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TERM = "投诉举报"
#: The sentence on step 1 of the form that defines the term (templates/complaints/new.html).
DEFINITION = (
    "A complaint here is either a complaint about something that harmed you or a report of a breach of the "
    "rules that you know of: both are filed with this form and handled in the same way."
)
#: Where Chinese text may be written outside the catalogue.
SOURCES = ("portal/**/*.py", "templates/**/*.html", "static/js/**/*.js", "docs/**/*.md", "README.md",
           "portal/**/*.toml", "portal/**/*.tsv")


def halves_alone(text):
    """Return each 投诉 or 举报 of ``text`` that is not part of 投诉举报, with a little context."""
    found = []
    for match in re.finditer("投诉|举报", text.replace(TERM, "＿" * len(TERM))):
        found.append(text[max(match.start() - 8, 0) : match.end() + 8])
    return found


def zh_catalogue():
    with open(ROOT / "portal/translations/zh/LC_MESSAGES/messages.po", "rb") as po:
        return read_po(po, locale="zh")


def test_the_rule_finds_what_it_should():
    assert halves_alone("提交投诉举报") == []
    assert halves_alone("提交投诉") == ["提交投诉"]
    assert halves_alone("举报该组织") == ["举报该组织"]
    assert halves_alone("投诉举报人与被投诉举报组织") == []
    assert len(halves_alone("投诉、举报")) == 2


def test_the_zh_catalogue_says_投诉举报_and_never_half_of_it():
    offending = []
    definition = None
    for message in zh_catalogue():
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if msgid == DEFINITION:
            definition = strings[0]
            continue
        offending += [(msgid[:60], half) for text in strings for half in halves_alone(text)]
    assert offending == []
    # The definition names the word and the two halves it covers.
    assert definition and f"“{TERM}”" in definition and len(halves_alone(definition)) == 2


def test_the_definition_is_on_the_form(client):
    page = client.get("/complaints/new").get_data(as_text=True)
    assert 'id="complaint-term"' in page and f"“{TERM}”" in page


@pytest.mark.parametrize("pattern", SOURCES)
def test_chinese_written_outside_the_catalogue_says_投诉举报(pattern):
    offending = []
    for path in sorted(ROOT.glob(pattern)):
        if "translations" in path.parts:
            continue
        offending += [(str(path.relative_to(ROOT)), half) for half in halves_alone(path.read_text(encoding="utf-8"))]
    assert offending == []
