"""Text analysis for the search index: jieba set-up, character bigrams and pinyin.

The tokenizer classes here are pickled into every index's schema by their
import path. Renaming or moving them makes
existing indexes unreadable until they are rebuilt; bump
``portal.search.schema.SCHEMA_VERSION`` when their output changes.

The query side must analyse user input with the same functions
(``cjk_bigrams``, ``portal.chinese.name_readings``, ``normalise_name``, ``normalise_uscc``),
so that what is searched for is spelled the way it was indexed.
"""

import logging
import os
import re
import threading
import time
import unicodedata
from functools import lru_cache

import jieba
from whoosh.analysis import LowercaseFilter, StemFilter, StopFilter, Token, Tokenizer
from whoosh.lang.porter import stem

from portal.chinese import HAN, HAN_RANGES

log = logging.getLogger(__name__)

_jieba_lock = threading.Lock()

# Han ideographs (basic block, extension A and compatibility ideographs), or
# runs of ASCII letters and digits. Everything else separates tokens.
_RUNS = re.compile(f"[{HAN_RANGES}]+|[A-Za-z0-9]+")
_USCC_CHARACTERS = re.compile(r"[^0-9A-Z]")


def initialize_jieba(cache_dir=None):
    """Load jieba's dictionary once in this process, caching it in ``cache_dir``.

    jieba otherwise writes a 9 MB cache to the system temp folder on first use
    (and crashes if that is not writable), at whatever moment the first
    document or query happens to be analysed. Safe to call more than once.
    """
    with _jieba_lock:
        if cache_dir:
            os.makedirs(cache_dir, exist_ok=True)
            jieba.dt.tmp_dir = cache_dir
        if jieba.dt.initialized:
            return
        jieba.setLogLevel(logging.WARNING)
        started = time.perf_counter()
        jieba.initialize()
        log.info("jieba dictionary loaded in %.2f s (cache in %s)", time.perf_counter() - started, jieba.dt.tmp_dir)


class _PieceTokenizer(Tokenizer):
    """A tokenizer that yields one reused ``Token`` per piece of the value, as Whoosh's own tokenizers do.

    ``pieces(value)`` gives each token's (text, original, start, end), with
    ``start`` and ``end`` offsets into ``value``; an untokenized value is one
    piece. Schemas pickle the subclasses by name, never this class.
    """

    #: Whether an untokenized value sets ``original`` even without
    #: ``keeporiginal`` (Whoosh's own tokenizers do; the term tokenizers don't).
    untokenized_keeps_original = False

    def __eq__(self, other):
        return other.__class__ is self.__class__ and other.__dict__ == self.__dict__

    def pieces(self, value):
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if tokenize:
            pieces = self.pieces(value)
        else:
            pieces = [(value, value, 0, len(value))]
            keeporiginal = keeporiginal or self.untokenized_keeps_original
        for pos, (text, original, start, end) in enumerate(pieces, start_pos):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = original
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class CjkBigramTokenizer(_PieceTokenizer):
    """Split text into overlapping Han-character bigrams and ASCII words.

    A run of Han characters "青少年发展" gives 青少, 少年, 年发, 发展; a lone
    character is kept as it is; letters and digits are kept as words.
    Bigrams find any substring of two or more characters, including those that
    cross jieba's word boundaries (少年发), at a third of jieba's analysis time.
    """

    untokenized_keeps_original = True

    def pieces(self, value):
        for match in _RUNS.finditer(value):
            run = match.group()
            start = match.start()
            if len(run) > 1 and HAN.match(run):
                for i in range(len(run) - 1):
                    bigram = run[i : i + 2]
                    yield bigram, bigram, start + i, start + i + 2
            else:
                yield run, run, start, match.end()


#: Prefixes the terms of former names in ``name_bigrams``, ``name_pinyin``
#: and ``name_initials``: the same postings as one field for all names, and
#: yet a match on the current name can rank above a match on a former one.
FORMER_NAME_PREFIX = "~"


def former(terms):
    """Return the terms spelled as they are indexed for former names."""
    return tuple(FORMER_NAME_PREFIX + term for term in terms)


class NameBigramTokenizer(CjkBigramTokenizer):
    """Bigrams of names given one per line: the current name, then former names (their terms prefixed)."""

    def pieces(self, value):
        offset = 0
        for index, line in enumerate(value.split("\n")):
            for text, original, start, end in super().pieces(line):
                # The original stays unprefixed: it is the text of the value.
                yield (FORMER_NAME_PREFIX + text if index else text), original, offset + start, offset + end
            offset += len(line) + 1


class _TermTokenizer(_PieceTokenizer):
    """A tokenizer whose terms are computed from the whole value by ``terms(value)``; each spans the whole value."""

    def terms(self, value):
        raise NotImplementedError

    def pieces(self, value):
        return ((term, term, 0, len(value)) for term in self.terms(value))


class InitialsTokenizer(_TermTokenizer):
    """Letter 2- and 3-grams of pinyin initials, one word per name: the current name's, then former names'."""

    def terms(self, value):
        grams = []
        for index, word in enumerate(value.lower().split()):
            word_grams = initials_grams(word)
            grams.extend(former(word_grams) if index else word_grams)
        return grams


def initials_grams(initials):
    """Return the ``name_initials`` terms of one name's initials (2- and 3-letter runs)."""
    grams = []
    for start in range(len(initials) - 1):
        grams.append(initials[start : start + 2])
        if start + 3 <= len(initials):
            grams.append(initials[start : start + 3])
    return grams


#: Joins the two syllables of a ``name_pinyin`` term: "bei_jing".
SYLLABLE_JOINER = "_"


class SyllablePairTokenizer(_TermTokenizer):
    """Split space-separated pinyin syllables into overlapping pairs: "bei jing shi" -> bei_jing, jing_shi.

    Names are separated by ``separator``: the current name first, then
    former names, whose pairs are prefixed. A pair never spans two names.
    All the pairs of a query present in a name is as good as a phrase of its
    syllables, without positions: a Whoosh phrase over the syllables took
    0.1-0.9 s on 60,000 names; pairs are plain term lookups.
    """

    def __init__(self, separator="|"):
        self.separator = separator

    def terms(self, value):
        pairs = []
        for index, part in enumerate(value.lower().split(self.separator)):
            part_pairs = syllable_pairs(part.split())
            pairs.extend(former(part_pairs) if index else part_pairs)
        return pairs


def syllable_pairs(syllables):
    """Return the ``name_pinyin`` terms of a sequence of syllables."""
    return [f"{first}{SYLLABLE_JOINER}{second}" for first, second in zip(syllables, syllables[1:])]


#: Words the name fields do not index: English function words, and 的, 了 and 和
#: (the list of jieba's Whoosh analyser, so that both spell names alike).
NAME_STOP_WORDS = frozenset(
    "a an and are as at be by can for from have if in is it may not of on or tbd that the this to us we "
    "when will with yet you your 的 了 和".split()
)

_JIEBA_HAN = re.compile(r"[\u4e00-\u9fd5]+")


class JiebaWordTokenizer(Tokenizer):
    """A text's words by jieba's search mode: each long word, and the shorter words within it.

    Lone characters that are not Chinese (a space, a punctuation mark, a
    single letter or digit) are skipped. The tokens are those of
    ``jieba.analyse.analyzer.ChineseTokenizer``, without importing
    ``jieba.analyse``: that package loads TF-IDF and part-of-speech tables
    (about 95 MB in every process that opens the index) which search never uses.
    """

    def __call__(self, value, **kwargs):
        token = Token()
        for word, start, end in jieba.tokenize(value, mode="search"):
            if len(word) <= 1 and not _JIEBA_HAN.match(word):
                continue
            token.original = token.text = word
            token.pos = token.startchar = start
            token.endchar = end
            yield token


def ChineseWordAnalyzer():
    """Return the analyzer of the name fields: jieba words, lower-cased, stop words out, English words stemmed."""
    return (
        JiebaWordTokenizer()
        | LowercaseFilter()
        | StopFilter(stoplist=NAME_STOP_WORDS, minsize=1)
        | StemFilter(stemfn=stem, ignore=None, cachesize=50000)
    )


def CjkBigramAnalyzer():
    """Return the bigram analyzer (names, legal representatives; highlighting stored text)."""
    return CjkBigramTokenizer() | LowercaseFilter()


def cjk_bigrams(text):
    """Return the bigram terms of ``text``, as the index spells them."""
    return [token.text for token in CjkBigramAnalyzer()(text or "")]


def normalise_name(text):
    """Return a name in the form used for whole-name matches."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace(",", " ")
    return " ".join(text.split())


def normalise_uscc(text):
    """Return a USCC or USCC prefix in upper case without separators."""
    return _USCC_CHARACTERS.sub("", unicodedata.normalize("NFKC", text or "").upper())


# --- Free text: address and business scope ------------------------------------------

#: Single characters are not terms of free text: jieba leaves function words
#: (为, 和, 的) and unit characters (号, 室) as single characters, and a query
#: of one character is not searched anyway. Dropping them keeps the postings,
#: which are the cost of a build, to the words.
TEXT_WORD_MINIMUM = 2


#: Words of free text that tell no organisation from another, left out of
#: the index and of queries alike: the city every address starts with (and
#: jieba's 京市 inside 北京市), the parts of a house number, and function
#: words of official prose. Each is a posting in nearly every document.
TEXT_STOP_WORDS = frozenset("北京 北京市 京市 号院 号楼 有关 相关 其他 以及 等等 进行 方面".split())


@lru_cache(maxsize=65536)
def _run_words(run, search_mode):
    # Free text is cut into runs at punctuation, digits and letters, and a
    # run is segmented once per process: business scopes repeat the same
    # clauses (开展…调查研究, 承接政府购买服务项目…) and addresses the same
    # streets, so most runs of a build are cached, and jieba (about 1 ms for a
    # business scope) is paid per distinct run.
    words = jieba.cut_for_search(run) if search_mode else jieba.cut(run)
    kept = (word for word in words if len(word) >= TEXT_WORD_MINIMUM and word not in TEXT_STOP_WORDS)
    return tuple(dict.fromkeys(kept))


def _text_words(text, search_mode):
    words = {}
    for match in _RUNS.finditer(unicodedata.normalize("NFKC", text or "")):
        run = match.group()
        if HAN.match(run):
            words.update(dict.fromkeys(_run_words(run, search_mode)))
        elif len(run) >= TEXT_WORD_MINIMUM:
            words[run.lower()] = None
    return tuple(words)


def text_words(text):
    """Return the distinct terms of free text as the index spells them: jieba words (search mode) and ASCII words.

    Search mode gives the words and the shorter dictionary words inside them
    (中关村大街 -> 中关, 关村, 中关村, 大街), so a query for part of a long word
    is found.
    """
    return _text_words(text, search_mode=True)


def query_text_words(text):
    """Return the terms a query must all have to match free text: jieba's words of it (precise mode).

    A precise-mode word is among the search-mode words the index holds for
    the same characters, so the query finds the text wherever jieba cut it
    the same way, and its words need not be adjacent (like the names' words).
    """
    return _text_words(text, search_mode=False)


class TextWordsTokenizer(_TermTokenizer):
    """The distinct ``text_words`` of an address or a business scope."""

    def terms(self, value):
        return text_words(value)
