"""Sets of documents as bitmaps, and what the query service computes once per index state.

A set of documents is a Python ``int`` used as a bitmap: bit ``d`` is set if
document number ``d`` is in the set. AND, OR, AND NOT and counting
(``int.bit_count``) then run in C over 8 bytes per 64 documents: on 900,000
organisations one operation is some tens of microseconds, whatever the number
of matches. That is what makes facets cheap: a count per option is one AND and
one count, where Whoosh's ``groupedby=`` scores and sorts every hit (25x
slower). Whoosh's own matchers walk postings one document at a time in Python
(a phrase over common syllables took 0.9 s on 60,000 names).

Postings are read straight from Whoosh's blocks (``_blocks``), and an AND
that has come down to a few documents looks a common term up for just those
documents (``IndexState._probe``) rather than reading all its postings.

``IndexState`` holds what depends only on the index's contents: a term's
bitmap (cached for frequent terms), the bitmaps of facet options, and each
sort order. It is computed lazily, shared by the threads of a process, and
keyed by the segments it was computed from, so a catch-up or a rebuild (new
segments, more deletions) gets a new one. It holds no reader: a Whoosh
reader is not thread-safe, so every call takes the caller's.
"""

import array
import io
import pickle
import re
import sys
import threading
import zlib
from bisect import bisect_left
from collections import OrderedDict, deque
from itertools import accumulate, repeat

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE, unpack_int

_NONZERO_RUNS = re.compile(rb"[^\x00]+")
_BIT_OFFSETS = tuple(tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256))
_BIT = tuple(1 << bit for bit in range(8))

#: Bytes of term bitmaps a process keeps (the cheapest to read again, among
#: those not used lately, are dropped first: see ``IndexState._remember``).
TERM_CACHE_BYTES = 64 * 1024 * 1024
#: Terms in fewer documents than this are read again each time: that is as
#: quick as a cache lookup, and their bitmap may be as large as a common term's.
TERM_CACHE_MINIMUM_DOCUMENTS = 64
#: Looking a term up for one document (decoding one block of its postings)
#: costs about as much as reading this many of its postings into a bitmap;
#: walking the block headers to it costs about a seventh of reading them all
#: (Whoosh's blocks of 128 postings have no skip list). Measured on 900,000
#: organisations: 北京, 620,000 postings, read in 125 ms, or looked up for
#: 300 documents in 24 ms.
PROBE_COST_IN_POSTINGS = 50
#: Document frequencies remembered (a number each) before starting over.
FREQUENCIES_KEPT = 200_000
#: Index states a process keeps: the current one, and the previous one for a
#: request that still uses a searcher opened before a catch-up or a rebuild.
STATES_KEPT = 2


# -- bitmaps -------------------------------------------------------------------


def bitmap_of(docnums, offset=0):
    """Return the bitmap of document numbers (sorted ascending), each plus ``offset``."""
    if not docnums:
        return 0
    if len(docnums) < 64:
        buffer = bytearray((docnums[-1] >> 3) + 1)
        bit = _BIT
        for docnum in docnums:
            buffer[docnum >> 3] |= bit[docnum & 7]
        bitmap = int.from_bytes(buffer, "little")
    else:
        # One byte per document, set in C (no Python loop), then the eight
        # interleaved slices of it (bytes 0, 8, 16...; 1, 9, 17...) are the
        # eight bit positions of each byte of the bitmap: 1.5x faster.
        bytemap = bytearray((docnums[-1] + 8) & ~7)
        deque(map(bytemap.__setitem__, docnums, repeat(1)), maxlen=0)
        bitmap = 0
        for bit in range(8):
            bitmap |= int.from_bytes(bytemap[bit::8], "little") << bit
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


def _bytes(text):
    return text.encode("utf-8") if isinstance(text, str) else text


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
    blocks = _blocks(terms, terminfo)
    if blocks is None:
        matcher = terms.matcher(fieldname, btext, segment.schema[fieldname].format)
        return list(matcher.all_ids()), frequency
    docnums = []
    extend = docnums.extend
    for _, block_ids in blocks:
        extend(block_ids())
    return docnums, frequency


#: Bytes read for a block's header: its length and a pickled tuple of 6 numbers (about 40 bytes).
_BLOCK_HEADER_BYTES = 128


def _blocks(terms, terminfo):
    """Return an iterator of (largest document number, function returning the document numbers), one per block.

    Reads Whoosh-Reloaded 2.7.5's W3 posting blocks directly: each is an
    int length, a pickled info tuple (count, last id, max weight,
    compression, min and max length) and the pickled, maybe compressed
    (deltas of ids, weights, values). Whoosh's own matcher unpickles a
    header with ~20 small reads (40 µs; two thirds of reading 北京's 620,000
    postings); here it is one read. Returns None if the postings do not
    start the way this expects, for the caller to use Whoosh's matcher.
    """
    postfile = terms._postfile
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it a 1-tuple
        length = length[0]
    if postfile.get(offset, len(WHOOSH3_HEADER_MAGIC)) != WHOOSH3_HEADER_MAGIC:
        return None
    return _iter_blocks(postfile, offset + len(WHOOSH3_HEADER_MAGIC), offset + length)


def _iter_blocks(postfile, position, end):
    while position < end:
        header = postfile.get(position, _INT_SIZE + _BLOCK_HEADER_BYTES)
        size = unpack_int(header[:_INT_SIZE])[0]
        last = size < 0
        size = abs(size)
        stream = io.BytesIO(header[_INT_SIZE:])
        try:
            info = pickle.load(stream)
        except (EOFError, pickle.UnpicklingError):  # a longer header than expected
            stream = io.BytesIO(postfile.get(position + _INT_SIZE, size))
            info = pickle.load(stream)
        data_start = position + _INT_SIZE + stream.tell()
        next_position = position + _INT_SIZE + size
        yield info[1], _block_reader(postfile, data_start, next_position - data_start, info[3])
        if last:
            return
        position = next_position


def _block_reader(postfile, start, length, compression):
    def block_ids():
        data = postfile.get(start, length)
        if compression:
            data = zlib.decompress(data)
        return accumulate(pickle.loads(data)[0])

    return block_ids


def _present(blocks, docnums):
    """Yield the document numbers (ascending) of one segment that are in a term's posting blocks.

    Skips whole blocks by their largest document number, and decodes a block
    only if a document may be in it.
    """
    block = next(blocks, None)
    ids = None
    for docnum in docnums:
        while block is not None and block[0] < docnum:
            block = next(blocks, None)
            ids = None
        if block is None:
            return
        if ids is None:
            ids = list(block[1]())
        position = bisect_left(ids, docnum)
        if position < len(ids) and ids[position] == docnum:
            yield docnum


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
        # term -> [bitmap, priority]: see _remember.
        self._terms = {}
        self._term_bytes = 0
        self._clock = 0
        self._frequencies = {}
        self._facets = {}
        self._orders = {}
        self._lengths = None

    # Terms

    def cached_term(self, fieldname, text):
        """Return a term's bitmap if this process has it, else None."""
        key = (fieldname, text)
        with self._lock:
            entry = self._terms.get(key)
            if entry is None:
                return None
            entry[1] = self._clock + self._cost(key)
            return entry[0]

    def term(self, reader, fieldname, text):
        """Return the bitmap of the documents with a term (deleted ones included)."""
        bitmap = self.cached_term(fieldname, text)
        if bitmap is not None:
            return bitmap
        bitmap = 0
        frequency = 0
        for segment, offset in _segments(reader):
            docnums, segment_frequency = _segment_postings(segment, fieldname, _bytes(text))
            frequency += segment_frequency
            if docnums:
                bitmap |= bitmap_of(docnums, offset)
        with self._lock:
            self._frequencies[(fieldname, text)] = frequency
        if frequency >= TERM_CACHE_MINIMUM_DOCUMENTS or not frequency:
            # Absent terms too: the pinyin and initials of a query try many.
            self._remember((fieldname, text), bitmap)
        return bitmap

    def frequency(self, reader, fieldname, text):
        """Return the number of documents with a term (deleted ones included)."""
        key = (fieldname, text)
        with self._lock:
            frequency = self._frequencies.get(key)
        if frequency is None:
            frequency = 0
            for segment, _ in _segments(reader):
                try:
                    frequency += segment._terms.term_info(fieldname, _bytes(text)).doc_frequency()
                except (TermNotFound, KeyError):
                    pass
            with self._lock:
                if len(self._frequencies) > FREQUENCIES_KEPT:
                    self._frequencies.clear()
                self._frequencies[key] = frequency
        return frequency

    def _cost(self, key):
        # What reading the term again would cost, in postings (plus the
        # lookup): a bitmap costs the same memory whatever it holds, so
        # keeping the terms of many documents saves the most.
        return self._frequencies.get(key, 0) + 1000

    def _remember(self, key, bitmap):
        # GreedyDual-Size: a term's priority is the clock plus its cost,
        # renewed on each use; the lowest goes first and the clock moves up
        # to it, so a term not used for a while loses its lead. A plain LRU
        # let a run of rarer terms push out 北京 (620,000 documents of
        # 900,000: 0.13-0.2 s to read again), and the p99 with it.
        size = (bitmap.bit_length() >> 3) + 64
        with self._lock:
            if key in self._terms:
                return
            self._terms[key] = [bitmap, self._clock + self._cost(key)]
            self._term_bytes += size
            while self._term_bytes > TERM_CACHE_BYTES and len(self._terms) > 1:
                victim = min(self._terms, key=lambda term: self._terms[term][1])
                dropped, self._clock = self._terms.pop(victim)
                self._term_bytes -= (dropped.bit_length() >> 3) + 64

    def terms(self, reader, fieldname, texts, within=None):
        """Return the AND of the bitmaps of ``texts`` and of ``within`` (default: all live documents).

        Terms this process has are ANDed first, then the others from the
        rarest. Once few documents are left, a common term is not read whole:
        its postings are looked up for just those documents (a block read
        each), which keeps a long name query fast when its common bigrams
        are not cached. Stops as soon as nothing is left.
        """
        result = self.live if within is None else within
        uncached = []
        for text in dict.fromkeys(texts):
            bitmap = self.cached_term(fieldname, text)
            if bitmap is None:
                uncached.append(text)
            else:
                result &= bitmap
                if not result:
                    return 0
        uncached.sort(key=lambda text: self.frequency(reader, fieldname, text))
        for text in uncached:
            frequency = self.frequency(reader, fieldname, text)
            if not frequency:
                self._remember((fieldname, text), 0)
                return 0
            if result.bit_count() * PROBE_COST_IN_POSTINGS < frequency:
                result = self._probe(reader, fieldname, text, result)
            else:
                result &= self.term(reader, fieldname, text)
            if not result:
                return 0
        return result

    def _probe(self, reader, fieldname, text, bitmap):
        """Return the documents of ``bitmap`` that have a term, looking each up in its postings."""
        docnums = docnums_of(bitmap)
        kept = []
        for segment, offset in _segments(reader):
            end = offset + segment.doc_count_all()
            local = [docnum - offset for docnum in docnums if offset <= docnum < end]
            if not local:
                continue
            terms = segment._terms
            try:
                terminfo = terms.term_info(fieldname, _bytes(text))
            except (TermNotFound, KeyError):
                continue
            if terminfo.is_inlined():
                present = set(terminfo.inlined_postings()[0])
                kept.extend(docnum + offset for docnum in local if docnum in present)
                continue
            blocks = _blocks(terms, terminfo)
            if blocks is None:
                return bitmap & self.term(reader, fieldname, text)
            kept.extend(docnum + offset for docnum in _present(blocks, local))
        return bitmap_of(kept)

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
