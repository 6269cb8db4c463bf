"""The bulk writer builds the same index as Whoosh's writer, and fails cleanly."""

from __future__ import annotations

import json
import multiprocessing
import os
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

import focal_search.bulk as bulk
import focal_search.index as index_module
from focal_search.errors import IndexWriteError
from focal_search.index import sync_index

from .archive_fixtures import Warc, html_page
from .conftest import WriteCorpus, focal_page
from .index_content import index_content


def _pages() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        f"www.focal.ca/en/pub/{n:02}-river-notes.txt": focal_page(
            f"River notes {n}",
            "Ada Moss and Olu Reyes" if n % 2 else "Ada Moss",
            [
                f"The delta ferries carried {n} crates of salt past the old lighthouse.",
                "Harbour pilots argued about tides, ferries and the price of rope; ferries won.",
            ],
            "Ada Moss writes about rivers." if n % 3 == 0 else None,
        )
        for n in range(14)
    }
    files["www.focal.ca/fr/pub/7-fleuves.txt"] = focal_page(
        "Les fleuves du nord",
        "Luc Roy",
        ["Les bateaux remontent les fleuves au printemps, chargés de sel et de bois."],
    )
    files["site/es/caminos.html"] = html_page(
        "Caminos de montaña",
        ["Los caminos de montaña cruzan los valles y los pueblos pequeños del norte."],
        author="Ana Ruiz",
        lang="es",
        date="2009-05-02",
    )
    files["captures/harbour.warc.gz"] = (
        Warc()
        .response(
            "http://harbour.example/en/tides",
            html_page("Tide tables", ["Spring tides lift the ferries above the quay walls."]),
            date="2010-03-01T10:00:00Z",
        )
        .response(
            "http://harbour.example/en/rope",
            html_page("Rope makers", ["The rope makers of the quay twist hemp into cables."]),
            date="2010-03-02T10:00:00Z",
        )
        .bytes()
    )
    # A second capture of the same page: a duplicate the index keeps (collapsed later).
    files["captures/harbour-2011.warc.gz"] = (
        Warc()
        .response(
            "https://harbour.example/en/tides/",
            html_page("Tide tables", ["Spring tides lift the ferries above the new quay."]),
            date="2011-03-01T10:00:00Z",
        )
        .bytes()
    )
    files["export/records.jsonl"] = "\n".join(
        [
            json.dumps(
                {
                    "id": "a1",
                    "title": "Salt roads",
                    "authors": ["Ada Moss"],
                    "date": "2007-08",
                    "lang": "en",
                    "text": "Salt roads joined the delta towns to the mountain passes.",
                }
            ),
            json.dumps({"id": "a1", "title": "Salt roads again", "text": "A repeated id."}),
            "{broken json",
            json.dumps(
                {"id": "a2", "text": "Les marchés du sel ouvraient avant l'aube sur le quai."}
            ),
        ]
    )
    # Too short for detection: takes the archive's main language.
    files["notes/short.txt"] = focal_page("Quay", None, ["Salt."], end_mark=False)
    files["broken.warc.gz"] = b"\x1f\x8b\x08\x00not really gzip at all"
    return files


@pytest.fixture
def corpus(write_corpus: WriteCorpus) -> Path:
    return write_corpus(_pages())


def _build_both(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Any, Path, Path]:
    monkeypatch.setattr(index_module, "BULK", False)
    skipped_whoosh: list[tuple[str, str]] = []
    progress_whoosh: list[tuple[int, int]] = []
    whoosh = sync_index(
        corpus,
        tmp_path / "whoosh",
        on_skip=lambda p, r: skipped_whoosh.append((p, r)),
        on_progress=lambda d, t: progress_whoosh.append((d, t)),
    )
    monkeypatch.setattr(index_module, "BULK", True)
    skipped_bulk: list[tuple[str, str]] = []
    progress_bulk: list[tuple[int, int]] = []
    built = sync_index(
        corpus,
        tmp_path / "bulk",
        on_skip=lambda p, r: skipped_bulk.append((p, r)),
        on_progress=lambda d, t: progress_bulk.append((d, t)),
    )
    assert skipped_bulk == skipped_whoosh and skipped_whoosh
    assert progress_bulk == progress_whoosh
    whoosh.seconds = built.seconds = 0.0
    return whoosh, built, tmp_path / "whoosh", tmp_path / "bulk"


def _generation(folder: Path) -> Path:
    return folder / (folder / "CURRENT").read_text(encoding="utf-8").strip()


def _assert_same(a: Path, b: Path) -> None:
    ca, cb = index_content(a), index_content(b)
    assert ca["doc_count"] > 20
    for key in ca:
        assert ca[key] == cb[key], key
    for name in ("sources.json", "skipped.json"):
        da = json.loads((_generation(a) / name).read_text())
        db = json.loads((_generation(b) / name).read_text())
        assert da == db, name


def _segments(folder: Path) -> int:
    return len(list(_generation(folder).glob("*.seg")))


def test_bulk_build_equals_whoosh_build(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whoosh, built, a, b = _build_both(corpus, tmp_path, monkeypatch)
    assert built == whoosh
    assert built.records_skipped and built.articles == whoosh.articles
    _assert_same(a, b)
    # The short note took the archive's main language (English, most of its pages).
    assert any(stored.get("id") == "notes/short.txt" for stored in index_content(b)["stored"])
    assert _segments(b) == 1


def test_bulk_build_in_workers_with_merged_runs_equals_whoosh_build(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MIN_FILES", 2)
    monkeypatch.setattr(bulk, "BATCH_FILES", 3)
    monkeypatch.setattr(bulk, "BUDGET_MB", 0.002)  # a run every batch or so
    monkeypatch.setattr(bulk, "_CHUNK_TERMS", 7)  # and the runs merged by small chunks
    monkeypatch.setattr(bulk, "_MIN_CHUNK_TERMS", 2)
    monkeypatch.setattr(bulk, "_WINDOW", 16)
    monkeypatch.setattr(bulk, "_MIN_WINDOW", 3)
    monkeypatch.setattr(bulk, "_CHUNK_COST", 60)
    monkeypatch.setattr(bulk, "_PIECE_COST", 50)  # runs in several pieces each
    monkeypatch.setattr(bulk, "_ROWS_FILE", 200)  # the term index rows in several files
    # The workers' word lexicons and field-value memo emptied between batches too.
    monkeypatch.setattr(bulk, "WORKER_MEMO_WORDS", 5)
    monkeypatch.setattr(bulk, "_ITEMS_MAX", 3)
    spills: list[int] = []
    real_spill = bulk._Builder.spill

    def counted(builder: Any) -> None:
        spills.append(builder.doc_count)
        real_spill(builder)

    monkeypatch.setattr(bulk._Builder, "spill", counted)
    # Terms longer than a chunk are written on their own, read by slices.
    monkeypatch.setattr(bulk, "_SLICE_COST", 7)
    long_terms: list[tuple[bytes, int]] = []
    real_long = bulk._write_long_term

    def long_term(writer: Any, term: bytes, sources: list[Any], boost: float) -> None:
        long_terms.append((term, len(sources)))
        real_long(writer, term, sources, boost)

    monkeypatch.setattr(bulk, "_write_long_term", long_term)
    slices: list[int] = []
    real_slices = bulk._SortedField.take_slices

    def sliced(source: Any, budget: int) -> Any:
        for part in real_slices(source, budget):
            slices.append(len(part["docs"]))
            yield part

    monkeypatch.setattr(bulk._SortedField, "take_slices", sliced)
    whoosh, built, a, b = _build_both(corpus, tmp_path, monkeypatch)
    assert built == whoosh
    assert len(spills) >= 3 and _segments(b) == 1
    # Some long terms came from several runs, and some runs' share in several slices.
    assert any(runs > 1 for _, runs in long_terms) and len(slices) > len(long_terms)
    _assert_same(a, b)
    assert multiprocessing.active_children() == []


def _ids(folder: Path) -> set[str]:
    return {s["id"] for s in index_content(folder)["stored"]}


def test_failing_worker_raises_once_and_keeps_the_old_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    before = _ids(ix)
    # Forked workers inherit the sabotaged reader; spawned ones would not.
    assert bulk.START_METHOD == "fork"
    monkeypatch.setattr(bulk, "MIN_FILES", 2)
    monkeypatch.setattr(bulk, "BATCH_FILES", 2)

    def failing(files: list[Any]) -> Any:
        if any("09-river" in str(f.path) for f in files):
            raise OSError(28, "No space left on device")
        return real(files)

    real = bulk.analyse_batch
    monkeypatch.setattr(bulk, "analyse_batch", failing)
    with pytest.raises(IndexWriteError, match="No space left"):
        sync_index(corpus, ix, full=True)
    assert multiprocessing.active_children() == []
    assert _ids(ix) == before
    assert len([p for p in ix.iterdir() if p.name.startswith("gen-")]) == 1


def test_killed_worker_is_an_error_not_a_hang(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    monkeypatch.setattr(bulk, "MIN_FILES", 2)
    monkeypatch.setattr(bulk, "BATCH_FILES", 2)

    def dying(files: list[Any]) -> Any:
        if any("05-river" in str(f.path) for f in files):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(files)

    real = bulk.analyse_batch
    monkeypatch.setattr(bulk, "analyse_batch", dying)
    with pytest.raises(IndexWriteError, match="killed"):
        sync_index(corpus, tmp_path / "ix")
    assert multiprocessing.active_children() == []
    assert not [p for p in (tmp_path / "ix").iterdir() if p.name.startswith("gen-")]


def test_interrupt_stops_the_workers(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MIN_FILES", 2)
    monkeypatch.setattr(bulk, "BATCH_FILES", 2)
    seen: list[int] = []

    def interrupt(done: int, total: int) -> None:
        seen.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_index(corpus, tmp_path / "ix", on_progress=interrupt)
    assert seen == [1, 2, 3]
    assert multiprocessing.active_children() == []
    assert not [p for p in (tmp_path / "ix").iterdir() if p.name.startswith("gen-")]


FULL_DISK = """
import os, sys
from whoosh.filedb import structfile
import focal_search.bulk as bulk_module

bulk_module.MIN_FILES, bulk_module.BATCH_FILES = 1, 10
real, calls = structfile.StructFile.write, [0]

def write(self, *args, **kwargs):  # the disk fills up under the segment being written
    calls[0] += 1
    if calls[0] > 30:
        raise OSError(28, "No space left on device")
    return real(self, *args, **kwargs)

structfile.StructFile.write = write
from focal_search.cli import main
main()
"""


def test_full_disk_is_one_clean_error(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    import subprocess
    import sys

    corpus = write_corpus(
        {f"p{i}.txt": focal_page(f"Page {i}", "Ann Lee", ["Ferries here."]) for i in range(60)}
    )
    script = tmp_path / "runner.py"
    script.write_text(FULL_DISK)
    index = tmp_path / "ix"
    done = subprocess.run(
        [sys.executable, str(script), "reindex", "--corpus", str(corpus), "--index", str(index)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"focal-search: error: could not write the index at {index}: No space left on device",
        "focal-search: hint: free some disk space (or fix permissions) and run reindex again; "
        "the index is as it was before this run",
    ]
    assert not (index / "CURRENT").exists()
    assert not [p for p in index.iterdir() if p.name.startswith("gen-")]


@pytest.mark.parametrize("with_positions", [True, False])
def test_terms_encoded_at_once_equal_term_by_term(with_positions: bool) -> None:
    import numpy as np
    from whoosh.codec.whoosh3 import W3TermInfo
    from whoosh.util.numeric import byte_to_length

    from focal_search.bulkcodec import encode_terms
    from focal_search.codec import _record_stats, encode_postings

    rng = np.random.default_rng(7)
    # Terms with one posting, a few, many; gaps and positions needing 1, 2 and 4 bytes.
    dfs = [1, 1, 3, 200, 2, 1, 40, 5]
    spans = [10, 300, 70_000, 100_000, 5, 2**20, 1000, 9]
    docs, weights, lbytes, counts, positions = [], [], [], [], []
    for n, span in zip(dfs, spans, strict=True):
        ids = np.sort(rng.choice(span * 4, size=n, replace=False)).astype(np.int64)
        docs.append(ids)
        lbytes.append(rng.integers(0, 256, n).astype(np.uint8))
        c = rng.integers(1, 4 if span < 100 else 300, n).astype(np.int64)
        counts.append(c)
        for k in c:
            positions.append(np.sort(rng.choice(span * 2 + int(k), size=int(k), replace=False)))
        kind = span % 4
        w = c * 1.0 if with_positions and kind else np.ones(n)
        if not with_positions and kind == 1:
            w = rng.integers(0, 300, n).astype(np.float64)
        elif not with_positions and kind == 2:
            w = rng.random(n) * 3
        weights.append(w)
    bounds = np.concatenate([[0], np.cumsum(dfs)])
    flat = np.concatenate(positions).astype(np.int64)
    all_counts = np.concatenate(counts) if with_positions else None
    blob, sizes, infos = encode_terms(
        bounds,
        np.concatenate(docs),
        np.concatenate(weights),
        np.concatenate(lbytes),
        all_counts,
        flat if with_positions else None,
    )
    at = 0
    pos_at = 0
    for t in range(len(dfs)):
        one_counts = counts[t] if with_positions else None
        one_pos = None
        if with_positions:
            one_pos = flat[pos_at : pos_at + int(counts[t].sum())]
            pos_at += int(counts[t].sum())
        expected = encode_postings(docs[t], weights[t], one_counts, one_pos)
        assert blob[at : at + sizes[t]].tobytes() == expected, t
        info = W3TermInfo()
        lengths = np.array([byte_to_length(int(b)) if b else 0 for b in lbytes[t]])
        _record_stats(info, docs[t], weights[t], lengths)
        info.set_extent(at, int(sizes[t]))
        row = infos[t : t + 1].copy()
        row["offset"], row["length"] = at, sizes[t]
        assert row.tobytes() == info.to_bytes(), t
        at += int(sizes[t])


def test_a_run_read_back_in_pieces_is_what_was_spilled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents far past 65,535 stored relative to the run's first, positions in
    parts, pieces of a few terms each: every posting comes back, in order, and every
    piece is deleted once read."""
    import numpy as np
    from whoosh.filedb.filestore import FileStorage

    monkeypatch.setattr(bulk, "_PIECE_COST", 40)
    monkeypatch.setattr(bulk, "_GATHER", 7)
    monkeypatch.setattr(bulk, "_WINDOW", 16)
    monkeypatch.setattr(bulk, "_MIN_WINDOW", 5)
    rng = np.random.default_rng(3)
    terms = [f"t{n:03}".encode() for n in range(30)]
    tids = np.sort(np.concatenate([np.arange(30), rng.integers(0, 30, 90)])).astype(np.int32)
    docs = np.arange(120, dtype=np.int32)  # batch-local numbers, sorted within each term
    counts = rng.integers(1, 5, 120).astype(np.int32)
    positions = np.concatenate([np.sort(rng.choice(900, int(c), replace=False)) for c in counts])
    postings = bulk.FieldPostings(
        terms=terms,
        tids=tids,
        docs=docs,
        lbytes=rng.integers(0, 256, 120).astype(np.uint8),
        counts=counts,
        positions=positions.astype(np.int32),
    )
    builder = bulk._Builder.__new__(bulk._Builder)
    builder.buffers, builder.runs, builder.spills, builder.nbytes = {}, {}, 0, 0
    builder.tempdir = FileStorage(str(tmp_path)).create()
    builder.add_postings(
        bulk.Analysed(postings={"body": postings}), np.arange(120, dtype=np.int64) * 3 + 200_000
    )
    builder.spill()
    (run,) = builder.runs["body"]
    assert run.docbase == 200_000 and len(run.pieces) > 3
    source = bulk._SortedField.of_run(builder.tempdir, run, 1)
    seen_terms, seen_docs, seen_positions = [], [], []
    while source.ahead(4):
        got, arrays = source.take(min(4, len(source.pending)))
        source.release()
        seen_terms += got
        seen_docs.append(arrays["docs"])
        seen_positions.append(arrays["positions"])
    assert seen_terms == terms
    assert np.concatenate(seen_docs).tolist() == (docs * 3 + 200_000).tolist()
    assert np.concatenate(seen_positions).tolist() == positions.tolist()
    assert not list(tmp_path.iterdir())


def _change(corpus: Path) -> None:
    """Edit two pages and a capture file, remove one page, add one, touch one."""
    first = corpus / "www.focal.ca/en/pub/01-river-notes.txt"
    first.write_text(first.read_text().replace("salt", "pepper"), encoding="utf-8")
    second = corpus / "www.focal.ca/fr/pub/7-fleuves.txt"
    second.write_text(second.read_text() + "\nLes ponts aussi.\n", encoding="utf-8")
    (corpus / "captures/harbour-2011.warc.gz").write_bytes(
        Warc()
        .response(
            "https://harbour.example/en/tides/",
            html_page("Tide tables", ["Neap tides leave the ferries below the quay."]),
            date="2011-04-01T10:00:00Z",
        )
        .bytes()
    )
    (corpus / "www.focal.ca/en/pub/02-river-notes.txt").unlink()
    (corpus / "www.focal.ca/en/pub/99-new.txt").write_text(
        focal_page("A new page", "Olu Reyes", ["Ferries at dawn, salt at dusk."]), encoding="utf-8"
    )
    touched = corpus / "www.focal.ca/en/pub/03-river-notes.txt"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))


@pytest.mark.parametrize("workers", [False, True])
def test_bulk_update_equals_whoosh_update(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: bool
) -> None:
    if workers:
        monkeypatch.setattr(bulk, "MIN_FILES", 2)
        monkeypatch.setattr(bulk, "BATCH_FILES", 2)
    corpus = write_corpus(_pages())
    _build_both(corpus, tmp_path, monkeypatch)
    _change(corpus)
    reports = {}
    for name, flag in (("whoosh", False), ("bulk", True)):
        monkeypatch.setattr(index_module, "BULK", flag)
        heard: list[Any] = []
        report = sync_index(
            corpus,
            tmp_path / name,
            on_skip=lambda p, r, heard=heard: heard.append((p, r)),
            on_progress=lambda d, t, heard=heard: heard.append((d, t)),
        )
        report.seconds = 0.0
        reports[name] = (report, heard)
    assert reports["bulk"] == reports["whoosh"]
    report = reports["bulk"][0]
    assert (report.added, report.updated, report.removed) == (1, 3, 1) and report.unchanged
    _assert_same(tmp_path / "whoosh", tmp_path / "bulk")
    assert _segments(tmp_path / "bulk") == 2
    assert multiprocessing.active_children() == []


def test_update_drops_segments_whose_articles_are_all_replaced(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = write_corpus(_pages())
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    page = corpus / "www.focal.ca/en/pub/01-river-notes.txt"
    for word in ("pepper", "saffron", "cumin"):
        page.write_text(focal_page("River notes 1", "Ada Moss", [f"Crates of {word}."]))
        assert sync_index(corpus, ix).updated == 1
        assert _segments(ix) == 2  # the first build's, and this update's
    content = index_content(ix)
    assert content["doc_count"] == content["doc_count_all"] - 1  # the first version
    stored = [s for s in content["stored"] if s["id"].endswith("01-river-notes.txt")]
    assert len(stored) == 2 and "cumin" in stored[-1]["body"]


def test_failed_update_leaves_the_last_commit(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    before = index_content(ix)
    _change(corpus)

    def broken(self: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bulk._Builder, "finish", broken)
    with pytest.raises(IndexWriteError):
        sync_index(corpus, ix)
    assert index_content(ix) == before
    leftovers = {p.name for p in _generation(ix).iterdir() if p.name.endswith(".tmp")}
    assert not leftovers and _segments(ix) == 1  # the half-written segment's file removed
    monkeypatch.undo()
    assert sync_index(corpus, ix).added == 1


def test_many_updates_fold_their_small_segments_into_one(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "MAX_SEGMENTS", 3)
    corpus = write_corpus(_pages())
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    pages = sorted((corpus / "www.focal.ca/en/pub").glob("*.txt"))
    counts = []
    for n, page in enumerate(pages[:5]):
        page.write_text(focal_page(f"River notes {n}", "Ada Moss", [f"Crates of spice {n}."]))
        report = sync_index(corpus, ix)
        assert (report.updated, report.added, report.removed) == (1, 0, 0)
        counts.append(_segments(ix))
    # Segments accumulate to the limit, then the next update reads the small ones'
    # files again into its own segment: the first build's and that one remain.
    assert counts == [2, 3, 4, 2, 3]
    fresh = tmp_path / "fresh"
    sync_index(corpus, fresh)
    with index_module.open_index(ix) as a, index_module.open_index(fresh) as b:
        with a.whoosh.searcher() as sa, b.whoosh.searcher() as sb:
            live = sorted((d["id"], d["body"]) for d in sa.all_stored_fields())
            assert live == sorted((d["id"], d["body"]) for d in sb.all_stored_fields())
    assert any("spice 4" in body for _, body in live)


@pytest.mark.parametrize("layout", ["apart", "mixed"])
def test_merging_many_runs_writes_every_term_once_in_order(
    layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs whose terms lie apart (ids follow the documents: one run at a time takes
    part, and reads further ahead) or mixed, merged by small chunks: every term is
    written once, in order, with each run's postings after the runs before it."""
    import numpy as np

    from focal_search.bulkcodec import TERM_INFO
    from focal_search.codec import decode_postings

    monkeypatch.setattr(bulk, "_CHUNK_TERMS", 40)
    monkeypatch.setattr(bulk, "_MIN_CHUNK_TERMS", 2)
    monkeypatch.setattr(bulk, "_CHUNK_COST", 60)
    rng = np.random.default_rng(5)
    expected: dict[bytes, list[int]] = {}
    sources = []
    for run in range(30):
        count = int(rng.integers(1, 50))
        if layout == "apart":
            terms = [b"id%03d-%03d" % (run, i) for i in range(count)]
        else:
            terms = sorted({b"w%03d" % w for w in rng.integers(0, 400, count)})
        docbase = run * 10
        docs, bounds = [], [0]
        for term in terms:
            mine = sorted(rng.choice(10, int(rng.integers(1, 4)), replace=False).tolist())
            docs += mine
            bounds.append(len(docs))
            expected.setdefault(term, []).extend(d + docbase for d in mine)
        arrays = {
            "offsets": np.concatenate([[0], np.cumsum([len(t) for t in terms])]),
            "blob": np.frombuffer(b"".join(terms), np.uint8),
            "bounds": np.array(bounds),
            "docs": np.array(docs, np.int32),
            "lbytes": np.ones(len(docs), np.uint8),
            "weights": np.ones(len(docs), np.float32),
        }
        streams = {key: bulk._Stream(a) for key, a in arrays.items()}
        sources.append(bulk._SortedField(streams, len(terms), docbase))

    class Writer:
        _fieldid = 0

        def __init__(self) -> None:
            self._postfile = BytesIO()
            self.rows: list[tuple[bytes, Any]] = []

        def add_rows(self, keys: list[bytes], rows: bytes, size: int) -> None:
            self.rows += zip(keys, np.frombuffer(rows, TERM_INFO), strict=True)

    class Field:
        class format:  # noqa: N801 - Whoosh's attribute name
            field_boost = 1.0

    writer = Writer()
    bulk._write_field(writer, Field, sources)
    data = writer._postfile.getvalue()
    assert [key[2:] for key, _ in writer.rows] == sorted(expected)
    for key, info in writer.rows:
        start = int(info["offset"])
        ids = decode_postings(data[start : start + int(info["length"])]).ids
        assert ids.tolist() == expected[key[2:]]


def test_merge_of_more_runs_than_the_open_file_limit(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A field's merge opens every piece of every run at once: a low soft limit on
    open files is raised (up to the hard limit) instead of failing the build."""
    resource = pytest.importorskip("resource")
    monkeypatch.setattr(bulk, "BUDGET_MB", 0.0005)  # a run every few files
    monkeypatch.setattr(bulk, "_PIECE_COST", 5)  # and each in many pieces
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 48), hard))
    try:
        _, built, _, b = _build_both(corpus, tmp_path, monkeypatch)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 48
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert built.articles and _segments(b) == 1
