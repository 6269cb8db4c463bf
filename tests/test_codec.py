"""The FA1 posting format (codec.py): lossless, read the same by our arrays and by
Whoosh's matchers, through merges, and smaller than Whoosh's W3 lists."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from focal_search.codec import (
    FocalCodec,
    TermArrays,
    decode_postings,
    encode_parts,
    encode_postings,
    position_gaps,
    read_term_arrays,
    use_focal_codec,
)
from focal_search.schema import build_schema


def _roundtrip(
    ids: list[int], weights: list[float], positions: list[list[int]] | None
) -> TermArrays:
    counts = None if positions is None else [len(p) for p in positions]
    flat = None if positions is None else [x for p in positions for x in p]
    found = decode_postings(encode_postings(ids, weights, counts, flat))
    assert found.ids.tolist() == ids
    assert found.weights.tolist() == pytest.approx(weights, rel=1e-6)
    if positions is not None:
        assert [found.positions(row) for row in range(len(ids))] == positions
    else:
        assert found.counts is None
    return found


@pytest.mark.parametrize("gap", [1, 255, 256, 65_535, 65_536, 3_000_000])
def test_document_gaps_of_every_width(gap: int) -> None:
    _roundtrip([0, gap, 2 * gap + 1], [1.0, 1.0, 1.0], None)
    _roundtrip([gap], [2.0], [[0, gap]])  # positions as far apart


def test_weights_of_every_kind() -> None:
    _roundtrip([1, 2, 3], [1.0, 1.0, 1.0], [[4], [5], [6]])  # all 1.0
    _roundtrip([1, 2, 3], [2.0, 1.0, 3.0], [[4, 9], [5], [6, 7, 8]])  # equal to the counts
    _roundtrip([1, 2], [300.0, 70_000.0], None)  # integers, 2 and 4 bytes
    _roundtrip([1, 2], [0.5, 2.25], [[1], [2, 3]])  # fractional: floats
    _roundtrip([7], [1.0], [[]])  # a posting without positions


def test_random_lists_survive_exactly() -> None:
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(1, 60)
        ids = sorted(rng.sample(range(rng.choice([100, 10_000, 5_000_000])), n))
        positions = [
            sorted(rng.sample(range(rng.choice([50, 70_000])), rng.randint(1, 5))) for _ in ids
        ]
        _roundtrip(ids, [float(len(p)) for p in positions], positions)


@pytest.mark.parametrize(
    "ids, positions",
    [([3, 3], None), ([5, 4], None), ([-1], None), ([1], [[5, 2]])],
)
def test_bad_lists_are_refused(ids: list[int], positions: list[list[int]] | None) -> None:
    counts = None if positions is None else [len(p) for p in positions]
    flat = None if positions is None else [x for p in positions for x in p]
    with pytest.raises(ValueError):
        encode_postings(ids, [1.0] * len(ids), counts, flat)


def test_damaged_lists_are_reported_as_a_damaged_index() -> None:
    from focal_search.codec import ListPostings
    from focal_search.errors import IndexIncompatible

    data = encode_postings([1, 9], [2.0, 1.0], [2, 1], [3, 4, 8])
    for damaged in (data[:-2], b"XXXX" + data[4:], data[:10]):
        for read in (decode_postings, ListPostings):
            with pytest.raises(IndexIncompatible, match="damaged") as found:
                arrays = read(damaged)
                arrays.positions(1)
            assert "reindex --full" in (found.value.hint or "")


WORDS = "border security trade migration policy canada mexico summit norad treaty".split()


def _docs(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40)))
        docs.append(
            {
                "id": f"doc{i}",
                "source": f"file{i % 7}",
                "title": "Smart border notes",
                "body": body,
                "title_en": "Smart border notes",
                "body_en": body,
                "lang": "en",
                "year": 1995 + i % 17,
                "sort_date": 199501 + i,
                "capture_time": 1_000_000 + i,
                "undated": 0,
                "canonical": f"doc{i}",
                "kind": "article",
            }
        )
    return docs


def _build(folder: Path, codec: Any, docs: list[dict[str, Any]], commits: int) -> Any:
    ix = whoosh_index.create_in(str(folder), build_schema())
    step = -(-len(docs) // commits)
    for start in range(0, len(docs), step):
        writer = SegmentWriter(ix, codec=codec)
        for doc in docs[start : start + step]:
            writer.add_document(**doc)
        writer.commit(merge=False)
    return ix


def _postings(ix: Any) -> dict[tuple[str, bytes], list[tuple[int, float, list[int] | None]]]:
    """Every posting of the index, by term, through Whoosh's matcher interface."""
    found: dict[tuple[str, bytes], list[tuple[int, float, list[int] | None]]] = {}
    with ix.reader() as reader:
        for fieldname, btext in reader.all_terms():
            fmt = reader.schema[fieldname].format
            m = reader.postings(fieldname, btext)
            rows = []
            while m.is_active():
                positions = m.value_as("positions") if fmt.supports("positions") else None
                rows.append((m.id(), m.weight(), positions))
                m.next()
            found[(fieldname, btext)] = rows
    return found


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    docs = _docs(300)
    w3 = _build(tmp_path_factory.mktemp("w3"), W3Codec(), docs, commits=3)
    fa1 = _build(tmp_path_factory.mktemp("fa1"), FocalCodec(), docs, commits=3)
    return w3, fa1


def test_whoosh_reads_the_same_postings_from_both_formats(pair: tuple[Any, Any]) -> None:
    w3, fa1 = pair
    assert _postings(fa1) == _postings(w3)


def test_arrays_equal_whoosh_matchers(pair: tuple[Any, Any]) -> None:
    _w3, fa1 = pair
    with fa1.reader() as reader:
        for sub, _offset in reader.leaf_readers():
            for fieldname, btext in list(sub.all_terms())[:400]:
                arrays = read_term_arrays(sub, fieldname, btext)
                assert arrays is not None
                m = sub.postings(fieldname, btext)
                ids, weights = [], []
                while m.is_active():
                    ids.append(m.id())
                    weights.append(m.weight())
                    m.next()
                assert arrays.ids.tolist() == ids
                assert arrays.weights.tolist() == weights
                assert sub.doc_frequency(fieldname, btext) == len(ids)


def test_whoosh_queries_agree(pair: tuple[Any, Any]) -> None:
    w3, fa1 = pair
    queries = [
        wq.Term("body_en", "border"),
        wq.Phrase("body_en", ["border", "secur"]),
        wq.And([wq.Term("body_en", "trade"), wq.Not(wq.Term("body_en", "norad"))]),
        wq.NumericRange("year", 2000, 2005),
        wq.Prefix("body_en", "mi"),
    ]
    for q in queries:
        with w3.searcher() as a, fa1.searcher() as b:
            ra = [(h.docnum, round(h.score, 9)) for h in a.search(q, limit=None)]
            rb = [(h.docnum, round(h.score, 9)) for h in b.search(q, limit=None)]
        assert ra == rb, q
        assert ra  # each query matches something


def test_a_merge_keeps_every_posting(tmp_path: Path) -> None:
    docs = _docs(120, seed=5)
    ix = _build(tmp_path, FocalCodec(), docs, commits=4)
    before = _postings(ix)
    use_focal_codec()  # as index.py does: Whoosh's own writers then write FA1
    ix.optimize()  # Whoosh's own merge, reading FA1 lists through ArrayMatcher
    assert len(ix._segments()) == 1
    assert _postings(ix) == before
    with ix.reader() as reader:
        (sub, _offset), *_ = reader.leaf_readers()
        assert read_term_arrays(sub, "body_en", b"border") is not None  # still FA1


def test_fa1_lists_are_smaller_than_w3(pair: tuple[Any, Any]) -> None:
    def posting_bytes(ix: Any) -> int:
        total = 0
        for segment in ix._segments():
            storage = segment.open_compound_file(ix.storage)
            total += sum(storage.file_length(n) for n in storage.list() if n.endswith(".pst"))
        return total

    w3, fa1 = pair
    assert posting_bytes(fa1) < 0.5 * posting_bytes(w3)


def test_arrays_hold_no_reference_to_the_map(pair: tuple[Any, Any]) -> None:
    # Decoded lists outlive their searcher: closing the mapped segment must not fail.
    _w3, fa1 = pair
    reader = fa1.reader()
    sub, _offset = reader.leaf_readers()[0]
    arrays = read_term_arrays(sub, "body_en", b"border")
    reader.close()
    assert arrays is not None and arrays.positions(0)
    assert isinstance(arrays.ids, np.ndarray)


def test_exact_phrases_found_by_arrays_as_one_by_one() -> None:
    from focal_search.evaluate import _adjacent, _in_order

    rng = random.Random(11)
    for _ in range(60):
        docs = sorted(rng.sample(range(200), 40))
        words = []
        for _w in range(rng.randint(1, 4)):
            positions = [sorted(rng.sample(range(30), rng.randint(1, 8))) for _ in docs]
            counts = [len(p) for p in positions]
            flat = [x for p in positions for x in p]
            words.append(decode_postings(encode_postings(docs, counts, counts, flat)))
        candidates = np.asarray(sorted(rng.sample(docs, 25)), dtype=np.int64)
        rows = [np.searchsorted(w.ids, candidates) for w in words]
        expected = [
            _in_order([w.positions(int(r[k])) for w, r in zip(words, rows, strict=True)], 1)
            for k in range(candidates.size)
        ]
        assert _adjacent(candidates.size, rows, words).tolist() == expected


def test_lists_without_numpy_read_the_same() -> None:
    from focal_search.codec import ListPostings

    rng = random.Random(5)
    for _ in range(100):
        n = rng.randint(1, 40)
        ids = sorted(rng.sample(range(rng.choice([300, 3_000_000])), n))
        kind = rng.choice(["plain", "positions", "float"])
        positions = [
            sorted(rng.sample(range(rng.choice([40, 90_000])), rng.randint(1, 4))) for _ in ids
        ]
        counts = [len(p) for p in positions] if kind == "positions" else None
        flat = [x for p in positions for x in p] if kind == "positions" else None
        weights = [rng.choice([0.5, 1.0, 7.0]) if kind == "float" else 1.0 for _ in ids]
        if kind == "positions":
            weights = [float(c) for c in counts]  # type: ignore[union-attr]
        data = encode_postings(ids, weights, counts, flat)
        arrays, lists = decode_postings(data), ListPostings(data)
        assert lists.ids == arrays.ids.tolist() == ids
        assert lists.weights == arrays.weights.tolist()
        assert [lists.positions(r) for r in range(n)] == [arrays.positions(r) for r in range(n)]


@pytest.mark.parametrize(("count", "size"), [(0, 4), (1, 4), (7, 0), (3000, 4), (3000, 40)])
def test_compact_term_index_writes_whooshs_bytes(
    count: int, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The term dictionary writer that keeps (hash, position) in arrays writes the
    very bytes of Whoosh's OrderedHashWriter, key by key or in batches (positions
    past 2**16 when the values are long), and Whoosh reads every key back."""
    from io import BytesIO

    from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter
    from whoosh.filedb.structfile import BufferFile, StructFile

    from focal_search import codec
    from focal_search.codec import CompactTermIndex

    rng = random.Random(count)
    words = {bytes(rng.choices(b"abcdefgh\xc3\xa9", k=rng.randint(1, 9))) for _ in range(count)}
    keys = sorted(words)

    class Kept(BytesIO):
        def close(self) -> None:  # StructFile.close closes it: keep the bytes
            self.kept = self.getvalue()

    def value(n: int) -> bytes:
        return n.to_bytes(size, "big") if size else b""

    def write(how: str) -> bytes:
        buf = Kept()
        writer = OrderedHashWriter(StructFile(buf))
        if how != "whoosh":
            writer = CompactTermIndex.adopt(writer)
        writer.extras["fieldmap"] = {"body": 0}
        if how == "batches":
            monkeypatch.setattr(codec, "_ADD_BATCH", 7)  # each call in several batches
            cuts = sorted({0, len(keys), *rng.sample(range(len(keys) + 1), min(5, len(keys)))})
            for a, b in zip(cuts, cuts[1:], strict=False):
                writer.add_many(keys[a:b], b"".join(map(value, range(a, b))), size)
        else:
            for n, key in enumerate(keys):
                writer.add(key, value(n))
        writer.close()
        return buf.kept

    data = write("whoosh")
    assert write("compact") == data
    assert write("batches") == data
    reader = OrderedHashReader(BufferFile(memoryview(data)), len(data))
    if size:
        assert [int.from_bytes(reader[k], "big") for k in keys] == list(range(len(keys)))
    if keys:
        later = CompactTermIndex.adopt(OrderedHashWriter(StructFile(BytesIO())))
        later.add_many(keys[-1:], value(0), size)
        with pytest.raises(ValueError):
            later.add_many(keys[:1], value(0), size)  # keys must increase
    used = OrderedHashWriter(StructFile(BytesIO()))
    used.add(b"a", b"")
    with pytest.raises(ValueError):
        CompactTermIndex.adopt(used)  # keys already in Whoosh's buckets


def test_short_lists_encode_to_the_same_bytes_without_numpy() -> None:
    """The plain-Python encoder of short lists (incremental commits) writes exactly
    what the array encoder writes, with and without positions, for every kind of
    weight; and both refuse the same bad input."""
    from focal_search.codec import encode_small

    rng = random.Random(7)
    for case in range(600):
        n = rng.randint(1, 40)
        ids = sorted(rng.sample(range(rng.choice([300, 70_000, 5_000_000])), n))
        with_positions = case % 2 == 0
        least = 0 if case % 7 == 0 else 1  # postings without positions, sometimes
        counts = [rng.randint(least, 5) for _ in ids] if with_positions else None
        positions = (
            [p for c in counts for p in sorted(rng.sample(range(rng.choice([200, 90_000])), c))]
            if counts is not None
            else None
        )
        kind = case % 5
        weights: list[float] = (
            [1.0] * n
            if kind == 0
            else [float(c) for c in counts]
            if kind == 1 and counts is not None
            else [float(rng.randint(0, rng.choice([9, 70_000]))) for _ in ids]
            if kind == 2
            else [rng.uniform(0.1, 9.0) for _ in ids]
        )
        assert encode_small(ids, weights, counts, positions) == encode_postings(
            ids, weights, counts, positions
        ), case
    for bad in ([3, 3], [5, 2], [-1, 4]):
        with pytest.raises(ValueError):
            encode_small(bad, [1.0, 1.0])
        with pytest.raises(ValueError):
            encode_postings(bad, [1.0, 1.0])
    with pytest.raises(ValueError):
        encode_small([1], [1.0], [2], [5, 4])  # positions going back
    with pytest.raises(ValueError):
        encode_small([1], [1.0], [2], [5])  # fewer positions than counted


def test_positions_given_as_gaps_in_parts_encode_to_the_same_bytes() -> None:
    # A long term is written from its positions' gaps in parts (slices of its
    # postings), each in its own narrow type: the bytes are encode_postings's.
    rng = np.random.default_rng(3)
    n = 300
    ids = np.sort(rng.choice(100_000, n, replace=False))
    counts = rng.integers(1, 40, n)
    spans = np.repeat([200, 70_000, 2**20], [91, 159, 50])  # gaps of 1, 2 and 4 bytes
    flat = np.concatenate(
        [
            np.sort(rng.choice(int(s), int(c), replace=False))
            for s, c in zip(spans, counts, strict=True)
        ]
    )
    whole = encode_postings(ids, counts * 1.0, counts, flat)
    cuts = [0, 1, 90, 91, 250, n]
    starts = np.concatenate([[0], np.cumsum(counts)])
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        g = position_gaps(flat[starts[a] : starts[b]], counts[a:b])
        parts.append(g.astype(np.min_scalar_type(int(g.max()))))
    assert {p.dtype.itemsize for p in parts} == {1, 2, 4}
    assert b"".join(encode_parts(ids, counts * 1.0, counts, parts)) == whole
