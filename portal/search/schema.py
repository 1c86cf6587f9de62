"""The Whoosh schema of the organisation search index.

One document per published organisation. What is indexed, and how, was
measured with ``bench/index_build.py`` on 60,000 organisations (2 cores,
budget 60 s): a Whoosh build costs about 15 µs per posting, plus a fixed cost
per field per document, plus ~50 µs per distinct term, so every field and
every token has to earn its place.

How the query side is meant to use the fields (analyse user input with the
functions of ``portal.search.analysis``, never with a query parser):

- ``uscc``: the exact code (unique; deletes use it).
- ``uscc_prefix``: every 4..14-character prefix of the USCC, lowercase
  (``normalise_uscc(text).lower()``), so a prefix is one term lookup. For 15
  to 17 characters use ``Prefix("uscc", ...)``: at that length it expands to
  a few dozen terms at most (the 1.5 s p99 was a short prefix expanding to
  thousands).
- ``name`` / ``former_names``: jieba words (search mode; ``ChineseWordAnalyzer``,
  the tokens of jieba's own Whoosh analyser, which schema 3 used and whose
  ``jieba.analyse`` import cost every web worker 95 MB), boosted; also the
  stored text to display and highlight. Whole-name match first: rank hits
  whose ``normalise_name(name)`` equals the query's first (a dedicated
  whole-name term field cost a distinct term per organisation, ~5 s a build).
- ``name_bigrams``: Han-character bigrams of all names (``cjk_bigrams``), one
  name per line: a query's bigrams, all required, find substrings jieba's
  words miss (少年发) and 2-character words anywhere (蓝天). No positions: in
  a name of a dozen characters, all bigrams present is as good as adjacent.
  Former names' terms carry ``FORMER_NAME_PREFIX`` (~蓝天), here and in
  ``name_pinyin`` and ``name_initials``: as many postings as one field for
  all names, and a match on the current name still ranks first.
- ``name_pinyin``: pairs of adjacent toneless syllables of each name
  ("bei jing qing" -> bei_jing, jing_qing; no pair spans two names, which
  the document text separates with ``NAME_SEPARATOR_TOKEN``). All the pairs
  of the query's syllables match full pinyin ("beijing qingshaonian", split
  into syllables) and homophone typos (the query's characters converted with
  ``name_readings``). Schema 1 indexed single syllables with positions for
  phrase queries: 0.1-0.9 s a query on 60,000 names ("bei jing" 0.9 s).
- ``name_initials``: letter 2- and 3-grams of each name's initials, without
  positions (``initials_grams``: "bjqsnxh" -> bj bjq jq jqs ...): "bjqsn" anywhere in a name is
  all of bjq, jqs, qsn; "bj" a single term. (Schema 1's phrase of letter
  bigrams took 0.2-0.6 s; all substrings of the initials as terms made ~33
  near-unique terms per name and tripled the build.)
- ``legal_representative``: bigrams (a 2-character name is one term).
- ``district_code``, ``org_type``, ``grade``, ``evaluation_level``: codes for
  filters; a facet's counts AND each value's postings with the matches (as
  bitmaps, see ``portal.search.docsets``), so they need no column (schema 1
  had one each). ``evaluation_level`` is "1".."5", or "none".
- ``score_sort`` (hundredths), ``registered_sort`` (yyyymmdd), ``name_sort``
  (UTF-8 of ``name_sort_key``): sort keys, columns only (0 if missing).
  ``score`` and ``registered_on`` are the stored values to display. (Indexed
  NUMERIC/DATETIME fields, which would also allow range filters, cost 0.1 ms
  per document; the search needs sorting only.)
- ``supervising_unit`` (schema 5): like the address, so that 残联 (残疾人联合会)
  or 卫健委 finds the organisations a body supervises.
- ``address``, ``business_scope``: stored for display and snippets, and
  indexed as the distinct jieba words of the text (``text_words``: search
  mode, no single characters) in a ``FreeTextField``: existence only, no
  frequencies, lengths or positions. The query looks up its precise-mode
  words (``query_text_words``), all required, in each field; a match ranks
  below every match on a name, pinyin or person (the address and scope of
  thousands of organisations say 养老服务; a name that does ranks first).
  Schema 2 left them out: as bigrams the business scope was 93 postings per
  organisation and +1.3 ms per document (+40 s on a 60,000 build), with
  jieba per document about +1.1 ms. Distinct words (about 45 for a scope,
  15 for an address), jieba cached per run of text, and the field's terms
  handed to the writer without an analyser chain are what make it
  affordable; see ``bench/index_build.py``.
"""

from whoosh import columns
from whoosh.analysis import LowercaseFilter
from whoosh.fields import COLUMN, ID, NGRAMWORDS, STORED, TEXT, FieldType, Schema
from whoosh.formats import Existence

from portal.search.analysis import (
    ChineseWordAnalyzer,
    CjkBigramAnalyzer,
    InitialsTokenizer,
    NameBigramTokenizer,
    SyllablePairTokenizer,
    TextWordsTokenizer,
    text_words,
)

#: Bump when a field or an analyzer changes: an index built with another
#: version is rebuilt by the next ``catch_up``.
SCHEMA_VERSION = 5

#: Separates the names in ``name_pinyin``, so no syllable pair runs from the
#: end of one name into the start of the next.
NAME_SEPARATOR_TOKEN = "|"

EVALUATION_NONE = "none"

#: The longest USCC prefix indexed as a term. Organisation codes are issued
#: in sequence per registration office, so prefixes up to 14 characters are
#: shared by tens to thousands of organisations; longer ones are nearly
#: unique, and each distinct term costs the build ~50 µs.
USCC_PREFIX_MAXIMUM = 14


class FreeTextField(FieldType):
    """Free text (an address, a business scope): stored, and indexed as its distinct ``text_words``.

    Only whether a word occurs is recorded (the search ranks by tiers, not
    by term frequency), and ``index`` gives the writer the words directly:
    Whoosh's analyser chain builds a token object and a frequency count per
    word, which is most of the cost of a posting.
    """

    def __init__(self, stored=True):
        super().__init__(Existence(), TextWordsTokenizer(), scorable=False, stored=stored)

    def index(self, value, **kwargs):
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not text")
        return [(word.encode("utf-8"), 1, 1.0, b"") for word in text_words(value)]


def build_schema():
    """Return a new schema object for the organisation index."""
    chinese = ChineseWordAnalyzer()
    bigrams = CjkBigramAnalyzer()
    return Schema(
        uscc=ID(stored=True, unique=True),
        uscc_prefix=NGRAMWORDS(minsize=4, maxsize=USCC_PREFIX_MAXIMUM, at="start"),
        name=TEXT(analyzer=chinese, phrase=False, stored=True, field_boost=3.0),
        former_names=TEXT(analyzer=chinese, phrase=False, stored=True, field_boost=1.5),
        name_bigrams=TEXT(analyzer=NameBigramTokenizer() | LowercaseFilter(), phrase=False),
        name_pinyin=TEXT(analyzer=SyllablePairTokenizer(NAME_SEPARATOR_TOKEN), phrase=False),
        name_initials=TEXT(analyzer=InitialsTokenizer(), phrase=False),
        legal_representative=TEXT(analyzer=bigrams, phrase=False, stored=True),
        address=FreeTextField(),
        business_scope=FreeTextField(),
        supervising_unit=FreeTextField(),
        district_code=ID(stored=True),
        org_type=ID(stored=True),
        grade=ID(stored=True),
        evaluation_level=ID(stored=True),
        score=STORED(),
        registered_on=STORED(),
        score_sort=COLUMN(columns.NumericColumn("I")),
        registered_sort=COLUMN(columns.NumericColumn("I")),
        name_sort=COLUMN(columns.VarBytesColumn()),
    )
