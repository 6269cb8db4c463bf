"""Exhaustive query evaluation with whole posting lists as numpy arrays.

Whoosh walks posting lists one document at a time in Python; here a term's whole
posting list is read as arrays (document numbers, term frequencies), BM25F is
computed for every posting at once with the searcher's own scorer formula, and
AND / OR / NOT become operations on sorted arrays. Every matching document is
scored: nothing is pruned by score bounds, so counts and rankings are exact.

Query nodes without an array form here (phrases, proximity, prefixes, fuzzy terms,
ranges...) are evaluated by Whoosh's own matcher, exhaustively, and join the
arrays. ``reference_matches`` is that exhaustive Whoosh evaluation for a whole
query: the definition of correct results that the tests hold this module to.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pickle import loads
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import ListMatcher
from whoosh.util.numeric import byte_to_length

from .codec import TermArrays, read_term_arrays

# Whoosh stores a field's length per document as one lossy byte; this table decodes
# it the way ``doc_field_length`` does (a missing length column reads as 1).
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_CODE_OF_ONE = int(np.flatnonzero(_LENGTHS == 1.0)[0])
# Decoded postings kept per segment (about 100 bytes each with their positions).
CACHED_POSTINGS = 500_000
_EMPTY_IDS = np.empty(0, dtype=np.int64)
_EMPTY_SCORES = np.empty(0, dtype=np.float64)


@dataclass
class Matches:
    """Matching documents of one segment: sorted local numbers and their scores."""

    ids: np.ndarray  # int64, ascending, unique
    scores: np.ndarray  # float64, aligned with ids

    @classmethod
    def empty(cls) -> Matches:
        return cls(_EMPTY_IDS, _EMPTY_SCORES)

    def __len__(self) -> int:
        return int(self.ids.size)


class SegmentArrays:
    """Per-segment data read once per open searcher: field lengths and deletions."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher  # a leaf (one-segment) searcher
        self.reader = searcher.reader()
        self.doc_count = int(self.reader.doc_count_all())
        self._lengths: dict[str, np.ndarray] = {}
        # Decoded posting lists, for the terms a search reads twice (the feedback
        # pass re-runs the query) and the queries of one batch or browse session.
        self._postings: dict[tuple[str, bytes], Postings | None] = {}
        self._cached = 0  # postings held in the cache
        deleted = sorted(self.reader.deleted_docs_set) if self.reader.has_deletions() else []
        self.live: np.ndarray | None = None
        if deleted:
            self.live = np.ones(self.doc_count, dtype=bool)
            self.live[np.asarray(deleted, dtype=np.int64)] = False

    def lengths(self, fieldname: str, ids: np.ndarray) -> np.ndarray:
        """The field's length in documents ``ids`` of the segment, as the scorer sees
        it. The one-byte codes are kept, and decoded for the documents asked for only:
        a new process searching a million articles reads a few postings, not a million
        lengths per field."""
        codes = self._lengths.get(fieldname)
        if codes is None:
            codes = self._lengths[fieldname] = self._read_lengths(fieldname)
        found: np.ndarray = _LENGTHS[codes[ids]]
        return found

    def _read_lengths(self, fieldname: str) -> np.ndarray:
        perdoc = self.reader._perdoc  # Whoosh internals, pinned version (whoosh3==3.54.0)
        lenfield = _lenfield(fieldname)
        codes = np.full(self.doc_count, _CODE_OF_ONE, dtype=np.uint8)  # no column: 1, as Whoosh
        if perdoc.has_column(lenfield):
            column = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
            raw = np.frombuffer(
                bytes(column._dbfile.get(column._basepos, column._count)), dtype=np.uint8
            )
            codes[:] = 0
            codes[: raw.size] = raw[: self.doc_count]
        return codes

    def postings(self, fieldname: str, text: bytes) -> Postings | None:
        """A term's whole posting list, deleted documents included."""
        key = (fieldname, text)
        if key in self._postings:
            return self._postings[key]
        found = self._read_postings(fieldname, text)
        size = 0 if found is None else int(found.ids.size)
        if self._cached + size > CACHED_POSTINGS:
            self._postings.clear()
            self._cached = 0
        self._postings[key] = found
        self._cached += size
        return found

    def _read_postings(self, fieldname: str, text: bytes) -> Postings | None:
        arrays = read_term_arrays(self.reader, fieldname, text)
        if arrays is not None:  # our format: no decoding step per block or posting
            return Postings(arrays.ids, arrays.weights, arrays.positions, arrays)
        terms = self.reader._terms
        if (fieldname, text) not in terms:
            return None
        fmt = self.reader.schema[fieldname].format
        leaf = terms.matcher(fieldname, text, fmt)
        if isinstance(leaf, ListMatcher):  # short lists are inlined in the term info
            ids = np.asarray(leaf._ids, dtype=np.int64)
            weights = np.asarray(leaf._weights, dtype=np.float64)
            if weights.size != ids.size:
                weights = np.ones(ids.size, dtype=np.float64)
            return Postings(ids, weights, _decoder(list(leaf._values or ()), fmt))
        if not isinstance(leaf, W3LeafMatcher):
            return _walk_postings(leaf, fmt)
        return _read_blocks(leaf, fmt)


@dataclass
class Postings:
    ids: np.ndarray  # int64, ascending
    weights: np.ndarray  # float64: term frequency times field boost
    positions: Callable[[int], list[int]]  # the positions of one posting (by row)
    arrays: TermArrays | None = None  # when stored in our format: positions as arrays


def _decoder(values: list[bytes], fmt: Any) -> Callable[[int], list[int]]:
    """Positions by row, from Whoosh's encoded values (decoded when asked for)."""

    def positions(row: int) -> list[int]:
        return fmt.decode_positions(values[row]) if values else []

    return positions


def _read_blocks(leaf: Any, fmt: Any) -> Postings:
    """Decode every block of a W3 posting list: one unpickle per 128 postings."""
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    values: list[bytes] = []
    while True:
        count = leaf._blocklength
        raw = leaf._postfile.get(leaf._dataoffset, leaf._nextoffset - leaf._dataoffset)
        if leaf._compression:
            raw = zlib.decompress(raw)
        deltas, weights, block_values = loads(raw)
        id_parts.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if weights is None:
            weight_parts.append(np.ones(count, dtype=np.float64))
        elif isinstance(weights, float):
            weight_parts.append(np.full(count, weights, dtype=np.float64))
        else:
            weight_parts.append(np.asarray(weights, dtype=np.float64))
        if isinstance(block_values, tuple):
            values.extend(block_values)
        if leaf._lastblock:
            break
        leaf._goto(leaf._nextoffset)
    ids = np.concatenate(id_parts)
    return Postings(ids, np.concatenate(weight_parts), _decoder(values, fmt))


def _walk_postings(m: Any, fmt: Any) -> Postings:
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        values.append(m.value())
        m.next()
    return Postings(
        np.asarray(ids, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
        _decoder(values, fmt),
    )


class Evaluator:
    """Evaluates query trees on one segment, every match scored."""

    def __init__(self, segment: SegmentArrays, weighting: Any, *, scored: bool = True) -> None:
        """Without ``scored`` only the matching documents count (filters, masks): terms
        that a prefix, wildcard or range stands for are then read as arrays too."""
        self.segment = segment
        self.weighting = weighting
        self.scored = scored
        self._context = segment.searcher.context(needs_current=False, weighting=weighting)

    def matches(self, q: wq.Query) -> Matches:
        found = self._eval(q)
        live = self.segment.live
        if live is not None and len(found):
            keep = live[found.ids]
            found = Matches(found.ids[keep], found.scores[keep])
        return found

    def _eval(self, q: wq.Query) -> Matches:
        if isinstance(q, wq.Term):
            return self._term(q)
        if isinstance(q, wq.And) and len(q.subqueries) > 1:
            return _boosted(_intersect([self._eval(s) for s in q.subqueries]), q.boost)
        if isinstance(q, wq.Or) and len(q.subqueries) > 1 and not q.scale and not q.minmatch:
            return _boosted(_union([self._eval(s) for s in q.subqueries]), q.boost)
        if isinstance(q, (wq.And, wq.Or)) and len(q.subqueries) == 1:
            return self._eval(q.subqueries[0])  # Whoosh ignores a lone child's parent boost
        if isinstance(q, (wq.And, wq.Or)) and not q.subqueries:
            return Matches.empty()
        if isinstance(q, wq.Phrase):
            return self._phrase(q)
        if isinstance(q, wq.Not):
            return self._not(q)
        if isinstance(q, wq.AndMaybe):
            return _maybe(self._eval(q.a), self._eval(q.b))
        if isinstance(q, wq.AndNot):
            return _difference(self._eval(q.a), self._eval(q.b))
        if isinstance(q, type(wq.NullQuery)):
            return Matches.empty()
        if isinstance(q, wq.MultiTerm) and q.field() is not None:
            if not self.scored:
                words = q._btexts(self.segment.reader)
                return _union([self._term(wq.Term(q.field(), word)) for word in words if word])
            return self._multiterm(q)
        return self._whoosh(q)

    def _multiterm(self, q: wq.MultiTerm) -> Matches:
        """A prefix, wildcard, range or fuzzy term, scored as Whoosh's MultiTerm
        matcher scores it: one word is that word's term; several are an Or of them,
        which for a constant-score query of three words or more in a segment of at
        most 5,000 documents (or of 1,024 words or more) is Whoosh's unscored array
        union, 1.0 per match; otherwise each match scores the sum of its words."""
        fieldname = q.field()
        searcher = self.segment.searcher
        if fieldname not in searcher.schema:
            return Matches.empty()
        words = [word for word in q._btexts(self.segment.reader) if word]
        if len(words) == 1:
            return self._term(wq.Term(fieldname, words[0], boost=q.boost))
        # A constant-score Or gives its words no weighting: each then scores with
        # the searcher's own (Searcher.postings).
        weighting = searcher.weighting if q.constantscore else self.weighting
        parts = []
        field = searcher.schema[fieldname]
        for word in words:
            try:
                word = field.to_bytes(word)  # words may come as text or as bytes
            except ValueError:
                continue
            posting = self.segment.postings(fieldname, word)
            if posting is not None:
                parts.append(_boosted(self._scored(fieldname, word, posting, weighting), q.boost))
        found = _union(parts)
        tree = len(words) < wq.Or.TOO_MANY_CLAUSES and (
            len(words) == 2 or self.segment.doc_count > 5000
        )
        if q.constantscore and not tree:
            return Matches(found.ids, np.ones(found.ids.size, dtype=np.float64))
        return found

    def _term(self, q: wq.Term) -> Matches:
        searcher = self.segment.searcher
        if q.fieldname not in searcher.schema:
            return Matches.empty()
        try:
            text = searcher.schema[q.fieldname].to_bytes(q.text)
        except ValueError:
            return Matches.empty()
        posting = self.segment.postings(q.fieldname, text)
        if posting is None:
            return Matches.empty()
        return _boosted(self._scored(q.fieldname, text, posting), q.boost)

    def _scored(
        self, fieldname: str, text: bytes, posting: Postings, weighting: Any = None
    ) -> Matches:
        """Every posting of a term scored by the weighting's scorer for it."""
        field = self.segment.searcher.schema[fieldname]
        weighting = weighting or self.weighting
        scorer = weighting.scorer(self.segment.searcher, fieldname, text)
        if field.scorable and hasattr(scorer, "_score"):
            lengths = self.segment.lengths(fieldname, posting.ids)
            return Matches(posting.ids, _score_per_doc(scorer, posting.weights, lengths))
        return Matches(posting.ids, posting.weights)  # WeightScorer: the term's weight

    def _phrase(self, q: wq.Phrase) -> Matches:
        """Words in order, each within ``slop`` positions of the previous one: the
        candidates are the documents holding every word, and positions are decoded
        for those only. Scored as Whoosh scores a phrase: the sum of its words."""
        schema = self.segment.searcher.schema
        field = schema[q.fieldname] if q.fieldname in schema else None
        if field is None:
            return Matches.empty()
        if not field.format or not field.format.supports("positions"):
            return self._whoosh(q)
        postings: list[tuple[bytes, Postings]] = []
        for word in q.words:
            try:
                text = field.to_bytes(word)
            except ValueError:
                return Matches.empty()
            posting = self.segment.postings(q.fieldname, text)
            if posting is None:
                return Matches.empty()
            postings.append((text, posting))
        ids = postings[0][1].ids
        for _text, posting in postings[1:]:
            ids = ids[np.isin(ids, posting.ids, assume_unique=True)]
        rows = [np.searchsorted(p.ids, ids) for _t, p in postings]
        arrays = [p.arrays for _t, p in postings]
        if q.slop == 1 and all(a is not None and a.counts is not None for a in arrays):
            keep = _adjacent(ids.size, rows, arrays)  # type: ignore[arg-type]
        else:
            keep = self._in_order_each(ids, rows, [p for _t, p in postings], q.slop)
        ids = ids[keep]
        parts = [self._scored(q.fieldname, t, p) for t, p in postings]
        scores = np.zeros(ids.size, dtype=np.float64)
        for part in parts:
            scores += part.scores[np.searchsorted(part.ids, ids)]
        return _boosted(Matches(ids, scores), q.boost)

    @staticmethod
    def _in_order_each(
        ids: np.ndarray, rows: list[np.ndarray], postings: list[Postings], slop: int
    ) -> np.ndarray:
        return np.fromiter(
            (
                _in_order(
                    [p.positions(int(row[k])) for p, row in zip(postings, rows, strict=True)],
                    slop,
                )
                for k in range(ids.size)
            ),
            dtype=bool,
            count=ids.size,
        )

    def _not(self, q: wq.Not) -> Matches:
        # Whoosh matches a NOT by inverting its child, each document scoring 1.0.
        inner = self._eval(q.query)
        mask = np.ones(self.segment.doc_count, dtype=bool)
        mask[inner.ids] = False
        if self.segment.live is not None:
            mask &= self.segment.live
        ids = np.flatnonzero(mask).astype(np.int64)
        return Matches(ids, np.ones(ids.size, dtype=np.float64))

    def _whoosh(self, q: wq.Query) -> Matches:
        """Any other node, by Whoosh's own matcher, every match visited and scored."""
        return walk(q.matcher(self.segment.searcher, self._context))


def _score_per_doc(scorer: Any, weights: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The scorer's own ``_score(weight, length)`` formula, on whole arrays at once."""
    scores = np.asarray(scorer._score(weights, lengths), dtype=np.float64)
    if scores.shape != weights.shape:
        scores = np.full(weights.shape, float(scores))
    return scores


def _adjacent(count: int, rows: list[np.ndarray], arrays: list[TermArrays]) -> np.ndarray:
    """For each of ``count`` candidates, whether word k occurs at p + k for some p
    (an exact phrase: ``_in_order`` with slop 1), all candidates at once: each
    word's positions in the candidates, shifted back by k, as (candidate, position)
    keys; the keys every word has are the phrase's starts."""
    starts: np.ndarray | None = None
    for k, (row, found) in enumerate(zip(rows, arrays, strict=True)):
        flat, first = found.absolute_positions()
        counts = np.asarray(found.counts)[row]
        ends = np.cumsum(counts)
        owner = np.repeat(np.arange(count, dtype=np.int64), counts)
        within = np.arange(int(ends[-1]) if ends.size else 0) - np.repeat(ends - counts, counts)
        positions = flat[np.repeat(first[row], counts) + within] - k
        usable = positions >= 0
        keys = (owner[usable] << 32) | positions[usable]
        starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
        if not starts.size:
            break
    keep = np.zeros(count, dtype=bool)
    if starts is not None and starts.size:
        keep[starts >> 32] = True
    return keep


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether the words occur in order, each 1..``slop`` positions after the end of
    the span matched so far (Whoosh's ordered SpanNear with mindist 1)."""
    spans = {(p, p) for p in positions[0]}
    for following in positions[1:]:
        grown = set()
        for start, end in spans:
            i = bisect_right(following, end)
            while i < len(following) and following[i] <= end + slop:
                grown.add((start, following[i]))
                i += 1
        if not grown:
            return False
        spans = grown
    return bool(spans)


def walk(m: Any) -> Matches:
    """Every (document, score) a Whoosh matcher yields, with no score-bound pruning."""
    ids: list[int] = []
    scores: list[float] = []
    while m.is_active():
        ids.append(m.id())
        scores.append(m.score())
        m.next()
    if not ids:
        return Matches.empty()
    return Matches(np.asarray(ids, dtype=np.int64), np.asarray(scores, dtype=np.float64))


def _boosted(m: Matches, boost: float) -> Matches:
    return m if boost == 1.0 else Matches(m.ids, m.scores * boost)


def _intersect(parts: list[Matches]) -> Matches:
    parts = sorted(parts, key=len)
    ids = parts[0].ids
    for part in parts[1:]:
        if not ids.size:
            return Matches.empty()
        ids = ids[np.isin(ids, part.ids, assume_unique=True)]
    scores = np.zeros(ids.size, dtype=np.float64)
    for part in parts:
        scores += part.scores[np.searchsorted(part.ids, ids)]
    return Matches(ids, scores)


def _union(parts: list[Matches]) -> Matches:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Matches.empty()
    if len(parts) == 1:
        return parts[0]
    all_ids = np.concatenate([p.ids for p in parts])
    all_scores = np.concatenate([p.scores for p in parts])
    span = int(all_ids.max()) + 1
    if span <= 8 * all_ids.size:  # dense enough: count into one slot per document
        ids = np.flatnonzero(np.bincount(all_ids, minlength=span))
        return Matches(ids, np.bincount(all_ids, weights=all_scores, minlength=span)[ids])
    ids, where = np.unique(all_ids, return_inverse=True)
    scores = np.zeros(ids.size, dtype=np.float64)
    np.add.at(scores, where, all_scores)
    return Matches(ids, scores)


def _maybe(a: Matches, b: Matches) -> Matches:
    """``a``'s matches; where ``b`` matches too, its score is added (Whoosh's AndMaybe,
    which takes no boost of its own)."""
    both = np.isin(b.ids, a.ids, assume_unique=True)
    scores = a.scores.copy()
    scores[np.searchsorted(a.ids, b.ids[both])] += b.scores[both]
    return Matches(a.ids, scores)


def _difference(a: Matches, b: Matches) -> Matches:
    keep = ~np.isin(a.ids, b.ids, assume_unique=True)
    return Matches(a.ids[keep], a.scores[keep])


def reference_matches(searcher: Any, q: wq.Query) -> dict[int, float]:
    """Every matching document (global number) and its score, by Whoosh's matchers
    visited one document at a time with no pruning: the exhaustive reference."""
    found: dict[int, float] = {}
    context = searcher.context(needs_current=False, weighting=searcher.weighting)
    for sub, offset in searcher.leaf_searchers():
        m = q.matcher(sub, context)
        while m.is_active():
            found[offset + m.id()] = float(m.score())
            m.next()
    return found


class ArraySearch:
    """Exhaustive, array-based matching over every segment of one open searcher."""

    def __init__(self, searcher: Any, *, dedupe: bool) -> None:
        self.searcher = searcher
        self.dedupe = dedupe
        self.segments = [(SegmentArrays(sub), offset) for sub, offset in searcher.leaf_searchers()]
        self._capture_keys: tuple[np.ndarray, np.ndarray] | None = None

    def matches(
        self, q: wq.Query, *, filter: wq.Query | None = None, mask: wq.Query | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Global document numbers (ascending) matching ``q`` within ``filter`` and
        outside ``mask``, with their scores; one capture per page when collapsing."""
        id_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        for segment, offset in self.segments:
            found = Evaluator(segment, self.searcher.weighting).matches(q)
            narrowing = Evaluator(segment, self.searcher.weighting, scored=False)
            keep: np.ndarray | None = None
            if filter is not None and len(found):
                keep = np.isin(found.ids, narrowing.matches(filter).ids, assume_unique=True)
            if mask is not None and len(found):
                outside = ~np.isin(found.ids, narrowing.matches(mask).ids, assume_unique=True)
                keep = outside if keep is None else keep & outside
            if keep is not None:
                found = Matches(found.ids[keep], found.scores[keep])
            id_parts.append(found.ids + offset)
            score_parts.append(found.scores)
        if not id_parts:
            return _EMPTY_IDS, _EMPTY_SCORES
        ids, scores = np.concatenate(id_parts), np.concatenate(score_parts)
        return self._collapse(ids, scores) if self.dedupe else (ids, scores)

    def _collapse(self, ids: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keep the newest capture of each page (the lowest document number on a tie)."""
        if not ids.size:
            return ids, scores
        keys, times = self._keys()
        key, when = keys[ids], times[ids]
        order = np.lexsort((ids, -when, key))
        first = np.ones(order.size, dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        chosen = np.sort(order[first])
        return ids[chosen], scores[chosen]

    def _keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Per document: a code for its page (canonical URL) and its capture time."""
        if self._capture_keys is None:
            codes: dict[Any, int] = {}
            key_parts: list[np.ndarray] = []
            time_parts: list[np.ndarray] = []
            for segment, offset in self.segments:
                reader, n = segment.reader, segment.doc_count
                has_key = reader.has_column("canonical")
                canon = reader.column_reader("canonical") if has_key else None
                when = (
                    reader.column_reader("capture_time")
                    if reader.has_column("capture_time")
                    else None
                )
                if canon is None:  # no page key: every document is its own page
                    key_parts.append(-1 - np.arange(offset, offset + n, dtype=np.int64))
                else:
                    key_parts.append(
                        np.fromiter(
                            (codes.setdefault(v, len(codes)) for v in canon),
                            dtype=np.int64,
                            count=n,
                        )
                    )
                time_parts.append(
                    np.fromiter(when, dtype=np.int64, count=n)
                    if when is not None
                    else np.zeros(n, dtype=np.int64)
                )
            self._capture_keys = (np.concatenate(key_parts), np.concatenate(time_parts))
        return self._capture_keys


def rank_order(ids: np.ndarray, scores: np.ndarray, limit: int | None) -> np.ndarray:
    """Positions of the best ``limit`` matches, by score and then document number
    (Whoosh's order), found by a partial sort when only a few are wanted."""
    if limit is None or limit >= ids.size:
        return np.lexsort((ids, -scores))
    if limit <= 0:
        return _EMPTY_IDS
    part = np.argpartition(-scores, limit - 1)[:limit]
    candidates = np.flatnonzero(scores >= scores[part].min())  # ties at the cut included
    return candidates[np.lexsort((ids[candidates], -scores[candidates]))][:limit]
