"""Characters that have no place in published text: cleaned from the scoring database, kept out of XML.

The scoring database is someone else's: a NUL in one name made every
PostgreSQL sync fail (PostgreSQL text cannot hold it), and other control
characters made the Atom feed invalid XML. ``clean_text`` is applied to every
text value the scoring reader returns; ``xml_text`` to every text an XML
writer emits, as a second line of defence for whatever is already stored.
"""

import re

#: C0 controls except tab and newline (a carriage return is a line break,
#: see ``clean_text``), DEL, C1 controls, lone surrogates (undecodable bytes
#: of an SQLite text column arrive as these) and the two non-characters
#: U+FFFE and U+FFFF. No name, address or description has any of them.
_REMOVED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: What XML 1.0 cannot carry at all (not even as a character reference).
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_text(text):
    """Return (cleaned text, whether characters were removed).

    Line breaks become ``\\n`` (CRLF and a lone CR alike): that is a
    convention of the source system, not damage, and does not count as a
    removal. Tabs and newlines are kept.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _REMOVED.search(text) is None:
        return text, False
    return _REMOVED.sub("", text), True


def xml_text(text):
    """Return ``text`` without the characters XML 1.0 does not allow (None stays None)."""
    if text is None:
        return None
    return _NOT_IN_XML.sub("", text)
