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
import threading
from collections import OrderedDict

from whoosh.reading import TermNotFound

from portal.search.bitmaps import bitmap_of, docnums_of, ranks
from portal.search.postings import (
    bytes_column,
    deleted_bitmap,
    numeric_column,
    posting_blocks,
    present_in_blocks,
    segment_postings,
    segments,
    term_bytes,
)

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


class IndexState:
    """Bitmaps and orders of one state of the index (see the module's docstring)."""

    def __init__(self, key, reader):
        self.key = key
        self.size = reader.doc_count_all()
        self.universe = (1 << self.size) - 1
        self.live = self.universe & ~deleted_bitmap(reader)
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
        for segment, offset in segments(reader):
            docnums, segment_frequency = segment_postings(segment, fieldname, term_bytes(text))
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
            for segment, _ in segments(reader):
                try:
                    frequency += segment._terms.term_info(fieldname, term_bytes(text)).doc_frequency()
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
        for segment, offset in segments(reader):
            end = offset + segment.doc_count_all()
            local = [docnum - offset for docnum in docnums if offset <= docnum < end]
            if not local:
                continue
            terms = segment._terms
            try:
                terminfo = terms.term_info(fieldname, term_bytes(text))
            except (TermNotFound, KeyError):
                continue
            if terminfo.is_inlined():
                present = set(terminfo.inlined_postings()[0])
                kept.extend(docnum + offset for docnum in local if docnum in present)
                continue
            blocks = posting_blocks(terms, terminfo)
            if blocks is None:
                return bitmap & self.term(reader, fieldname, text)
            kept.extend(docnum + offset for docnum in present_in_blocks(blocks, local))
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
        for segment, _ in segments(reader):
            values.extend(numeric_column(segment, fieldname))
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
                for segment, _ in segments(reader):
                    keys.extend(bytes_column(segment, sort_key_column))
                ordered = sorted(range(self.size), key=keys.__getitem__)
                lengths = array.array(
                    "H", (min(len(key.rpartition(separator)[2].decode("utf-8", "replace")), 65535) for key in keys)
                )
                del keys
                found = self._orders["name"] = (array.array("I", ordered), ranks(ordered), lengths)
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
                found = self._orders[name] = (array.array("I", ordered), ranks(ordered))
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



# -- one state per index state, per process ------------------------------------------

_states = OrderedDict()
_states_lock = threading.Lock()


def state_key(reader):
    """Return what identifies a state of the index: its segments and their deletions."""
    return tuple(
        (segment.segment().segment_id(), segment.segment().deleted_count(), offset)
        for segment, offset in segments(reader)
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
