"""Abbreviations and synonyms of the search (``synonyms.tsv``): read, checked, looked up.

The file is data, reviewed like code: one entry a line, ``A = B`` for two
names of the same thing (残联 = 残疾人联合会) and ``A ~ B ~ C`` for related
terms (养老院 ~ 敬老院 ~ 养老服务中心), with a category and the source the
entry rests on. Its header documents the format. The query side applies it
when a query is planned, so an edit needs no reindex: ``load_synonyms()``
reads the file again when it changes.

Loading checks the whole file and reports every problem with its line
number (``SynonymFileError``): a line without a kind, mixed kinds, a term
twice in a line, a pair of terms in two lines (or both equivalent and
related), a term in two equivalence lines, an unknown category, a missing
source.
"""

import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SYNONYMS_FILE = Path(__file__).with_name("synonyms.tsv")

EQUIVALENT = "="
RELATED = "~"
KINDS = (EQUIVALENT, RELATED)
#: The categories an entry may have (the file's header says what each means).
CATEGORIES = ("简称", "机关", "类型", "领域", "人群", "地名")
#: The source column of an entry that rests on common usage alone.
NO_SOURCE = "-"

_TERM = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9]+")
_SEPARATORS = {kind: f" {kind} " for kind in KINDS}


class SynonymFileError(ValueError):
    """The synonyms file breaks its format; ``problems`` lists each as "line N: ..."."""

    def __init__(self, name, problems):
        self.problems = tuple(problems)
        super().__init__(f"{name}: {len(self.problems)} problem(s)\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class SynonymEntry:
    """One line of the file."""

    terms: tuple
    kind: str  # EQUIVALENT or RELATED
    category: str
    source: str | None  # None for NO_SOURCE
    line: int


class Thesaurus:
    """The checked entries, and each term's equivalent and related terms."""

    def __init__(self, entries):
        self.entries = tuple(entries)
        self._equivalent = {}
        self._related = {}
        for entry in self.entries:
            table = self._equivalent if entry.kind == EQUIVALENT else self._related
            for term in entry.terms:
                others = table.setdefault(term, {})
                others.update(dict.fromkeys(other for other in entry.terms if other != term))

    def __len__(self):
        return len(self.entries)

    def equivalents(self, term):
        """Return the terms that name the same thing as ``term`` (file order), without it."""
        return tuple(self._equivalent.get(term, ()))

    def related(self, term):
        """Return the terms related to ``term`` (file order), without it and its equivalents."""
        equivalents = self._equivalent.get(term, {})
        return tuple(other for other in self._related.get(term, ()) if other not in equivalents)

    def terms(self):
        """Return every term of the file (for a query segmenter's dictionary), in file order."""
        return tuple(dict.fromkeys(term for entry in self.entries for term in entry.terms))


def parse_synonyms(text, name="synonyms.tsv"):
    """Return the Thesaurus of a synonyms file's text; raise SynonymFileError listing every problem."""
    entries = []
    problems = []
    pairs = {}  # frozenset of two terms -> line it was first given on
    equivalence_line = {}  # term -> the "=" line it is in
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = _parse_line(line, number, problems)
        if found is None:
            continue
        entries.append(found)
        for index, term in enumerate(found.terms):
            if found.kind == EQUIVALENT:
                if term in equivalence_line:
                    problems.append(
                        f"line {number}: {term} is already in the equivalence of line "
                        f"{equivalence_line[term]} (give an equivalence class on one line)"
                    )
                else:
                    equivalence_line[term] = number
            for other in found.terms[index + 1 :]:
                pair = frozenset((term, other))
                if pair in pairs:
                    problems.append(f"line {number}: {term} and {other} are already paired on line {pairs[pair]}")
                else:
                    pairs[pair] = number
    if problems:
        raise SynonymFileError(name, problems)
    return Thesaurus(entries)


def _parse_line(line, number, problems):
    columns = line.split("\t")
    if len(columns) != 3:
        problems.append(
            f"line {number}: {len(columns)} column(s); expected terms, category and source separated by tabs"
        )
        return None
    terms_text, category, source = (column.strip() for column in columns)
    kinds = [kind for kind, separator in _SEPARATORS.items() if separator in terms_text]
    if not kinds:
        problems.append(f"line {number}: no kind: join the terms with ' = ' (equivalent) or ' ~ ' (related)")
        return None
    if len(kinds) > 1:
        problems.append(f"line {number}: mixes '=' and '~'; an entry is one or the other")
        return None
    kind = kinds[0]
    terms = tuple(term.strip() for term in terms_text.split(_SEPARATORS[kind]))
    valid = True
    for term in terms:
        if not _TERM.fullmatch(term) or unicodedata.normalize("NFKC", term) != term:
            problems.append(
                f"line {number}: {term!r} is not a term (Chinese characters, letters, digits; no spaces)"
            )
            valid = False
    if len(set(terms)) != len(terms):
        repeated = sorted({term for term in terms if terms.count(term) > 1})
        problems.append(
            f"line {number}: {', '.join(repeated)} twice in one entry (a term is not its own synonym)"
        )
        valid = False
    if len(terms) < 2:
        problems.append(f"line {number}: one term; an entry needs two or more")
        valid = False
    if category not in CATEGORIES:
        problems.append(f"line {number}: category {category!r} is not one of {' '.join(CATEGORIES)}")
        valid = False
    if not source:
        problems.append(f"line {number}: no source; write {NO_SOURCE!r} for common usage")
        valid = False
    if not valid:
        return None
    return SynonymEntry(terms, kind, category, None if source == NO_SOURCE else source, number)


_loaded = {}
_loaded_lock = threading.Lock()


def load_synonyms(path=SYNONYMS_FILE):
    """Return the Thesaurus of the file at ``path``, read again only when the file has changed."""
    path = os.fspath(path)
    stat = os.stat(path)
    signature = (stat.st_mtime_ns, stat.st_size)
    with _loaded_lock:
        cached = _loaded.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
    with open(path, encoding="utf-8") as file:
        thesaurus = parse_synonyms(file.read(), name=os.path.basename(path))
    with _loaded_lock:
        _loaded[path] = (signature, thesaurus)
    return thesaurus
