"""Reading Whoosh's postings and columns straight from its segment files, for ``portal.search.docsets``.

Whoosh's own matchers walk postings one document at a time in Python, and
unpickle a block header with ~20 small reads; here a term's postings of a
segment are read block by block in one read each (``_blocks``), and a column
in one read. Each function falls back to Whoosh's API where the files are not
laid out as expected.
"""

import array
import io
import pickle
import sys
import zlib
from bisect import bisect_left
from itertools import accumulate

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE, unpack_int

from portal.search.bitmaps import bitmap_of


def term_bytes(text):
    """Return a term as the bytes Whoosh keys it by."""
    return text.encode("utf-8") if isinstance(text, str) else text


def segments(reader):
    """Return [(segment reader, first document number)] of a reader."""
    return reader.leaf_readers()


def segment_postings(segment, fieldname, btext):
    """Return (document numbers, document frequency) of a term in one segment (deleted documents included)."""
    terms = segment._terms
    try:
        terminfo = terms.term_info(fieldname, btext)
    except (TermNotFound, KeyError):
        return (), 0
    frequency = terminfo.doc_frequency()
    if terminfo.is_inlined():
        return terminfo.inlined_postings()[0], frequency
    blocks = posting_blocks(terms, terminfo)
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


def posting_blocks(terms, terminfo):
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
    return _iterposting_blocks(postfile, offset + len(WHOOSH3_HEADER_MAGIC), offset + length)


def _iterposting_blocks(postfile, position, end):
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


def present_in_blocks(blocks, docnums):
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


def deleted_bitmap(reader):
    deleted = 0
    for segment, offset in segments(reader):
        if segment.has_deletions():
            deleted |= bitmap_of(sorted(segment.deleted_docs_set), offset)
    return deleted


def numeric_column(segment, fieldname):
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


def bytes_column(segment, fieldname):
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

