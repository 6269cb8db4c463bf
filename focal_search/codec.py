"""Our posting format: each term's postings as fixed-width arrays (format "FA1").

Whoosh's W3 codec pickles and zlib-compresses every block of 128 postings, and each
posting's positions are a pickled list of its own: reading a posting list costs an
unpickle per block and one more per posting, and the lists take more room than the
text they index. Here a term's postings are laid out as little-endian arrays of
the narrowest width that holds them (1, 2 or 4 bytes), chosen per term, so they load
with ``numpy.frombuffer`` and one cumulative sum, with no per-posting step::

    b"FA1\\0"  header (<IBBBB: postings, id width, weight code, count width,
               position width)
    ids        gaps between document numbers (the first from 0)
    counts     positions per posting (formats with positions)
    weights    when they are not all 1.0 or equal to the counts
    positions  gaps within each posting (the first from 0), stored last so that
               only a phrase or proximity check ever reads them

Everything else (term dictionary, stored fields, columns, lengths, deletions) is
Whoosh's W3 layout, and so are posting lists of formats without an array form here
(the reader tells them apart by their first bytes). Whoosh's own matchers read this
format too (``ArrayMatcher``), so every Whoosh query and merge still works.

The segment pickles its codec, so an index written with this format names
``focal_search.codec.FocalCodec``; ``schema.SCHEMA_VERSION`` covers the format: an
index in an older one is rebuilt, with a notice.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from hashlib import md5
from itertools import accumulate
from typing import Any

from whoosh import formats
from whoosh.codec import whoosh3
from whoosh.filedb import filetables
from whoosh.matching import ListMatcher, ReadTooFar

from .errors import IndexIncompatible

MAGIC = b"FA1\x00"
_HEADER = struct.Struct("<IBBBB")
_START = len(MAGIC) + _HEADER.size
# Weight codes: all 1.0; equal to the counts; unsigned integers of 1, 2, 4 bytes;
# 4-byte floats.
_W_ONES, _W_COUNTS, _W_FLOAT = 0, 3, 5


def _width(largest: int) -> int:
    return 1 if largest < 1 << 8 else 2 if largest < 1 << 16 else 4


def _packed(values: Any, width: int) -> bytes:
    return values.astype(f"<u{width}").tobytes()  # type: ignore[no-any-return]


def encode_postings(ids: Any, weights: Any, counts: Any = None, positions: Any = None) -> bytes:
    """One term's postings in format FA1: ascending document numbers, their weights,
    and for formats with positions the positions per posting and all positions
    (ascending within each posting) in one flat sequence."""
    import numpy as np

    gaps = None
    if counts is not None:
        counts = np.asarray(counts, dtype=np.int64)
        flat = np.asarray(positions, dtype=np.int64)
        if flat.size != int(counts.sum()):
            raise ValueError("the positions do not match their counts")
        gaps = [position_gaps(flat, counts)]
    return b"".join(encode_parts(ids, weights, counts, gaps))


def position_gaps(flat: Any, counts: Any) -> Any:
    """Gaps between the positions of each posting (``counts[i]`` each, flat), the
    first of each from 0: what FA1 stores."""
    import numpy as np

    n = len(counts)
    gaps = np.diff(flat, prepend=0)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    firsts = starts[counts > 0]
    gaps[firsts] = flat[firsts]
    if flat.size and int(gaps.min()) < 0:
        raise ValueError("positions must be ascending within a posting")
    return gaps


def encode_parts(ids: Any, weights: Any, counts: Any = None, gaps: Any = None) -> list[bytes]:
    """``encode_postings`` with the positions given as their gaps (``position_gaps``),
    in consecutive parts of any integer type, and the bytes returned in parts: a
    long list is encoded without all its positions in one array of 8-byte ints."""
    import numpy as np

    ids = np.asarray(ids, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    n = int(ids.size)
    if n == 0 or weights.size != n:
        raise ValueError("a posting list needs one weight per document number")
    id_gaps = np.diff(ids, prepend=0)
    if ids[0] < 0 or (n > 1 and int(id_gaps[1:].min()) <= 0):
        raise ValueError("document numbers must be ascending")
    id_width = _width(int(id_gaps.max()))
    parts = [b"", _packed(id_gaps, id_width)]
    count_width = pos_width = 0
    if counts is not None:
        counts = np.asarray(counts, dtype=np.int64)
        count_width = _width(int(counts.max()))
        parts.append(_packed(counts, count_width))
    if bool((weights == 1.0).all()):
        code = _W_ONES
    elif counts is not None and bool((weights == counts).all()):
        code = _W_COUNTS
    elif (
        bool((weights == np.floor(weights)).all()) and 0 <= weights.min() and weights.max() < 2**32
    ):
        code = _width(int(weights.max()))
        parts.append(_packed(weights, code))
    else:
        code = _W_FLOAT
        parts.append(weights.astype("<f4").tobytes())
    if counts is not None:
        sized = [g for g in gaps or () if len(g)]
        pos_width = _width(max(int(g.max()) for g in sized)) if sized else 1
        parts += [_packed(g, pos_width) for g in sized]
    parts[0] = MAGIC + _HEADER.pack(n, id_width, code, count_width, pos_width)
    return parts


_TYPECODES = {1: "B", 2: "H", 4: "I"}
SMALL_LIST = 64  # postings up to which a list is encoded without numpy (below)


def _packed_list(values: list[Any], typecode: str) -> bytes:
    """``values`` as little-endian ``array`` items of ``typecode``."""
    packed = array(typecode, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def encode_small(
    ids: list[int], weights: list[float], counts: list[int] | None = None, positions: Any = None
) -> bytes:
    """``encode_postings`` for short lists, in plain Python, to the same bytes: an
    incremental commit writes thousands of lists of a few postings, and numpy's cost
    per call was half of its time."""
    n = len(ids)
    if n == 0 or len(weights) != n:
        raise ValueError("a posting list needs one weight per document number")
    gaps = [ids[0], *(b - a for a, b in zip(ids, ids[1:], strict=False))]
    if ids[0] < 0 or min(gaps[1:], default=1) <= 0:
        raise ValueError("document numbers must be ascending")
    id_width = _width(max(gaps))
    parts = [_packed_list(gaps, _TYPECODES[id_width])]
    count_width = pos_width = 0
    if counts is not None:
        count_width = _width(max(counts))
        parts.append(_packed_list(counts, _TYPECODES[count_width]))
    if all(w == 1.0 for w in weights):
        code = _W_ONES
    elif counts is not None and all(w == c for w, c in zip(weights, counts, strict=True)):
        code = _W_COUNTS
    elif (
        all(w.is_integer() for w in map(float, weights))
        and 0 <= min(weights)
        and (max(weights) < 2**32)
    ):
        code = _width(int(max(weights)))
        parts.append(_packed_list([int(w) for w in weights], _TYPECODES[code]))
    else:
        code = _W_FLOAT
        parts.append(_packed_list(weights, "f"))
    if counts is not None:
        flat = list(positions)
        if len(flat) != sum(counts):
            raise ValueError("the positions do not match their counts")
        pos_gaps: list[int] = []
        at = 0
        for count in counts:
            posting = flat[at : at + count]
            at += count
            if posting:
                pos_gaps.append(posting[0])
                pos_gaps.extend(b - a for a, b in zip(posting, posting[1:], strict=False))
        if pos_gaps and min(pos_gaps) < 0:
            raise ValueError("positions must be ascending within a posting")
        pos_width = _width(max(pos_gaps)) if pos_gaps else 1
        parts.append(_packed_list(pos_gaps, _TYPECODES[pos_width]))
    header = _HEADER.pack(n, id_width, code, count_width, pos_width)
    return MAGIC + header + b"".join(parts)


@dataclass
class TermArrays:
    """One term's postings in a segment."""

    ids: Any  # np.int64 array, ascending
    weights: Any  # np.float64 array: term frequency times the format's field boost
    counts: Any | None = None  # np.int64 positions per posting (formats with positions)
    _raw_positions: bytes = b""  # their gaps, as stored: decoded on first use
    _position_width: int = 0
    _gaps: Any | None = None
    _starts: Any | None = None
    _absolute: Any | None = None

    def positions(self, row: int) -> list[int]:
        """The positions of posting ``row``, ascending."""
        if self.counts is None:
            return []
        if self._gaps is None:
            self._decode_positions()
        start = int(self._starts[row])  # type: ignore[index]
        gaps = self._gaps[start : start + int(self.counts[row])]  # type: ignore[index]
        return gaps.cumsum().tolist()  # type: ignore[no-any-return]

    def absolute_positions(self) -> tuple[Any, Any]:
        """Every posting's positions in one array, and where each posting's start."""
        import numpy as np

        if self._gaps is None:
            self._decode_positions()
        if self._absolute is None:
            # A running sum over all the gaps, less the sum reached before each
            # posting, restarts the count at each posting.
            gaps: Any = self._gaps
            running = np.zeros(gaps.size + 1, dtype=np.int64)
            np.cumsum(gaps, out=running[1:])
            before = running[self._starts]
            self._absolute = running[1:] - np.repeat(before, self.counts)  # type: ignore[arg-type]
        return self._absolute, self._starts

    def _decode_positions(self) -> None:
        import numpy as np

        raw = np.frombuffer(self._raw_positions, dtype=f"<u{self._position_width}")
        self._gaps = raw.astype(np.int64)
        starts = np.zeros(self.ids.size, dtype=np.int64)
        np.cumsum(self.counts[:-1], out=starts[1:])  # type: ignore[index]
        self._starts = starts


@dataclass
class _Sections:
    """Where each part of one FA1 record lies (views of its bytes, checked to fit)."""

    count: int  # postings
    ids: memoryview
    id_width: int
    counts: memoryview | None
    count_width: int
    weights: memoryview | None  # None: all 1.0, or equal to the counts
    weight_code: int
    rest: memoryview  # the positions
    position_width: int

    def positions(self, total: int) -> memoryview:
        """The positions' bytes, ``total`` of them (the counts' sum)."""
        size = self.position_width * total
        if size > len(self.rest):
            raise _damaged("a posting list is cut short")
        return self.rest[:size]


def _sections(data: Any) -> _Sections:
    view = memoryview(data)
    if len(view) < _START or bytes(view[: len(MAGIC)]) != MAGIC:
        raise _damaged("a posting list is not in our format")
    n, id_width, code, count_width, pos_width = _HEADER.unpack(view[len(MAGIC) : _START])
    at = _START

    def cut(size: int) -> memoryview:
        nonlocal at
        if at + size > len(view):
            raise _damaged("a posting list is cut short")
        at += size
        return view[at - size : at]

    ids = cut(id_width * n)
    counts = cut(count_width * n) if count_width else None
    if code == _W_COUNTS and counts is None:
        raise _damaged("a posting list's weights are not readable")
    weights = None if code in (_W_ONES, _W_COUNTS) else cut((4 if code == _W_FLOAT else code) * n)
    return _Sections(n, ids, id_width, counts, count_width, weights, code, view[at:], pos_width)


def decode_postings(data: Any) -> TermArrays:
    """Read a posting list in format FA1 (bytes or a view of them). Nothing is kept
    referring to ``data``: it may be a view of a map that is closed afterwards."""
    import numpy as np

    found = _sections(data)

    def read(part: memoryview, width: int) -> Any:
        return np.frombuffer(part, dtype=f"<u{width}").astype(np.int64)

    arrays = TermArrays(read(found.ids, found.id_width).cumsum(), None)
    if found.counts is not None:
        arrays.counts = read(found.counts, found.count_width)
    if found.weights is not None:
        width = 0 if found.weight_code == _W_FLOAT else found.weight_code
        arrays.weights = np.frombuffer(
            found.weights, dtype=f"<u{width}" if width else "<f4"
        ).astype(np.float64)
    elif found.weight_code == _W_COUNTS and arrays.counts is not None:
        arrays.weights = arrays.counts.astype(np.float64)
    else:
        arrays.weights = np.ones(found.count, dtype=np.float64)
    if arrays.counts is not None:
        arrays._raw_positions = bytes(found.positions(int(arrays.counts.sum())))
        arrays._position_width = found.position_width
    return arrays


class ListPostings:
    """A posting list decoded as Python lists, without numpy: what Whoosh's own
    matchers read, on archives too small for the array path (where importing numpy
    would cost a new process more than the search)."""

    def __init__(self, data: Any) -> None:
        found = _sections(data)

        def read(part: memoryview, typecode: str) -> array[Any]:
            values = array(typecode)
            values.frombytes(part)
            if sys.byteorder != "little":
                values.byteswap()
            return values

        self.ids: list[int] = list(accumulate(read(found.ids, _TYPECODES[found.id_width])))
        self.counts: list[int] | None = None
        if found.counts is not None:
            self.counts = read(found.counts, _TYPECODES[found.count_width]).tolist()
        if found.weights is not None:
            code = found.weight_code
            stored = read(found.weights, "f" if code == _W_FLOAT else _TYPECODES[code])
            self.weights = [float(w) for w in stored]
        elif found.weight_code == _W_COUNTS and self.counts is not None:
            self.weights = [float(c) for c in self.counts]
        else:
            self.weights = [1.0] * found.count
        self._gaps: array[Any] | None = None
        self._starts: list[int] = []
        if self.counts is not None:
            self._gaps = read(found.positions(sum(self.counts)), _TYPECODES[found.position_width])
            self._starts = [0, *accumulate(self.counts)]

    def positions(self, row: int) -> list[int]:
        if self._gaps is None:
            return []
        return list(accumulate(self._gaps[self._starts[row] : self._starts[row + 1]]))


_TYPECODES = {1: "B", 2: "H", 4: "I"}


def _damaged(what: str) -> IndexIncompatible:
    return IndexIncompatible(
        f"the index is damaged: {what}", hint="run `focal-search reindex --full` to rebuild it"
    )


def is_array_postings(postfile: Any, offset: int) -> bool:
    return bytes(postfile.get(offset, len(MAGIC))) == MAGIC


def _read_extent(postfile: Any, offset: int, length: Any) -> Any:
    """The bytes of one posting list; a view of the mapped segment when it is one,
    so that positions not asked for are never copied."""
    if isinstance(length, tuple):  # W3TermInfo.from_bytes reads the length as a 1-tuple
        (length,) = length
    buffer = getattr(postfile, "_buf", None)  # whoosh's BufferFile (pinned version)
    if isinstance(buffer, memoryview):
        return buffer[offset : offset + length]
    return postfile.get(offset, length)


def read_term_arrays(reader: Any, fieldname: str, btext: bytes) -> TermArrays | None:
    """A term's postings in one segment reader as arrays (deleted documents
    included), or None when the segment lacks the term or holds it in another format."""
    terms = reader._terms  # Whoosh internals, pinned version (whoosh3==3.54.0)
    if (fieldname, btext) not in terms:
        return None
    info = terms.term_info(fieldname, btext)
    if info.is_inlined():
        return None
    offset, length = info.extent()
    if not is_array_postings(terms._postfile, offset):
        return None
    return decode_postings(_read_extent(terms._postfile, offset, length))


def _record_stats(terminfo: Any, ids: Any, weights: Any, lengths: Any) -> None:
    """The statistics W3's term info gathers block by block, for the whole list
    (lengths of 0 are unknown, as W3 has them)."""
    known = lengths[lengths > 0]
    terminfo._weight = float(weights.sum())
    terminfo._df = int(ids.size)
    terminfo._minlength = int(known.min()) if known.size else None
    terminfo._maxlength = int(known.max()) if known.size else 0
    terminfo._maxweight = float(weights.max())
    terminfo._minid = int(ids[0])
    terminfo._maxid = int(ids[-1])


def _exact_sum(weights: list[float]) -> bool:
    """Whether a Python sum of ``weights`` is exact, hence numpy's too (whole numbers,
    as term frequencies are): otherwise the two could round differently."""
    return all(float(w).is_integer() and abs(w) < 2**52 for w in weights)


def _record_small_stats(terminfo: Any, ids: list[int], weights: list[float], lengths: Any) -> None:
    """``_record_stats`` for a short list of whole-number weights, without numpy."""
    known = [n for n in lengths if n > 0]
    terminfo._weight = float(sum(weights))
    terminfo._df = len(ids)
    terminfo._minlength = int(min(known)) if known else None
    terminfo._maxlength = int(max(known)) if known else 0
    terminfo._maxweight = float(max(weights))
    terminfo._minid = int(ids[0])
    terminfo._maxid = int(ids[-1])


class ArrayPostingsWriter(whoosh3.W3PostingsWriter):  # type: ignore[misc]  # untyped
    """Collects a term's postings and writes them as one FA1 list (formats with
    plain positions or no values; others are written in W3's layout)."""

    _terminfo: Any

    def start_postings(self, format_: Any, terminfo: Any) -> None:
        self._array_form = _array_form(format_)
        if not self._array_form:
            super().start_postings(format_, terminfo)
            return
        if self._terminfo is not None:
            raise RuntimeError("start_postings called inside a term")
        self._format = format_
        self._terminfo = terminfo
        self._a_ids: list[int] = []
        self._a_weights: list[float] = []
        self._a_values: list[bytes] = []
        self._a_lengths: list[int] = []

    def add_posting(
        self, id_: int, weight: float, vbytes: bytes, length: int | None = None
    ) -> None:
        if not self._array_form:
            super().add_posting(id_, weight, vbytes, length)
            return
        self._a_ids.append(id_)
        self._a_weights.append(weight)
        self._a_values.append(vbytes)
        self._a_lengths.append(length or 0)

    def finish_postings(self) -> Any:
        if not self._array_form:
            return super().finish_postings()
        counts = positions = None
        if self._array_form == "positions":
            decode = self._format.decode_positions
            per_posting = [decode(v) for v in self._a_values]
            counts = [len(p) for p in per_posting]
            positions = [pos for p in per_posting for pos in p]
        terminfo, self._terminfo = self._terminfo, None
        self.write_arrays(
            terminfo, self._a_ids, self._a_weights, self._a_lengths, counts, positions
        )
        return terminfo

    def write_arrays(
        self,
        terminfo: Any,
        ids: Any,
        weights: Any,
        lengths: Any,
        counts: Any = None,
        positions: Any = None,
    ) -> None:
        """Write a whole posting list and fill in its term info."""
        if isinstance(ids, list) and len(ids) <= SMALL_LIST and _exact_sum(weights):
            data = encode_small(ids, weights, counts, positions)
            _record_small_stats(terminfo, ids, weights, lengths)
        else:
            import numpy as np

            ids = np.asarray(ids, dtype=np.int64)
            weights = np.asarray(weights, dtype=np.float64)
            data = encode_postings(ids, weights, counts, positions)
            _record_stats(terminfo, ids, weights, np.asarray(lengths, dtype=np.int64))
        start = self._postfile.tell()
        self._postfile.write(data)
        terminfo.set_extent(start, len(data))


def _array_form(format_: Any) -> str:
    """ "positions", "plain" (no values), or "" (kept in W3's layout)."""
    if type(format_) is formats.Positions:
        return "positions"
    if format_.fixed_value_size() == 0:
        return "plain"
    return ""


class ArrayMatcher(ListMatcher):  # type: ignore[misc]  # whoosh is untyped here
    """Whoosh's matcher interface over an FA1 posting list (the whole list is one
    block, as for Whoosh's inlined lists)."""

    _i: int

    def __init__(
        self, arrays: ListPostings, format_: Any, scorer: Any, term: Any, terminfo: Any
    ) -> None:
        super().__init__(
            arrays.ids,
            arrays.weights,
            None,
            format_,
            scorer=scorer,
            term=term,
            terminfo=terminfo,
        )
        self._arrays = arrays

    def copy(self) -> ArrayMatcher:
        m = ArrayMatcher(self._arrays, self._format, self._scorer, self._term, self._terminfo)
        m._i = self._i
        return m

    def skip_to(self, id_: int) -> None:
        if not self.is_active():
            raise ReadTooFar
        if id_ > self._ids[self._i]:
            self._i = bisect_left(self._ids, id_, self._i)

    def value(self) -> bytes:
        return self._value_at(self._i)

    def all_items(self) -> Any:
        return ((docnum, self._value_at(row)) for row, docnum in enumerate(self._ids))

    def _value_at(self, row: int) -> bytes:
        if self._arrays.counts is None:
            return b""
        return self._format.encode(self._arrays.positions(row))  # type: ignore[no-any-return]

    def value_as(self, astype: str) -> Any:
        if astype == "positions" and self._arrays.counts is not None:
            return self._arrays.positions(self._i)
        return super().value_as(astype)

    def block_min_length(self) -> int | None:
        return self._terminfo.min_length()  # type: ignore[no-any-return]

    def block_max_length(self) -> int:
        return self._terminfo.max_length()  # type: ignore[no-any-return]

    def block_max_weight(self) -> float:
        return self._terminfo.max_weight()  # type: ignore[no-any-return]

    def block_min_id(self) -> int:
        return self._ids[0]  # type: ignore[no-any-return]

    def block_max_id(self) -> int:
        return self._ids[-1]  # type: ignore[no-any-return]


class CompactTermIndex(filetables.OrderedHashWriter):  # type: ignore[misc]  # untyped
    """Whoosh's term dictionary writer, writing the same bytes, but holding each
    term's hash in an array (4 bytes; its position is in the writer's ordered
    index already) rather than a (hash, position) tuple in one of 256 lists (about
    120 bytes): the dictionary of a 100k-page archive has 750,000 terms (ids, URLs
    and fingerprints are one each), and those tuples were most of a build's memory
    at its end."""

    lastkey: bytes
    hashes: array[int]

    @classmethod
    def adopt(cls, writer: filetables.OrderedHashWriter) -> CompactTermIndex:
        """Turn a new Whoosh writer (header written, nothing added) into this one."""
        if writer.hashtype != 0 or any(writer.buckets) or len(writer.index):
            raise ValueError("only a new MD5 ordered hash writer can be adopted")
        writer.__class__ = cls
        writer.buckets = []
        writer.hashes = array("I")
        return writer  # type: ignore[no-any-return]

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        dbfile = self.dbfile
        pos = dbfile.tell()
        self.index.append(pos)
        dbfile.write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)))
        dbfile.write(key)
        dbfile.write(value)
        # filetables.md5_hash, without its hex string
        self.hashes.append(int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big"))
        self.lastkey = key

    def add_many(self, keys: list[bytes], rows: bytes, size: int) -> None:
        """``add`` for ascending ``keys`` with values of ``size`` bytes each
        (``rows``, in order), with array operations by batches: a rebuild's
        dictionary has millions of terms, and adding them one by one was a
        twentieth of a build, at its end."""
        if not keys:
            return
        if keys[0] <= self.lastkey or any(a >= b for a, b in zip(keys, keys[1:], strict=False)):
            raise ValueError("keys must increase")
        if len(rows) != len(keys) * size:
            raise ValueError("one row of the given size per key")
        step = _ADD_BATCH  # bounds the temporaries: about 1 KB a key
        for at in range(0, len(keys), step):
            self._add_batch(keys[at : at + step], rows[at * size : (at + step) * size], size)
        self.lastkey = keys[-1]

    def _add_batch(self, keys: list[bytes], rows: bytes, size: int) -> None:
        import numpy as np

        n = len(keys)
        klens = np.fromiter(map(len, keys), np.int64, n)
        records = _KEY_VALUE_LENGTHS.size + klens + size
        at = np.cumsum(records) - records  # each record, from the first
        out = np.empty(int(records.sum()), np.uint8)
        lengths = np.empty((n, 2), ">i4")
        lengths[:, 0], lengths[:, 1] = klens, size
        out[at[:, None] + np.arange(8)] = lengths.view(np.uint8).reshape(n, 8)
        key_at = at + 8
        kstarts = np.cumsum(klens) - klens
        out[np.repeat(key_at - kstarts, klens) + np.arange(int(klens.sum()))] = np.frombuffer(
            b"".join(keys), np.uint8
        )
        if size:
            value_at = np.repeat(key_at + klens, size) + np.tile(np.arange(size), n)
            out[value_at] = np.frombuffer(rows, np.uint8)
        positions = self.dbfile.tell() + at
        index = self.index  # a GrowableArray: its type grows to the largest position
        last = int(positions[-1])
        if isinstance(index.array, list):
            index.array.extend(positions.tolist())
        else:
            try:
                array(index.array.typecode, [last])
            except OverflowError:
                index._retype(last)
            index.array.frombytes(positions.astype(index.array.typecode).tobytes())
        self.dbfile.write(out.data)
        self.hashes.extend(
            int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big") for key in keys
        )

    def _write_hashes(self) -> None:
        # HashWriter._write_hashes: 256 open-addressing tables, keys in order of
        # addition, probing forward; an empty slot is (0, 0).
        dbfile, hashes, positions = self.dbfile, self.hashes, self.index.array
        # Term numbers, 4 bytes each: a dictionary has far fewer than 2**32 terms.
        buckets: list[array[int]] = [array("I") for _ in range(256)]
        for i, h in enumerate(hashes):
            buckets[h & 255].append(i)
        for members in buckets:
            numslots = 2 * len(members)
            self.directory.append((dbfile.tell(), numslots))
            table_h, table_p = [0] * numslots, [0] * numslots
            for i in members:
                h = hashes[i]
                slot = (h >> 8) % numslots
                while table_p[slot]:  # no key starts at 0: that is the header
                    slot = (slot + 1) % numslots
                table_h[slot], table_p[slot] = h, positions[i]
            dbfile.write(b"".join(map(_HASH_POINTER.pack, table_h, table_p)))


_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # filetables._lengths
_ADD_BATCH = 8192  # keys added at a time by add_many
_HASH_POINTER = struct.Struct("!Iq")  # filetables._pointer


class FocalFieldWriter(whoosh3.W3FieldWriter):  # type: ignore[misc]  # untyped
    _tindex: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tindex = CompactTermIndex.adopt(self._tindex)

    def add_term_arrays(
        self,
        btext: bytes,
        ids: Any,
        weights: Any,
        lengths: Any,
        counts: Any = None,
        positions: Any = None,
    ) -> None:
        """Write a whole term at once (between ``start_field`` and ``finish_field``,
        in term order): ascending document numbers, their weights and field lengths,
        and for formats with positions the positions per posting (``counts``) and all
        positions in one flat array, ascending within each posting."""
        if self._postwriter is None:
            raise RuntimeError("add_term_arrays called before start_field")
        form = _array_form(self._format)
        if not form:
            raise ValueError(f"field {self._fieldname} has no array form")
        if (form == "positions") != (counts is not None):
            raise ValueError(f"field {self._fieldname}: positions given or missing")
        terminfo = whoosh3.W3TermInfo()
        self._postwriter.write_arrays(terminfo, ids, weights, lengths, counts, positions)
        self._tindex.add(whoosh3.pack_ushort(self._fieldid) + btext, terminfo.to_bytes())


class FocalCodec(whoosh3.W3Codec):  # type: ignore[misc]  # whoosh is untyped here
    """W3's layout with FA1 posting lists."""

    def field_writer(self, storage: Any, segment: Any) -> FocalFieldWriter:
        return FocalFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:  # term vectors: not used by our schema, kept in W3's layout
            return super().postings_writer(dbfile, byteids=True)
        return ArrayPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if not terminfo.is_inlined():
            offset, length = terminfo.extent()
            if is_array_postings(dbfile, offset):
                arrays = ListPostings(_read_extent(dbfile, offset, length))
                return ArrayMatcher(arrays, format_, scorer, term, terminfo)
        return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)


def use_focal_codec() -> None:
    """Make every Whoosh writer (ours, its multi-process children, merges and
    optimize) write new segments with ``FocalCodec`` (idempotent)."""
    import whoosh.codec

    whoosh.codec.default_codec = FocalCodec
