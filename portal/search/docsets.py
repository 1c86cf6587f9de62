"""Sets of documents as bitmaps, and what the query service computes once per index state.

A set of documents is a Python ``int`` used as a bitmap: bit ``d`` is set if
document number ``d`` is in the set. AND, OR, AND NOT and counting
(``int.bit_count``) then run in C over 8 bytes per 64 documents: on 900,000
organisations one operation is some tens of microseconds, whatever the number
of matches. That is what makes facets cheap: a count per option is one AND and
one count, where Whoosh's ``groupedby=`` scores and sorts every hit (25x
slower). Whoosh's own matchers walk postings one document at a time in Python
(a phrase over common syllables took 0.9 s on 60,000 names).

``IndexState`` holds what depends only on the index's contents: a term's
bitmap (cached for frequent terms), the bitmaps of facet options, and each
sort order. It is computed lazily, shared by the threads of a process, and
keyed by the segments it was computed from, so a catch-up or a rebuild (new
segments, more deletions) gets a new one. It holds no reader: a Whoosh
reader is not thread-safe, so every call takes the caller's.
"""

import array
import re
import sys
import threading
from collections import OrderedDict

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound

_NONZERO_RUNS = re.compile(rb"[^\x00]+")
_BIT_OFFSETS = tuple(tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256))
_BIT = tuple(1 << bit for bit in range(8))

#: Bytes of term bitmaps a process keeps (least recently used dropped first).
TERM_CACHE_BYTES = 64 * 1024 * 1024
#: Terms in fewer documents than this are read again each time: that is as
#: quick as a cache lookup, and their bitmap may be as large as a common term's.
TERM_CACHE_MINIMUM_DOCUMENTS = 64
#: Index states a process keeps: the current one, and the previous one for a
#: request that still uses a searcher opened before a catch-up or a rebuild.
STATES_KEPT = 2


# -- bitmaps -------------------------------------------------------------------


def bitmap_of(docnums, offset=0):
    """Return the bitmap of document numbers (sorted ascending), each plus ``offset``."""
    if not docnums:
        return 0
    buffer = bytearray((docnums[-1] >> 3) + 1)
    bit = _BIT
    for docnum in docnums:
        buffer[docnum >> 3] |= bit[docnum & 7]
    bitmap = int.from_bytes(buffer, "little")
    return bitmap << offset if offset else bitmap


def docnums_of(bitmap):
    """Return the document numbers in a bitmap, ascending."""
    if not bitmap:
        return []
    data = bitmap.to_bytes((bitmap.bit_length() + 7) >> 3, "little")
    found = []
    extend = found.extend
    offsets = _BIT_OFFSETS
    for run in _NONZERO_RUNS.finditer(data):
        base = run.start() << 3
        for byte in run.group():
            extend(map(base.__add__, offsets[byte]))
            base += 8
    return found


def all_of(bitmaps, universe):
    """Return the AND of bitmaps (``universe`` if there are none), smallest first."""
    result = universe
    for bitmap in sorted(bitmaps, key=int.bit_length):
        result &= bitmap
        if not result:
            break
    return result


def any_of(bitmaps):
    """Return the OR of bitmaps."""
    result = 0
    for bitmap in bitmaps:
        result |= bitmap
    return result


# -- reading postings and columns --------------------------------------------------


def _segments(reader):
    """Return [(segment reader, first document number)] of a reader."""
    return reader.leaf_readers()


def _segment_postings(segment, fieldname, btext):
    """Return (document numbers, document frequency) of a term in one segment (deleted documents included)."""
    terms = segment._terms
    try:
        terminfo = terms.term_info(fieldname, btext)
    except (TermNotFound, KeyError):
        return (), 0
    frequency = terminfo.doc_frequency()
    if terminfo.is_inlined():
        return terminfo.inlined_postings()[0], frequency
    matcher = terms.matcher(fieldname, btext, segment.schema[fieldname].format)
    if type(matcher) is not W3LeafMatcher:
        return list(matcher.all_ids()), frequency
    # Block by block: Whoosh's all_ids() goes through id() and next() for
    # every posting, twice as slow. (Whoosh-Reloaded 2.7.5's W3LeafMatcher.)
    docnums = []
    while True:
        if matcher._ids is None:
            matcher._read_ids()
        docnums.extend(matcher._ids)
        if matcher._lastblock:
            return docnums, frequency
        matcher._goto(matcher._nextoffset)


def _deleted_bitmap(reader):
    deleted = 0
    for segment, offset in _segments(reader):
        if segment.has_deletions():
            deleted |= bitmap_of(sorted(segment.deleted_docs_set), offset)
    return deleted


def _numeric_column(segment, fieldname):
    """Return one segment's values of a NumericColumn, as a list."""
    count = segment.doc_count_all()
    column = segment.column_reader(fieldname, translate=False)
    raw = getattr(column, "_dbfile", None)
    if raw is not None and hasattr(column, "_typecode") and hasattr(column, "_count"):
        # The column is the values packed big-endian, then nothing for the
        # trailing documents that have the default: read it in one go.
        values = array.array(column._typecode)
        values.frombytes(raw.get(column._basepos, column._count * column._fixedlen))
        if sys.byteorder == "little":
            values.byteswap()
        values = values.tolist()
        values.extend([column._default] * (count - len(values)))
        return values
    return [column[docnum] for docnum in range(count)]


def _bytes_column(segment, fieldname):
    """Return one segment's values of a VarBytesColumn, as a list of bytes."""
    count = segment.doc_count_all()
    column = segment.column_reader(fieldname, translate=False)
    lengths = getattr(column, "_lengths", None)
    offsets = getattr(column, "_offsets", None)
    if lengths is not None and offsets is not None and len(lengths) == count:
        if not count:
            return []
        data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1])
        return [data[start : start + length] for start, length in zip(offsets, lengths)]
    return [column[docnum] for docnum in range(count)]


# -- the state of one index ---------------------------------------------------------


class IndexState:
    """Bitmaps and orders of one state of the index (see the module's docstring)."""

    def __init__(self, key, reader):
        self.key = key
        self.size = reader.doc_count_all()
        self.universe = (1 << self.size) - 1
        self.live = self.universe & ~_deleted_bitmap(reader)
        self.count = self.live.bit_count()
        self._lock = threading.Lock()
        # Orders take seconds on a large index: computed under their own lock,
        # so that term lookups of other threads go on meanwhile.
        self._order_lock = threading.RLock()
        self._terms = OrderedDict()
        self._term_bytes = 0
        self._facets = {}
        self._orders = {}
        self._lengths = None

    # Terms

    def term(self, reader, fieldname, text):
        """Return the bitmap of the documents with a term (deleted ones included)."""
        key = (fieldname, text)
        with self._lock:
            bitmap = self._terms.get(key)
            if bitmap is not None:
                self._terms.move_to_end(key)
                return bitmap
        btext = text.encode("utf-8") if isinstance(text, str) else text
        bitmap = 0
        frequency = 0
        for segment, offset in _segments(reader):
            docnums, segment_frequency = _segment_postings(segment, fieldname, btext)
            frequency += segment_frequency
            if docnums:
                bitmap |= bitmap_of(docnums, offset)
        if frequency >= TERM_CACHE_MINIMUM_DOCUMENTS or not frequency:
            # Absent terms too: the pinyin and initials of a query try many.
            self._remember(key, bitmap)
        return bitmap

    def _remember(self, key, bitmap):
        size = (bitmap.bit_length() >> 3) + 64
        with self._lock:
            if key in self._terms:
                return
            self._terms[key] = bitmap
            self._term_bytes += size
            while self._term_bytes > TERM_CACHE_BYTES and len(self._terms) > 1:
                _, dropped = self._terms.popitem(last=False)
                self._term_bytes -= (dropped.bit_length() >> 3) + 64

    def terms(self, reader, fieldname, texts):
        """Return the AND of the bitmaps of ``texts`` (all live documents if there are none).

        Stops reading terms as soon as the AND is empty.
        """
        result = self.live
        for text in texts:
            result &= self.term(reader, fieldname, text)
            if not result:
                break
        return result

    def prefixed_terms(self, reader, fieldname, prefix, limit=1000):
        """Return the OR of the bitmaps of up to ``limit`` terms starting with ``prefix``."""
        bitmap = 0
        for count, term in enumerate(reader.expand_prefix(fieldname, prefix)):
            if count >= limit:
                break
            bitmap |= self.term(reader, fieldname, term)
        return bitmap & self.live

    # Facets

    def facet(self, reader, fieldname):
        """Return {value: bitmap of live documents} of a facet field (every value in the index)."""
        with self._lock:
            found = self._facets.get(fieldname)
        if found is None:
            found = {}
            for value in reader.lexicon(fieldname):
                value = value.decode("utf-8") if isinstance(value, bytes) else value
                found[value] = self.term(reader, fieldname, value) & self.live
            with self._lock:
                self._facets[fieldname] = found
        return found

    # Columns and orders

    def numeric_column(self, reader, fieldname):
        """Return the values of a numeric column for every document number (not kept)."""
        values = []
        for segment, _ in _segments(reader):
            values.extend(_numeric_column(segment, fieldname))
        return values

    def by_name(self, reader, sort_key_column="name_sort", separator=b"\x1f"):
        """Return (documents in name order, rank of each document, length of each name).

        ``sort_key_column`` holds the pinyin sort key, then ``separator``,
        then the name. The keys themselves are not kept (80 MB for 900,000).
        """
        with self._order_lock:
            found = self._orders.get("name")
            if found is None:
                keys = []
                for segment, _ in _segments(reader):
                    keys.extend(_bytes_column(segment, sort_key_column))
                ordered = sorted(range(self.size), key=keys.__getitem__)
                lengths = array.array(
                    "H", (min(len(key.rpartition(separator)[2].decode("utf-8", "replace")), 65535) for key in keys)
                )
                del keys
                found = self._orders["name"] = (array.array("I", ordered), _ranks(ordered), lengths)
            return found

    def order(self, reader, name, key_function):
        """Return (documents in order, rank of each document) for a sort, computing it once.

        ``key_function(state, reader)`` returns a list with one sortable key
        per document number.
        """
        with self._order_lock:
            found = self._orders.get(name)
            if found is None:
                keys = key_function(self, reader)
                ordered = sorted(range(self.size), key=keys.__getitem__)
                del keys
                found = self._orders[name] = (array.array("I", ordered), _ranks(ordered))
            return found[0], found[1]

    def name_lengths(self, reader):
        """Return {length: bitmap of live documents whose name has that many characters}."""
        lengths = self.by_name(reader)[2]
        with self._order_lock:
            if self._lengths is None:
                by_length = {}
                for docnum, length in enumerate(lengths):
                    by_length.setdefault(length, []).append(docnum)
                self._lengths = {length: bitmap_of(docnums) & self.live for length, docnums in by_length.items()}
            return self._lengths


def _ranks(ordered):
    rank = array.array("I", bytes(4 * len(ordered)))
    for position, docnum in enumerate(ordered):
        rank[docnum] = position
    return rank


def page_of(bitmap, ordered, rank, offset, limit, size):
    """Return up to ``limit`` document numbers of ``bitmap`` from ``offset`` on, in the order ``ordered``.

    Either takes every document of the bitmap and sorts them by rank, or
    walks the order testing membership, whichever should touch fewer
    documents: the walk expects the bitmap's documents spread evenly through
    the order. If they are not (all at its end), the walk gives up after as
    many steps as sorting would have cost, and sorts.
    """
    count = bitmap.bit_count()
    if offset >= count or limit <= 0:
        return []
    budget = count * _SORT_COST_IN_STEPS
    if (offset + limit) * size / count < budget:
        data = bitmap.to_bytes((size + 7) >> 3, "little")
        found = []
        skipped = 0
        for step, docnum in enumerate(ordered):
            if data[docnum >> 3] >> (docnum & 7) & 1:
                if skipped < offset:
                    skipped += 1
                    continue
                found.append(docnum)
                if len(found) == limit:
                    return found
            elif step > budget:
                break
        else:
            return found
    docnums = docnums_of(bitmap)
    docnums.sort(key=rank.__getitem__)
    return docnums[offset : offset + limit]


#: Taking a document out of a bitmap and sorting it costs about as much as
#: this many steps of walking an order.
_SORT_COST_IN_STEPS = 4


def contains(bitmap, docnum):
    """Tell whether a document is in a bitmap."""
    return bool(bitmap >> docnum & 1)


# -- one state per index state, per process ------------------------------------------

_states = OrderedDict()
_states_lock = threading.Lock()


def state_key(reader):
    """Return what identifies a state of the index: its segments and their deletions."""
    return tuple(
        (segment.segment().segment_id(), segment.segment().deleted_count(), offset)
        for segment, offset in _segments(reader)
    )


def index_state(reader):
    """Return this process's IndexState for what ``reader`` reads, creating it on first use."""
    key = state_key(reader)
    with _states_lock:
        state = _states.get(key)
        if state is not None:
            _states.move_to_end(key)
            return state
    state = IndexState(key, reader)
    with _states_lock:
        state = _states.setdefault(key, state)
        _states.move_to_end(key)
        while len(_states) > STATES_KEPT:
            _states.popitem(last=False)
    return state
