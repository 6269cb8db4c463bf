"""The bulk writer: new articles analysed in worker processes, written as one segment.

Whoosh's writer spends most of a build on per-posting Python work: pickling each
term's positions, a pool of posting tuples sorted and spilled in pickled runs, then
one call per posting to write them. Here worker processes read and analyse batches
of corpus files and return each field's postings as numpy arrays (term, document,
frequency, positions). The parent keeps the bookkeeping of an ordinary sync (in
file order, exactly as ``index._apply`` does), writes each document's stored
fields, lengths and columns as it arrives, and buffers the postings; over a memory
budget it writes them, sorted by term, as a run of raw arrays (per field, in pieces
of consecutive terms). At the end the runs (consecutive documents each) are merged
by chunks of terms with array operations and written as FA1 posting lists
(``bulkcodec``) into one segment, committed once. Temporary disk stays a little
above the final index: the compound segment is written in place as the build goes
(stored fields, then posting lists, then the term index), and each piece of a run
is deleted once read. The index holds the same content as one written by Whoosh's
writer, document for document (tests/test_bulk.py). A full rebuild writes into a fresh
generation folder, so a kill at any moment leaves the previous generation live; an
update (``write_changes``) adds its segment to the live generation beside Whoosh's
writer, which does the deletions, and commits through Whoosh's atomic table of
contents, so a kill leaves the last commit."""

from __future__ import annotations

import errno
import gc
import multiprocessing
import os
import signal
import time
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from itertools import count, islice
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh.codec import whoosh3
from whoosh.filedb.structfile import StructFile
from whoosh.system import pack_ushort

from .analysis import FoldingAnalyzer, split_words
from .bulkcodec import encode_terms, term_infos
from .codec import CompactTermIndex, FocalFieldWriter, encode_parts, position_gaps
from .extract import CannotOpen, CorpusFile, ReadLog, SkipFile, language
from .extract.failures import guarded

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from .documents import Article
    from .index import SyncReport, _Callbacks, _Skip, _Source

PROCS = min(2, os.cpu_count() or 1)
BATCH_FILES = 48  # corpus files a worker reads and analyses per task
IN_FLIGHT = 2  # batches queued per worker: enough to keep it busy, bounded memory
BUDGET_MB = 16  # posting arrays held by the parent before they are written as a run
# Below these, the files are analysed in this process: starting workers costs more.
MIN_FILES = 500
MIN_BYTES = 25 * 1024 * 1024
WORKER_MEMO_WORDS = 50_000  # analysed words a worker remembers (see _init_worker)
# fork: workers start at once, without importing everything again, and callers need
# no ``if __name__ == "__main__"`` guard (spawn would run their script in each worker).
START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


# -- what a worker sends back ------------------------------------------------


@dataclass
class FieldPostings:
    """One field's postings for a batch of documents, sorted by (term, doc)."""

    terms: list[bytes]  # the batch's vocabulary; ``tids`` index into it
    tids: NDArray[np.int32]
    docs: NDArray[np.int32]  # batch-local document numbers
    lbytes: NDArray[np.uint8]  # the field length of each posting's document, as Whoosh's byte
    weights: NDArray[np.float64] | None = None  # None: frequency x field boost (Positions)
    counts: NDArray[np.int32] | None = None  # positions per posting (Positions format)
    positions: NDArray[np.int32] | None = None  # flat, ascending within a posting

    def nbytes(self) -> int:
        arrays = (self.tids, self.docs, self.weights, self.lbytes, self.counts, self.positions)
        return sum(a.nbytes for a in arrays if a is not None)


# What the per-document writer records for one field: (fieldname, stored value or
# None, field length, whether it has a column value, column value).
FieldRecord = tuple[str, Any, int, bool, Any]


@dataclass
class Analysed:
    """Documents analysed together: their per-document records, in order, and
    their postings by field."""

    records: list[list[FieldRecord]] = field(default_factory=list)
    postings: dict[str, FieldPostings] = field(default_factory=dict)


@dataclass
class FileResult:
    """What reading one corpus file gave; ``articles`` in order, each either the
    batch-local number of a document analysed by the worker with its language, or
    an article of undetermined language (the parent resolves it, in file order)."""

    sha: str | None
    ids: list[str]
    articles: list[tuple[int, str] | Article]
    skipped: str = ""
    retry: bool = False
    records_skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Batch:
    files: list[FileResult]
    analysed: Analysed


# -- analysis (in the workers) ------------------------------------------------


@cache
def _libc() -> Any:
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim, libc.mallopt  # noqa: B018  (glibc only)
    except (OSError, AttributeError):
        return None
    return libc


_M_MMAP_THRESHOLD = -3


def _arrays_mapped() -> None:
    """Large arrays in their own mappings, given back when freed: glibc otherwise
    raises its threshold after each large free, and the heap (the parent's
    footprint) grows with every run written."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 17)


def _give_back_memory() -> None:
    """Return freed heap pages to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@cache
def _schema() -> Any:
    from .schema import build_schema

    return build_schema()


class _Lexicon:
    """The words one analyzer has met in this process, numbered, with their index
    terms: a worker analyses a word once, not once per batch (looking up and
    analysing each distinct word of each batch was a sixth of a worker's time)."""

    def __init__(self, term_of: Callable[[str], str]) -> None:
        self.term_of = term_of
        self.words: dict[str, int] = {}  # word -> word number
        self.word_terms = array("i")  # word number -> term number
        self.terms: list[bytes] = []  # term number -> term, UTF-8
        self.term_ids: dict[str, int] = {}

    def numbers(self, tokens: list[str]) -> NDArray[np.int32]:
        """Each token's word number; the words not met before are analysed first
        (set operations: no Python loop per token)."""
        term_ids, terms, term_of = self.term_ids, self.terms, self.term_of
        for word in _number_new(self.words, tokens):
            term = term_of(word)
            tid = term_ids.get(term)
            if tid is None:
                tid = term_ids[term] = len(terms)
                terms.append(term.encode("utf-8"))
            self.word_terms.append(tid)
        return _numbers(self.words, tokens)


# Each process's lexicons, by analyzer; emptied when they grow past WORKER_MEMO_WORDS
# words in all (a large archive's vocabulary would otherwise grow each worker).
_LEXICONS: dict[Any, _Lexicon] = {}


def _lexicons() -> dict[Any, _Lexicon]:
    if sum(len(lex.words) for lex in _LEXICONS.values()) > WORKER_MEMO_WORDS:
        _LEXICONS.clear()
    return _LEXICONS


class _Collector:
    """Gathers the terms of documents field by field, then turns them into arrays."""

    def __init__(self, schema: Any, lexicons: dict[Any, _Lexicon]) -> None:
        from whoosh.formats import Positions

        self.schema = schema
        self.positions_type = Positions
        self.analysed = Analysed()
        self.lexicons = lexicons
        # Positions fields: their lexicon, every token, the documents and their token
        # counts (words are numbered per batch, at the end).
        self.lexicon_of: dict[str, _Lexicon] = {}
        self.tokens: dict[str, list[str]] = {}
        self.token_docs: dict[str, list[tuple[int, int]]] = {}
        # Other indexed fields: one (term, doc, weight, length) per posting.
        self.items: dict[str, list[tuple[bytes, int, float, int]]] = {}

    def add(self, fields: dict[str, Any]) -> int:
        """Analyse one document (the keyword arguments of ``add_document``)."""
        schema = self.schema
        docnum = len(self.analysed.records)
        records: list[FieldRecord] = []
        for fieldname in sorted(fields):
            if fieldname.startswith("_"):
                raise ValueError(f"document option {fieldname!r} is not supported in bulk")
            value = fields[fieldname]
            if value is None:
                continue
            fieldobj = schema[fieldname]
            if fieldobj.vector or fieldobj.separate_spelling():
                raise ValueError(f"field {fieldname!r}: vectors and spelling are not supported")
            length = 0
            if fieldobj.indexed:
                length = self._index(fieldname, fieldobj, value, docnum)
            column = fieldobj.column_type
            has_column = bool(column)
            stored = value if fieldobj.stored else None
            if stored is not None or length or has_column:
                cv = fieldobj.to_column_value(value) if has_column else None
                records.append((fieldname, stored, length, has_column, cv))
        self.analysed.records.append(records)
        return docnum

    def _lexicon(self, fieldname: str, analyzer: Any) -> _Lexicon:
        lexicon = self.lexicons.get(analyzer)
        if lexicon is None:
            # The analyzer's own tokens, without building a Token per word.
            folding = type(analyzer) is FoldingAnalyzer
            lexicon = _Lexicon(analyzer.analyse_word if folding else _same)
            self.lexicons[analyzer] = lexicon
        self.lexicon_of[fieldname] = lexicon
        self.tokens[fieldname] = []
        self.token_docs[fieldname] = []
        return lexicon

    def _index(self, fieldname: str, fieldobj: Any, value: Any, docnum: int) -> int:
        if type(fieldobj.format) is self.positions_type and isinstance(value, str):
            analyzer = fieldobj.analyzer
            if type(analyzer) is FoldingAnalyzer:
                words = split_words(value)
            else:
                words = [t.text for t in analyzer(value, positions=True, mode="index")]
            if words:
                if fieldname not in self.lexicon_of:
                    self._lexicon(fieldname, analyzer)
                self.tokens[fieldname] += words
                self.token_docs[fieldname].append((docnum, len(words)))
            return len(words) if fieldobj.scorable else 0
        items = _field_items(fieldname, fieldobj, value)
        length = sum(freq for _, freq, _, _ in items) if fieldobj.scorable else 0
        out = self.items.setdefault(fieldname, [])
        for btext, _, weight, vbytes in items:
            if vbytes:
                raise ValueError(f"field {fieldname!r}: posting values are not supported")
            out.append((btext, docnum, float(weight), length))
        return length

    def finish(self) -> Analysed:
        postings = self.analysed.postings
        for fieldname, lexicon in self.lexicon_of.items():
            numbers = lexicon.numbers(self.tokens[fieldname])
            tids = np.frombuffer(lexicon.word_terms, np.int32)[numbers]
            scorable = bool(self.schema[fieldname].scorable)
            postings[fieldname] = _positions_postings(
                lexicon.terms, tids, self.token_docs[fieldname], scorable
            )
        for fieldname, items in self.items.items():
            postings[fieldname] = _plain_postings(items)
        return self.analysed


# The terms of other fields' values, by (field, value): most repeat (languages,
# kinds, dates, numbers indexed at several precisions).
Items = list[tuple[bytes, int, float, bytes]]  # Whoosh's (term, frequency, weight, value)
_ITEMS: dict[tuple[str, Any], Items] = {}
_ITEMS_MAX = 4096  # a few thousand: ids, URLs and fingerprints never repeat


def _field_items(fieldname: str, fieldobj: Any, value: Any) -> Items:
    try:
        return _ITEMS[fieldname, value]
    except KeyError:
        pass
    except TypeError:  # an unhashable value
        return list(fieldobj.index(value))
    items = list(fieldobj.index(value))
    if len(_ITEMS) >= _ITEMS_MAX:
        _ITEMS.clear()
    _ITEMS[fieldname, value] = items
    return items


def _number_new(vocab: dict[Any, int], items: list[Any]) -> set[Any]:
    """Number the items not yet in ``vocab`` (set operations: no Python loop per
    item); the new ones, iterated in the order they were numbered."""
    new = set(items).difference(vocab)
    if new:
        vocab.update(zip(new, count(len(vocab)), strict=False))
    return new


def _numbers(vocab: dict[Any, int], items: list[Any]) -> NDArray[np.int32]:
    """Each item's number in ``vocab``."""
    return np.fromiter(map(vocab.__getitem__, items), np.int32, len(items))


def _same(word: str) -> str:
    return word


def _vocabulary(terms: Any) -> tuple[list[Any], NDArray[np.int32]]:
    vocab: dict[Any, int] = {}
    tids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), np.int32)
    return list(vocab), tids


def _positions_postings(
    terms: list[bytes], tids: NDArray[np.int32], token_docs: list[tuple[int, int]], scorable: bool
) -> FieldPostings:
    """The postings of one field: ``tids`` numbers every token's term in ``terms``
    (a lexicon's; the postings keep only the terms they use)."""
    doc_arr = np.array([d for d, _ in token_docs], np.int32)
    ntok = np.array([n for _, n in token_docs], np.int32)
    starts = np.cumsum(ntok) - ntok
    docs = np.repeat(doc_arr, ntok)
    positions = (np.arange(len(tids), dtype=np.int64) - np.repeat(starts, ntok)).astype(np.int32)
    lbytes = np.repeat(_length_bytes(ntok) if scorable else np.zeros(len(ntok), np.uint8), ntok)
    # A stable sort by term keeps each term's tokens in (doc, position) order.
    order = np.argsort(tids, kind="stable")
    tids, docs, positions, lbytes = tids[order], docs[order], positions[order], lbytes[order]
    new = np.ones(len(tids), bool)
    new[1:] = (tids[1:] != tids[:-1]) | (docs[1:] != docs[:-1])
    first = np.flatnonzero(new)
    counts = np.diff(np.append(first, len(tids))).astype(np.int32)
    used, local = np.unique(tids[first], return_inverse=True)
    return FieldPostings(
        terms=[terms[t] for t in used.tolist()],
        tids=local.astype(np.int32),
        docs=docs[first],
        lbytes=lbytes[first],
        counts=counts,
        positions=positions,
    )


def _plain_postings(items: list[tuple[bytes, int, float, int]]) -> FieldPostings:
    words, tids = _vocabulary(t for t, _, _, _ in items)
    docs = np.array([d for _, d, _, _ in items], np.int32)
    order = np.lexsort((docs, tids))
    return FieldPostings(
        terms=words,
        tids=tids[order],
        docs=docs[order],
        lbytes=_length_bytes(np.array([n for _, _, _, n in items], np.int64))[order],
        weights=np.array([w for _, _, w, _ in items], np.float64)[order],
    )


def analyse_documents(docs: list[dict[str, Any]]) -> Analysed:
    """The records and postings of ``docs`` (documents as ``index._document`` makes them)."""
    collector = _Collector(_schema(), {})
    for doc in docs:
        collector.add(doc)
    return collector.finish()


def analyse_batch(files: list[CorpusFile]) -> Batch:
    """Read and analyse a batch of corpus files (the worker's task): the same reading,
    guards and skips as ``index._apply``; undetermined articles are left to the parent."""
    # Looked up when called, as _apply does (tests replace them in their modules).
    from . import extract
    from .index import _document

    collector = _Collector(_schema(), _lexicons())
    results = []
    for file in files:
        log = ReadLog()
        result = FileResult(sha=None, ids=[], articles=[])
        try:
            sha, articles = extract.load_source(file, log)
            result.sha = sha
            seen: set[str] = set()
            for article in guarded(articles):
                if article.id in seen:
                    log.skip("repeated record")
                    continue
                seen.add(article.id)
                result.ids.append(article.id)
                if article.lang == language.UNDETERMINED:
                    result.articles.append(article)
                else:
                    docnum = collector.add(_document(article, file, sha))
                    result.articles.append((docnum, article.lang))
        except SkipFile as skip:
            result.skipped = str(skip)
            result.retry = isinstance(skip, CannotOpen)  # not the content's fault
        result.records_skipped = log.skipped
        result.warnings = log.warnings
        results.append(result)
    return Batch(results, collector.finish())


# -- the workers ---------------------------------------------------------------


def _task(files: list[CorpusFile]) -> Batch:
    return analyse_batch(files)  # looked up when run: tests replace it in forked workers


def _init_worker(parent_pid: int) -> None:
    from . import analysis
    from .parallel import _die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _die_with_parent(parent_pid)
    # Each worker keeps its own memo of analysed words, which grew with the archive's
    # vocabulary (about 60 MB a worker at 100k pages); a batch analyses each distinct
    # word once anyway, so a smaller memo costs little.
    analysis.MEMO_WORDS = min(analysis.MEMO_WORDS, WORKER_MEMO_WORDS)


def _batches(files: Sequence[CorpusFile], procs: int) -> Iterator[Batch]:
    """The analysed batches, in file order: from ``procs`` worker processes, or from
    this process for a small corpus."""
    # Sliced as they are sent: a compact listing makes its CorpusFiles then.
    chunks = (list(files[i : i + BATCH_FILES]) for i in range(0, len(files), BATCH_FILES))
    if procs <= 1 or len(files) <= BATCH_FILES:
        for chunk in chunks:
            yield analyse_batch(chunk)
        return
    context = multiprocessing.get_context(START_METHOD)
    executor = ProcessPoolExecutor(
        procs, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
    )
    finished = False
    try:
        todo = chunks
        # The first submission forks the workers from this process's heap, which at
        # archive scale holds a million listed files. Frozen, that heap is never
        # visited by the workers' garbage collections, so its pages stay shared
        # instead of being copied into each worker (at 1M pages each worker's PSS
        # grew to 400 MB of copies).
        gc.freeze()
        try:
            pending: deque[Future[Batch]] = deque(
                executor.submit(_task, chunk) for chunk in islice(todo, procs * IN_FLIGHT)
            )
        finally:
            gc.unfreeze()
        while pending:
            batch = pending.popleft().result()
            chunk = next(todo, [])
            if chunk:
                pending.append(executor.submit(_task, chunk))
            yield batch
        finished = True
    except BrokenProcessPool:
        raise OSError(errno.EIO, "an indexing process was killed") from None
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:
            _stop(executor)


STOP_GRACE = 5.0  # seconds the workers get to finish the batch they hold


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop the workers of an abandoned build (an error, Ctrl-C): batches not yet
    started are dropped, the ones being analysed may finish. Terminated at once, a
    worker could die halfway through sending a result, and the executor's thread,
    waiting for the rest of it, would never end (Ctrl-C then hung the process
    under load); only workers still busy after STOP_GRACE are terminated."""
    manager = getattr(executor, "_executor_manager_thread", None)
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    if manager is None:
        return
    manager.join(STOP_GRACE)
    if manager.is_alive():
        for process in processes:
            if process.is_alive():
                process.terminate()
        manager.join()


# -- writing the segment (in the parent) ----------------------------------------


# Elements read at a time from run files, shared by the runs (each reads at least
# _MIN_WINDOW): merging holds about 40 bytes per element, whatever the number of runs.
_WINDOW = 1 << 20
_MIN_WINDOW = 1 << 12


class _Stream:
    """Sequential reads of one array: in memory, or by windows from the pieces of a
    run (consecutive slices, each in its piece's file), so that merging many runs
    holds only a window of each."""

    def __init__(
        self, source: NDArray[Any] | None, pieces: list[_Slice] | None = None, window: int = 0
    ) -> None:
        self.pieces = pieces or []
        self.window = source if source is not None else np.empty(0, self.pieces[0].dtype)
        self.lo = 0
        self.size = window
        self.count = sum(p.count for p in self.pieces)

    @property
    def read(self) -> int:
        """Elements before it are in memory or consumed: never read again."""
        return self.lo + len(self.window)

    def take(self, start: int, end: int) -> NDArray[Any]:
        """Elements [start, end); ``start`` never goes back before an earlier start."""
        hi = self.read
        if self.pieces and end > hi:
            fresh = self._read(max(start, hi), min(max(end, start + self.size), self.count))
            kept = self.window[start - self.lo :]
            self.window = np.concatenate([kept, fresh]) if len(kept) else fresh
            self.lo = start
        return self.window[start - self.lo : end - self.lo]

    def _read(self, start: int, end: int) -> NDArray[Any]:
        parts = []
        for piece in self.pieces:
            a, b = max(start, piece.start), min(end, piece.start + piece.count)
            if a < b:
                size = piece.dtype.itemsize
                piece.file.seek(piece.offset + (a - piece.start) * size)
                parts.append(np.frombuffer(piece.file.read((b - a) * size), piece.dtype))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


@dataclass
class _Slice:
    """Elements [start, start + count) of an array of a run, in ``file`` at ``offset``."""

    file: Any
    dtype: np.dtype[Any]
    offset: int
    start: int
    count: int


@dataclass
class _Piece:
    """Consecutive terms of one field's run in a file of their own: each array's
    slice (dtype, offset in the file, count; ``offsets``, ``bounds`` and
    ``pbounds`` hold absolute values, and only the last piece their final one)."""

    name: str
    arrays: dict[str, tuple[str, int, int]]


@dataclass
class _Run:
    """One field's postings in one run, as pieces of consecutive terms, and the
    number its documents are stored relative to."""

    pieces: list[_Piece]
    docbase: int


class _SortedField:
    """One field's postings sorted by (term, doc), read in order: each term's bytes
    (``blob`` cut at ``offsets``), postings (``bounds``) and positions (``pbounds``)."""

    def __init__(self, streams: dict[str, _Stream], nterms: int, docbase: int = 0) -> None:
        self.streams = streams
        self.nterms = nterms
        self.docbase = docbase
        self.pending: list[bytes] = []  # terms read ahead, from term number ``at``
        self.at = 0
        self.tempdir: Any = None
        self.pieces: deque[tuple[_Piece, Any, dict[str, int]]] = deque()

    @classmethod
    def of_run(cls, tempdir: Any, run: _Run, runs: int) -> _SortedField:
        """Read ``run`` (one of ``runs`` merged together) by windows, each piece
        deleted once read."""
        window = max(_MIN_WINDOW, _WINDOW // runs)
        field = cls({}, 0, run.docbase)
        field.tempdir = tempdir
        slices: dict[str, list[_Slice]] = {}
        try:
            for piece in run.pieces:
                f = tempdir.open_file(piece.name)
                ends = {}
                for key, (dtype, offset, count) in piece.arrays.items():
                    at = sum(s.count for s in slices.get(key, []))
                    slices.setdefault(key, []).append(_Slice(f, np.dtype(dtype), offset, at, count))
                    ends[key] = at + count
                field.pieces.append((piece, f, ends))
        except BaseException:
            field.close()
            raise
        field.streams = {key: _Stream(None, s, window) for key, s in slices.items()}
        field.nterms = field.streams["offsets"].count - 1
        return field

    def release(self) -> None:
        """Delete the pieces read to their end (each element is read once)."""
        while self.pieces:
            piece, f, ends = self.pieces[0]
            if any(self.streams[key].read < end for key, end in ends.items()):
                return
            self.pieces.popleft()
            f.close()
            self.tempdir.delete_file(piece.name)

    def close(self) -> None:
        """Close and delete the pieces left (the field is merged, or failed)."""
        while self.pieces:
            piece, f, _ = self.pieces.popleft()
            f.close()
            self.tempdir.delete_file(piece.name)

    def ahead(self, count: int) -> list[bytes]:
        """The next ``count`` terms (fewer at the end), without consuming them."""
        want = min(self.at + count, self.nterms)
        have = self.at + len(self.pending)
        if want > have:
            offsets = self.streams["offsets"].take(have, want + 1).tolist()
            blob = self.streams["blob"].take(offsets[0], offsets[-1]).tobytes()
            base = offsets[0]
            self.pending += [
                blob[a - base : b - base] for a, b in zip(offsets, offsets[1:], strict=False)
            ]
        return self.pending

    def more(self, ahead: int) -> bool:
        """Whether terms remain beyond the next ``ahead``."""
        return self.at + ahead < self.nterms

    def fitting(self, budget: int) -> int:
        """How many of the terms read ahead fit in ``budget`` postings plus
        positions (at least one: a term is never split)."""
        s, end = self.streams, self.at + len(self.pending)
        cost = s["bounds"].take(self.at, end + 1).astype(np.int64)
        if "pbounds" in s:
            cost = cost + s["pbounds"].take(self.at, end + 1)
        return max(1, int(np.searchsorted(cost - cost[0], budget, side="right")) - 1)

    def next_cost(self) -> int:
        """Postings plus positions of the next term (read ahead)."""
        s = self.streams
        cost = s["bounds"].take(self.at, self.at + 2)
        if "pbounds" in s:
            cost = cost + s["pbounds"].take(self.at, self.at + 2)
        return int(cost[1] - cost[0])

    def take_slices(self, budget: int) -> Iterator[dict[str, NDArray[Any]]]:
        """Consume the next term (read ahead), its postings by slices of about
        ``budget`` postings plus positions (a posting is never split), with the
        arrays of ``take`` less ``df`` and ``npos``."""
        t0 = self.at
        self.pending, self.at = self.pending[1:], t0 + 1
        s = self.streams
        a, b = (int(x) for x in s["bounds"].take(t0, t0 + 2))
        p = int(s["pbounds"].take(t0, t0 + 2)[0]) if "counts" in s else 0
        while a < b:
            end = min(b, a + max(1, budget))
            out: dict[str, NDArray[Any]] = {}
            if "counts" in s:
                counts = s["counts"].take(a, end)
                cost = np.cumsum(counts, dtype=np.int64) + np.arange(1, len(counts) + 1)
                end = a + max(1, int(np.searchsorted(cost, budget, side="right")))
                out["counts"] = counts = counts[: end - a]
                q = p + int(counts.sum(dtype=np.int64))
                out["positions"] = s["positions"].take(p, q)
                p = q
            out["docs"] = s["docs"].take(a, end).astype(np.int64) + self.docbase
            out["lbytes"] = s["lbytes"].take(a, end)
            if "weights" in s:
                out["weights"] = s["weights"].take(a, end)
            yield out
            a = end

    def take(self, count: int) -> tuple[list[bytes], dict[str, NDArray[Any]]]:
        """Consume the next ``count`` terms: them, and their postings' arrays (plus
        ``df``, postings per term, and ``npos``, positions per term)."""
        t0, t1 = self.at, self.at + count
        terms, self.pending, self.at = self.pending[:count], self.pending[count:], t1
        s = self.streams
        bounds = s["bounds"].take(t0, t1 + 1)
        a, b = int(bounds[0]), int(bounds[-1])
        out = {
            "df": np.diff(bounds),
            "docs": s["docs"].take(a, b).astype(np.int64) + self.docbase,
            "lbytes": s["lbytes"].take(a, b),
        }
        if "weights" in s:
            out["weights"] = s["weights"].take(a, b)
        if "counts" in s:
            pbounds = s["pbounds"].take(t0, t1 + 1)
            out["counts"] = s["counts"].take(a, b)
            out["positions"] = s["positions"].take(int(pbounds[0]), int(pbounds[-1]))
        return terms, out


class _FieldBuffer:
    """One field's postings since the last run, as chunks of arrays."""

    def __init__(self) -> None:
        self.vocab: dict[bytes, int] = {}
        self.chunks: list[FieldPostings] = []

    def add(self, postings: FieldPostings, docmap: NDArray[np.int64]) -> None:
        vocab, terms = self.vocab, postings.terms
        _number_new(vocab, terms)
        remap = _numbers(vocab, terms)
        self.chunks.append(
            FieldPostings(
                terms=[],
                tids=remap[postings.tids],
                docs=docmap[postings.docs].astype(np.int32),
                lbytes=postings.lbytes,
                weights=postings.weights,
                counts=postings.counts,
                positions=postings.positions,
            )
        )

    def narrow_types(self) -> tuple[dict[str, np.dtype[Any]], int]:
        """The narrowest unsigned type for each per-posting array of a run, and the
        number its documents are stored relative to (the first): a run is temporary
        disk, and at full width (4 bytes a position or a document past 65,535) the
        runs of a build were three times its final posting lists."""
        found: dict[str, np.dtype[Any]] = {}
        docbase = 0
        for key in ("docs", "counts", "positions"):
            parts = [getattr(c, key) for c in self.chunks]
            parts = [a for a in parts if a is not None and a.size]
            if not parts:
                continue
            low = min(int(a.min()) for a in parts)
            high = max(int(a.max()) for a in parts)
            if key == "docs":
                docbase, low, high = low, 0, high - low
            if low >= 0:
                found[key] = np.min_scalar_type(high)
        return found, docbase

    def sorted_arrays(self) -> dict[str, Any]:
        """The postings sorted by (term, doc), as the arrays of ``_SortedField``; the
        positions as an iterator of consecutive pieces (never all copied at once)."""
        chunks, self.chunks = self.chunks, []
        terms = sorted(self.vocab)
        rank = np.empty(len(terms), np.int32)
        rank[np.fromiter((self.vocab[t] for t in terms), np.int64, len(terms))] = np.arange(
            len(terms), dtype=np.int32
        )
        ranks = rank[np.concatenate([c.tids for c in chunks])]
        # (Chunks are not all in document order: an undetermined article analysed by
        # the parent comes before the rest of its batch.)
        order = np.lexsort((np.concatenate([c.docs for c in chunks]), ranks))
        bounds = np.searchsorted(ranks[order], np.arange(len(terms) + 1)).astype(np.int64)
        del ranks
        lengths = np.fromiter(map(len, terms), np.int64, len(terms))
        arrays: dict[str, Any] = {
            "blob": np.frombuffer(b"".join(terms), np.uint8),
            "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            "bounds": bounds,
            "docs": np.concatenate([c.docs for c in chunks])[order],
            "lbytes": np.concatenate([c.lbytes for c in chunks])[order],
        }
        if chunks[0].counts is not None:
            raw_counts = np.concatenate([c.counts for c in chunks if c.counts is not None])
            counts = raw_counts[order]
            ends = np.cumsum(counts, dtype=np.int64)
            arrays["counts"] = counts
            arrays["pbounds"] = np.concatenate([[0], ends])[bounds]
            arrays["positions"] = _gathered_positions(chunks, raw_counts, order)
        else:
            weights = np.concatenate([c.weights for c in chunks if c.weights is not None])
            arrays["weights"] = weights[order]
        return arrays


_GATHER = 1 << 18  # postings whose positions are put in order at a time


def _gathered_positions(
    chunks: list[FieldPostings], raw_counts: NDArray[np.int32], order: NDArray[np.int64]
) -> Iterator[NDArray[np.int32]]:
    """The positions of the postings taken in ``order``, piece by piece."""
    raw = np.empty(int(raw_counts.sum()), np.int32)
    at = 0
    for chunk in chunks:  # moved into ``raw`` one by one: never held twice
        if chunk.positions is not None:
            raw[at : at + len(chunk.positions)] = chunk.positions
            at += len(chunk.positions)
            chunk.positions = None
    chunks.clear()
    starts = np.cumsum(raw_counts, dtype=np.int64) - raw_counts
    for a in range(0, len(order), _GATHER):
        picked = order[a : a + _GATHER]
        counts = raw_counts[picked].astype(np.int64)
        ends = np.cumsum(counts)
        gather = np.repeat(starts[picked] - (ends - counts), counts)
        gather += np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
        yield raw[gather]


_PIECE_COST = 1 << 21  # postings plus positions of a run's piece (about 5 MB)


def _pieces(arrays: dict[str, Any]) -> Iterator[dict[str, Iterable[NDArray[Any]]]]:
    """The sorted arrays of ``_FieldBuffer`` cut into pieces of consecutive terms;
    ``offsets``, ``bounds`` and ``pbounds`` keep their values, and only the last
    piece their final element (the pieces, joined, are the arrays); each array in
    one or more parts."""
    bounds = arrays["bounds"]
    nterms = len(bounds) - 1
    cost = bounds + arrays["pbounds"] if "pbounds" in arrays else bounds
    found = np.searchsorted(cost, np.arange(1, int(cost[-1]) // _PIECE_COST + 1) * _PIECE_COST)
    cuts = [0, *np.unique(found[(found > 0) & (found < nterms)]).tolist(), nterms]
    positions = _Reader(arrays["positions"]) if "positions" in arrays else None
    for t0, t1 in zip(cuts[:-1], cuts[1:], strict=True):
        last = t1 == nterms
        offsets, b = arrays["offsets"], bounds
        cut: dict[str, Iterable[NDArray[Any]]] = {
            "blob": [arrays["blob"][offsets[t0] : offsets[t1]]],
            "offsets": [offsets[t0 : t1 + last]],
            "bounds": [b[t0 : t1 + last]],
            "docs": [arrays["docs"][b[t0] : b[t1]]],
            "lbytes": [arrays["lbytes"][b[t0] : b[t1]]],
        }
        if positions is not None:
            pbounds = arrays["pbounds"]
            cut["counts"] = [arrays["counts"][b[t0] : b[t1]]]
            cut["pbounds"] = [pbounds[t0 : t1 + last]]
            cut["positions"] = positions.next(int(pbounds[t1] - pbounds[t0]))
        else:
            cut["weights"] = [arrays["weights"][b[t0] : b[t1]]]
        yield cut


class _Reader:
    """Consecutive slices of an array given as an iterator of pieces."""

    def __init__(self, pieces: Iterator[NDArray[Any]]) -> None:
        self.pieces = pieces
        self.left: NDArray[Any] = np.empty(0, np.int32)

    def next(self, count: int) -> Iterator[NDArray[Any]]:
        """The next ``count`` elements, in parts read as they are asked for (never
        all held at once)."""
        while count > 0:
            if not len(self.left):
                self.left = next(self.pieces)
            part, self.left = self.left[:count], self.left[count:]
            count -= len(part)
            yield part


class _Builder:
    """The one segment of a rebuild: per-document data written as documents arrive;
    postings buffered, spilled as sorted runs when over budget, merged at the end."""

    def __init__(
        self,
        codec: Any,
        storage: Any,
        indexname: str,
        schema: Any,
        compound: bool,
        tempname: str | None = None,
    ) -> None:
        self.codec = codec
        self.storage = storage
        self.schema = schema
        self.segment = segment = codec.new_segment(storage, indexname)
        self.compound: _CompoundWriter | None = None
        stored = whoosh3.W3Codec.column_filename(segment, "_stored")
        if compound and segment.should_assemble():
            self.compound = _CompoundWriter(segment, storage)
            self.perdoc = _PerDocWriter(codec, storage, segment, self.compound.part(stored))
        else:
            self.perdoc = _PerDocWriter(codec, storage, segment, storage.create_file(stored))
        self.doc_count = 0
        self.buffers: dict[str, _FieldBuffer] = {}
        self.nbytes = 0
        self.tempdir = storage.temp_storage(tempname or f"{indexname}.tmp")
        self.runs: dict[str, list[_Run]] = {}  # each field's runs, in document order
        self.spills = 0

    def add_records(self, records: list[FieldRecord]) -> int:
        """Write one document's stored values, lengths and columns, as
        ``SegmentWriter.add_document`` does; return its number in the segment."""
        perdoc, schema = self.perdoc, self.schema
        docnum = self.doc_count
        perdoc.start_doc(docnum)
        for fieldname, stored, length, has_column, cv in records:
            fieldobj = schema[fieldname]
            perdoc.add_field(fieldname, fieldobj, stored, length)
            if has_column:
                perdoc.add_column_value(fieldname, fieldobj.column_type, cv)
        perdoc.finish_doc()
        self.doc_count += 1
        return docnum

    def add_postings(self, analysed: Analysed, docmap: NDArray[np.int64]) -> None:
        for fieldname, postings in analysed.postings.items():
            buffer = self.buffers.get(fieldname)
            if buffer is None:
                buffer = self.buffers[fieldname] = _FieldBuffer()
            buffer.add(postings, docmap)
            self.nbytes += postings.nbytes()

    def spill(self) -> None:
        """Write the buffered postings, sorted, as runs of raw arrays, each field's
        in pieces of consecutive terms, one file each: the merge deletes a piece
        once read, so the runs shrink as the posting lists grow (the merge held
        every run and most of the postings written from them at once)."""
        number = self.spills
        for fieldname in sorted(self.buffers):
            buffer = self.buffers.pop(fieldname)
            narrow, docbase = buffer.narrow_types()
            arrays = buffer.sorted_arrays()
            run = _Run([], docbase)
            for k, cut in enumerate(_pieces(arrays)):
                piece = _Piece(f"run{number}.{fieldname}.{k}.postings", {})
                with self.tempdir.create_file(piece.name) as f:
                    offset = 0
                    for key, parts in cut.items():
                        count, dtype = 0, np.dtype(narrow.get(key, "<i4"))
                        for data in parts:  # the positions in parts: never all copied
                            if key == "docs" and key in narrow:  # in the narrow type directly
                                data = np.subtract(
                                    data, np.int64(docbase), dtype=narrow[key], casting="unsafe"
                                )
                            elif key in narrow:
                                data = data.astype(narrow[key])
                            f.write(np.ascontiguousarray(data).data)
                            count, dtype = count + len(data), data.dtype
                        piece.arrays[key] = (dtype.str, offset, count)
                        offset += count * dtype.itemsize
                run.pieces.append(piece)
            del arrays
            self.runs.setdefault(fieldname, []).append(run)
        self.spills += 1
        self.nbytes = 0
        _give_back_memory()

    def finish(self) -> Any:
        """Write the postings (merging the runs) and assemble the segment."""
        self.perdoc.close()
        if self.runs and self.buffers:
            self.spill()  # read back by windows with the others: memory stays bounded
        memory = {}
        for name, buffer in sorted(self.buffers.items()):
            arrays = buffer.sorted_arrays()
            if "positions" in arrays:
                arrays["positions"] = np.concatenate(list(arrays["positions"]))
            memory[name] = arrays
        self.buffers = {}
        writer = _FieldWriter(self.codec, self.storage, self.segment, self.compound, self.tempdir)
        try:
            for fieldname in sorted(set(memory).union(self.runs)):
                runs = self.runs.pop(fieldname, [])
                sources: list[_SortedField] = []
                try:
                    _allow_open_files(sum(len(run.pieces) for run in runs))
                    for run in runs:
                        sources.append(_SortedField.of_run(self.tempdir, run, len(runs)))
                    if fieldname in memory:
                        arrays = memory.pop(fieldname)
                        streams = {key: _Stream(a) for key, a in arrays.items()}
                        sources.append(_SortedField(streams, len(arrays["offsets"]) - 1))
                    fieldobj = self.schema[fieldname]
                    writer.start_field(fieldname, fieldobj)
                    _write_field(writer, fieldobj, sources)
                    writer.finish_field()
                finally:
                    for source in sources:
                        source.close()
                _give_back_memory()
        finally:
            writer.close()
        self.segment.set_doc_count(self.doc_count)
        if self.compound is not None:
            self.compound.finish()
        return self.segment

    def close(self) -> None:
        """Close the files left open by an error (the folder is deleted)."""
        if self.compound is not None and not self.compound.file.is_closed:
            self.compound.file.close()


def _allow_open_files(count: int) -> None:
    """Let ``count`` more files be open at once, raising the soft limit up to the hard
    one: a field's merge opens every piece of every run, and a million pages make
    several hundred runs, past the usual soft limit of 1024."""
    try:
        import resource
    except ImportError:  # no such limit to raise (Windows)
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + 256  # the process's own files, and the segment's
    if soft == resource.RLIM_INFINITY or soft >= want:
        return
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard)
    )


class _PerDocWriter(whoosh3.W3PerDocWriter):  # type: ignore[misc]  # whoosh is untyped
    """W3's per-document writer, the stored fields written straight to ``stored``
    (their final file, or their part of the compound segment) instead of joining
    the other columns in a temporary file copied out at the end: they are most of
    the segment, and were on disk twice while copied."""

    def __init__(self, codec: Any, storage: Any, segment: Any, stored: Any) -> None:
        self._stored_file = stored
        super().__init__(codec, storage, segment)

    def _create_column(self, fieldname: str, column: Any) -> None:
        if fieldname == "_stored":
            self._colwriters[fieldname] = column.writer(self._stored_file)
        else:
            super()._create_column(fieldname, column)

    def close(self) -> None:
        super().close()  # finishes every column, the stored fields' included
        self._stored_file.close()


class _FieldWriter(FocalFieldWriter):
    """The codec's field writer; in a compound segment, the posting lists written
    in place, then the term index after them, from its rows kept meanwhile in
    temporary files (``_TermRows``): written apart and copied in, it was the
    largest temporary file at the end of a build."""

    _tindex: Any

    def __init__(
        self, codec: Any, storage: Any, segment: Any, compound: _CompoundWriter | None, tempdir: Any
    ) -> None:
        self._compound = compound
        super().__init__(codec, storage, segment)
        self._rows: _TermRows | None = None
        if compound is not None:
            self._rows = _TermRows(tempdir)
            self._rows.extras = self._tindex.extras  # the field map, filled as fields start
            self._tindex = None  # every row goes through add_rows

    def _create_file(self, ext: str) -> Any:
        if self._compound is None:
            return super()._create_file(ext)
        if ext == whoosh3.W3Codec.POSTS_EXT:
            return self._compound.part(self._segment.make_filename(ext))
        return StructFile(BytesIO())  # the term index: written at close

    def add_rows(self, keys: list[bytes], rows: bytes, size: int) -> None:
        """Add the term index's rows (``size`` bytes each) of ``keys``, in order."""
        if self._rows is not None:
            self._rows.add(keys, rows, size)
            return
        self._tindex.add_many(keys, rows, size)

    def close(self) -> None:
        if self._rows is None or self._compound is None:
            super().close()
            return
        from whoosh.filedb.filetables import OrderedHashWriter

        self._postfile.close()
        name = self._segment.make_filename(whoosh3.W3Codec.TERMS_EXT)
        tindex = CompactTermIndex.adopt(OrderedHashWriter(self._compound.part(name)))
        tindex.extras = self._rows.extras
        for keys, rows, size in self._rows.replay():
            tindex.add_many(keys, rows, size)
        tindex.close()
        self.is_closed = True


_ROWS_FILE = 1 << 22  # bytes of term index rows kept per temporary file


class _TermRows:
    """The term index's rows, in order, in temporary files of about ``_ROWS_FILE``
    bytes, each deleted once read back."""

    def __init__(self, tempdir: Any) -> None:
        self.tempdir = tempdir
        self.extras: dict[str, Any] = {}
        self.names: list[str] = []
        self.file: Any = None

    def add(self, keys: list[bytes], rows: bytes, size: int) -> None:
        if self.file is None or self.file.tell() >= _ROWS_FILE:
            if self.file is not None:
                self.file.close()
            self.names.append(f"terms{len(self.names)}.rows")
            self.file = self.tempdir.create_file(self.names[-1])
        blob = b"".join(keys)
        self.file.write(np.array([len(keys), len(blob), size], "<u8").tobytes())
        self.file.write(np.fromiter(map(len, keys), "<u4", len(keys)).tobytes())
        self.file.write(blob)
        self.file.write(rows)

    def replay(self) -> Iterator[tuple[list[bytes], bytes, int]]:
        """Every batch of rows added: its keys, rows and row size."""
        if self.file is not None:
            self.file.close()
            self.file = None
        while self.names:
            name = self.names.pop(0)
            f = self.tempdir.open_file(name)
            try:
                data = f.read()
            finally:
                f.close()
            self.tempdir.delete_file(name)
            at = 0
            while at < len(data):
                n, length, size = np.frombuffer(data, "<u8", 3, at).tolist()
                at += 24
                ends = np.cumsum(np.frombuffer(data, "<u4", n, at), dtype=np.int64).tolist()
                at += 4 * n
                blob = data[at : at + length]
                at += length
                keys = [blob[a:b] for a, b in zip([0, *ends], ends, strict=False)]
                yield keys, data[at : at + n * size], size
                at += n * size


class _CompoundWriter:
    """The compound segment, written as the build goes: Whoosh assembles it from
    the finished files, so the folder held the segment twice (the largest
    temporary disk of a build). Here the stored fields (from the first document)
    and the posting lists (as the runs are merged) are written in place; the other
    parts are copied in at the end, each deleted once copied. A kill midway leaves
    a generation that is never switched in, as any interrupted rebuild."""

    def __init__(self, segment: Any, storage: Any) -> None:
        self.segment = segment
        self.storage = storage
        self.file = segment.create_file(storage, segment.COMPOUND_EXT)
        self.file.write_long(0)  # where the directory is, written by write_dir
        self.file.write_int(0)
        self.directory: dict[str, dict[str, Any]] = {}

    def part(self, name: str) -> StructFile:
        """A part written in place (one at a time), entered in the directory when
        closed."""
        return StructFile(_Part(self, name), name=name)

    def finish(self) -> None:
        """Copy in the segment's other files, then write the directory."""
        from shutil import copyfileobj

        from whoosh.filedb.compound import CompoundStorage

        storage, out = self.storage, self.file
        own = self.segment.make_filename(self.segment.COMPOUND_EXT)
        for name in self.segment.list_files(storage):
            if name == own:
                continue
            self.directory[name] = {
                "offset": out.tell(),
                "length": storage.file_length(name),
                "modified": storage.file_modified(name),
            }
            part = storage.open_file(name)
            try:
                copyfileobj(part, out)
            finally:
                part.close()
            storage.delete_file(name)
        CompoundStorage.write_dir(out, 0, self.directory, {})
        self.segment.compound = True


class _Part:
    """A file written within the compound segment, from where it starts."""

    def __init__(self, compound: _CompoundWriter, name: str) -> None:
        self.compound = compound
        self.name = name
        self.start = int(compound.file.tell())

    def write(self, data: Any) -> Any:
        return self.compound.file.write(data)

    def tell(self) -> int:
        return int(self.compound.file.tell()) - self.start

    def close(self) -> None:
        entry = {"offset": self.start, "length": self.tell(), "modified": time.time()}
        self.compound.directory[self.name] = entry


def _length_bytes(lengths: NDArray[Any]) -> NDArray[np.uint8]:
    """Whoosh's one-byte encoding of field lengths (0 for none)."""
    from whoosh.util.numeric import length_to_byte

    uniq, inverse = np.unique(lengths, return_inverse=True)
    table = np.array([length_to_byte(int(n)) if n else 0 for n in uniq], np.uint8)
    return table[inverse.reshape(-1)]


_CHUNK_TERMS = 100_000  # terms read ahead (shared by the runs), to choose a chunk from
_MIN_CHUNK_TERMS = 256
_CHUNK_COST = 500_000  # postings plus positions merged and encoded at a time (~100 B each)


def _write_field(writer: Any, fieldobj: Any, sources: list[_SortedField]) -> None:
    """Every term's postings, merged from the runs (which hold consecutive documents:
    a term's postings from run after run are in document order) and encoded by
    chunks of terms with array operations."""
    from bisect import bisect_right

    boost = float(fieldobj.format.field_boost)
    # Terms each run reads ahead. A run whose window ends a chunk too early reads
    # further: where runs hold terms apart (ids, URLs and dates follow the
    # documents), one run at a time takes part, and chunks of a few hundred terms
    # over hundreds of runs made merging a million pages' ids take minutes.
    base = max(_MIN_CHUNK_TERMS, _CHUNK_TERMS // len(sources))
    wants = [base] * len(sources)
    while True:
        windows = [src.ahead(want) for src, want in zip(sources, wants, strict=True)]
        if not any(windows):
            return
        # A term longer than a chunk (a common word: 13M positions at 1M pages) is
        # written on its own, by slices: in a chunk, each of its positions cost
        # about 100 bytes of temporary arrays, the largest memory of a build.
        first = min(w[0] for w in windows if w)
        holders = [src for src, w in zip(sources, windows, strict=True) if w and w[0] == first]
        if sum(src.next_cost() for src in holders) > _CHUNK_COST:
            _write_long_term(writer, first, holders, boost)
            for src in holders:
                src.release()
            continue
        # Every term up to the frontier has been read from every run; the runs whose
        # first term is past it take no part in this chunk. Each of the others offers
        # the terms that fit its share of the budget; the chunk takes every term up
        # to the smallest last term offered by a run that has more to come.
        ends = [w[-1] for src, w in zip(sources, windows, strict=True) if w and src.more(len(w))]
        frontier = min(ends) if ends else None
        active = [k for k, w in enumerate(windows) if w and (frontier is None or w[0] <= frontier)]
        share = max(1, _CHUNK_COST // len(active))
        pivot, limiter = None, -1
        for k in active:
            src, w = sources[k], windows[k]
            n = src.fitting(share)
            if (n < len(w) or src.more(len(w))) and (pivot is None or w[n - 1] < pivot):
                pivot, limiter = w[n - 1], k
        counts = {
            k: len(windows[k]) if pivot is None else bisect_right(windows[k], pivot) for k in active
        }
        taken = [sources[k].take(n) for k, n in counts.items() if n]
        for k, n in counts.items():
            if n:
                sources[k].release()
        small = sum(counts.values()) < _CHUNK_TERMS // 2
        room = sum(map(len, windows)) < 4 * _CHUNK_TERMS  # terms held ahead stay bounded
        if small and room and limiter >= 0 and counts[limiter] == len(windows[limiter]):
            wants[limiter] = min(_CHUNK_TERMS, wants[limiter] * 8)  # its window was the limit
        terms = sorted(set().union(*(t for t, _ in taken)))
        rank = dict(zip(terms, count(), strict=False))
        parts = []
        for run_terms, arrays in taken:
            ranks = np.fromiter(map(rank.__getitem__, run_terms), np.int64, len(run_terms))
            parts.append((np.repeat(ranks, arrays["df"]), arrays))
        _write_chunk(writer, terms, parts, boost)


def _write_chunk(
    writer: Any,
    terms: list[bytes],
    parts: list[tuple[NDArray[np.int64], dict[str, NDArray[Any]]]],
    boost: float,
) -> None:
    """Postings of ``terms`` (from several runs, each posting with its term's rank)
    sorted into term order and written as FA1 posting lists."""
    ranks = np.concatenate([r for r, _ in parts])
    order = np.argsort(ranks, kind="stable")  # run order, so document order, kept
    ranks = ranks[order]

    def joined(key: str) -> NDArray[Any]:
        return np.concatenate([a[key] for _, a in parts])

    docs = joined("docs")[order].astype(np.int64, copy=False)
    lbytes = joined("lbytes")[order]
    counts = positions = None
    if "counts" in parts[0][1]:
        raw_counts = joined("counts").astype(np.int64)
        raw_pos = joined("positions")
        starts = np.cumsum(raw_counts) - raw_counts
        counts = raw_counts[order]
        ends = np.cumsum(counts)
        gather = np.repeat(starts[order] - (ends - counts), counts)
        gather += np.arange(len(raw_pos), dtype=np.int64)
        positions = raw_pos[gather].astype(np.int64)
        weights = counts * boost
    else:
        weights = joined("weights")[order]
    bounds = np.searchsorted(ranks, np.arange(len(terms) + 1))
    blob, sizes, infos = encode_terms(
        bounds, docs, weights.astype(np.float64), lbytes, counts, positions
    )
    _add_terms(writer, terms, [blob.tobytes()], sizes, infos)


_SLICE_COST = 1 << 20  # postings plus positions of a long term read at a time


def _write_long_term(writer: Any, term: bytes, sources: list[_SortedField], boost: float) -> None:
    """One term's postings, from each run in turn (their documents ascend from run
    to run), read by slices: its positions are kept only as gaps, in the narrowest
    type each slice allows, until they are written."""
    docs, lbytes, weights, counts, gaps = [], [], [], [], []
    for src in sources:
        for part in src.take_slices(_SLICE_COST):
            docs.append(part["docs"])
            lbytes.append(part["lbytes"])
            if "counts" in part:
                c = part["counts"].astype(np.int64)
                counts.append(c)
                g = position_gaps(part["positions"].astype(np.int64), c)
                gaps.append(g.astype(np.min_scalar_type(int(g.max(initial=0)))))
            else:
                weights.append(part["weights"])
    all_docs, all_lbytes = np.concatenate(docs), np.concatenate(lbytes)
    all_counts = np.concatenate(counts) if counts else None
    if all_counts is not None:
        all_weights = all_counts * boost
    else:
        all_weights = np.concatenate(weights).astype(np.float64)
    parts = encode_parts(all_docs, all_weights, all_counts, gaps if counts else None)
    size = sum(map(len, parts))
    infos = term_infos(np.array([0, len(all_docs)]), all_docs, all_weights, all_lbytes)
    _add_terms(writer, [term], parts, np.array([size], np.int64), infos)


def _add_terms(
    writer: Any, terms: list[bytes], data: list[bytes], sizes: NDArray[np.int64], infos: Any
) -> None:
    """Write the posting lists of ``terms`` (``data``, ``sizes`` bytes each, in
    order) and their rows of the term index."""
    postfile = writer._postfile  # Whoosh internals, pinned version (whoosh3==3.54.0)
    base = postfile.tell()
    for part in data:
        postfile.write(part)
    infos["offset"] = base + np.cumsum(sizes) - sizes
    infos["length"] = sizes
    rows = infos.tobytes()
    size = infos.dtype.itemsize
    prefix = pack_ushort(writer._fieldid)
    writer.add_rows([prefix + term for term in terms], rows, size)


# -- the rebuild and the update --------------------------------------------------


def write_all(
    ix: Any,
    files: Sequence[CorpusFile],
    indexed: MutableMapping[str, _Source],
    report: SyncReport,
    callbacks: _Callbacks,
    skips: dict[str, _Skip],
    *,
    procs: int | None = None,
    budget_mb: float | None = None,
    compound: bool = True,
) -> None:
    """Index ``files`` into the empty index ``ix`` with one commit, keeping the
    bookkeeping of ``index._apply`` (``indexed``, ``skips``, ``report``, callbacks)."""
    from whoosh.index import TOC, LockError, clean_files

    storage, indexname = ix.storage, ix.indexname
    lock = ix.lock("WRITELOCK")
    if not lock.acquire():
        raise LockError
    info = ix._read_toc()
    adding = _Adding(ix, info.schema, f"{indexname}.tmp", compound)
    try:
        adding.index(files, indexed, report, callbacks, skips, procs, budget_mb)
        segment = adding.finish()
        if segment is not None:
            generation = info.generation + 1
            TOC(info.schema, [segment], generation).write(storage, indexname)
            clean_files(storage, indexname, generation, [segment])
    finally:
        adding.close()
        lock.release()


def write_changes(
    ix: Any,
    files: list[CorpusFile],
    indexed: MutableMapping[str, _Source],
    report: SyncReport,
    callbacks: _Callbacks,
    skips: dict[str, _Skip],
    gone: list[str],
    *,
    procs: int | None = None,
    budget_mb: float | None = None,
) -> None:
    """Update the index ``ix`` with one commit, as ``index._apply`` does: the earlier
    articles of ``files`` and of the ``gone`` sources are deleted, and ``files`` are
    indexed into one new segment written by this module. Whoosh's writer does the
    deletions and its merge policy, so the segments kept are those its own commit
    would keep; only the new articles skip its per-posting pool (at 100k pages, a
    1%-changed update spent most of its time there)."""
    from .index import WRITER_MB
    from .parallel import CompressedSegmentWriter

    writer = CompressedSegmentWriter(ix, limitmb=WRITER_MB)
    # Its own temporary folder: Whoosh's writer destroys "MAIN.tmp" when it finishes.
    adding = _Adding(ix, writer.schema, f"{ix.indexname}.bulk.tmp", compound=writer.compound)
    try:
        searcher = writer.searcher()  # one for all deletions (each opened its own)
        for source in [f.id for f in files if f.id in indexed] + list(gone):
            writer.delete_by_term("source", source, searcher=searcher)
        adding.index(files, indexed, report, callbacks, skips, procs, budget_mb)
        for source in gone:
            report.removed += len(indexed.pop(source).ids)
        new = adding.finish()
        # What SegmentWriter.commit does, with the new segment added to the list, and
        # without the segments whose every article is now deleted (Whoosh keeps them:
        # an archive updated often kept every replaced page on disk).
        segments = [s for s in writer._merge_segments(None, None, None) if s.doc_count()]
        if writer._added:  # small segments merged by the policy
            segments.append(writer._finalize_segment())
        else:
            writer._close_segment()
        if new is not None:
            segments.append(new)
        writer._commit_toc(segments)
    except BaseException:
        adding.close()
        adding.discard()
        writer.cancel()
        raise
    adding.close()
    writer._finish()


class _Adding:
    """New articles going into one new segment of ``ix``, analysed in worker
    processes for a large run; the segment is begun with the first article."""

    def __init__(self, ix: Any, schema: Any, tempname: str, compound: bool) -> None:
        from .codec import FocalCodec

        self.ix = ix
        self.schema = schema
        self.tempname = tempname
        self.compound = compound
        self.codec = FocalCodec()
        self.builder: _Builder | None = None

    def _builder(self) -> _Builder:
        if self.builder is None:
            ix = self.ix
            self.builder = _Builder(
                self.codec, ix.storage, ix.indexname, self.schema, self.compound, self.tempname
            )
        return self.builder

    def index(
        self,
        files: Sequence[CorpusFile],
        indexed: MutableMapping[str, _Source],
        report: SyncReport,
        callbacks: _Callbacks,
        skips: dict[str, _Skip],
        procs: int | None,
        budget_mb: float | None,
    ) -> None:
        """Read and analyse ``files``; add their articles; keep the bookkeeping."""
        from .index import _document, _lang_counts, _Outcome, _record_file, _sha, _skip_sink

        if procs is None:
            big = len(files) >= MIN_FILES or sum(f.size for f in files) >= MIN_BYTES
            procs = PROCS if big else 1
        _arrays_mapped()
        ix = self.ix
        main_language = language.MainLanguage(lambda: _lang_counts(ix, files))
        skip_sink = _skip_sink(report, callbacks.on_skip)
        budget = (BUDGET_MB if budget_mb is None else budget_mb) * 1024 * 1024
        done = 0
        for batch in _batches(files, procs):
            docmap = np.empty(len(batch.analysed.records), np.int64)
            read = files[done : done + len(batch.files)]
            for result, file in zip(batch.files, read, strict=True):
                done += 1
                for entry in result.articles:
                    builder = self._builder()
                    if isinstance(entry, tuple):
                        local, lang = entry
                        main_language.resolve(lang)  # counted, as _apply does
                        docmap[local] = builder.add_records(batch.analysed.records[local])
                    else:
                        entry.lang = main_language.resolve(entry.lang)
                        assert result.sha is not None
                        one = analyse_documents([_document(entry, file, result.sha)])
                        own = builder.add_records(one.records[0])
                        builder.add_postings(one, np.array([own], np.int64))
                if result.skipped:
                    skip_sink(file.path, result.skipped)
                new_ids = set(result.ids)
                old = indexed.get(file.id)
                same = old is not None and _sha(old.fingerprint) == result.sha
                report.count_file(old.ids if old else set(), new_ids, same=same)
                outcome = _Outcome(
                    result.skipped, result.retry, result.records_skipped, result.warnings
                )
                _record_file(
                    file,
                    new_ids,
                    result.sha,
                    outcome,
                    indexed=indexed,
                    skips=skips,
                    report=report,
                    callbacks=callbacks,
                    progress=(done, len(files)),
                )
            if self.builder is not None:
                self.builder.add_postings(batch.analysed, docmap)
                if self.builder.nbytes >= budget:
                    self.builder.spill()

    def finish(self) -> Any:
        """The new segment, written out (None when no article was added)."""
        return None if self.builder is None else self.builder.finish()

    def close(self) -> None:
        if self.builder is not None:
            self.builder.close()
        self.ix.storage.temp_storage(self.tempname).destroy()

    def discard(self) -> None:
        """Delete the new segment's files (after close): no commit names it. (Whoosh's
        next commit would, but an update that keeps failing would fill the disk.)"""
        if self.builder is None:
            return
        storage = self.ix.storage
        try:
            for name in self.builder.segment.list_files(storage):
                storage.delete_file(name)
        except OSError:
            pass  # the error being raised matters more; the next commit cleans up
