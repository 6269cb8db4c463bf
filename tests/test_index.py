"""Index sync: full build, incremental add/change/delete/no-op, bad files, versions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from focal_search.errors import (
    CorpusMissing,
    IndexIncompatible,
    IndexLocked,
    IndexMissing,
    IndexWriteError,
)
from focal_search.index import META, _write_lock, open_index, sync_index

from .conftest import WriteCorpus, focal_page


def ids(index_dir: Path) -> set[str]:
    with open_index(index_dir) as ix, ix.whoosh.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


@pytest.fixture
def corpus(write_corpus: WriteCorpus) -> Path:
    return write_corpus(
        {
            "a.txt": focal_page("Alpha", "Ann Lee", ["Alpha text about trade."]),
            "sub/b.txt": focal_page("Beta", "Bob Ray", ["Beta text about borders."]),
        }
    )


def test_first_sync_builds_everything(corpus: Path, tmp_path: Path) -> None:
    report = sync_index(corpus, tmp_path / "ix")
    assert (report.full, report.added, report.articles) == (True, 2, 2)
    assert ids(tmp_path / "ix") == {"a.txt", "sub/b.txt"}


def test_noop_sync_reads_nothing(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    sync_index(corpus, tmp_path / "ix")
    from focal_search import extract

    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(extract, "load_source", no_reading)
    report = sync_index(corpus, tmp_path / "ix")
    assert (report.full, report.unchanged, report.changed) == (False, 2, False)


def test_add_change_delete(corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    (corpus / "c.txt").write_text(
        focal_page("Gamma", "Cy Young", ["Gamma text."]), encoding="utf-8"
    )
    (corpus / "a.txt").write_text(
        focal_page("Alpha two", "Ann Lee", ["Changed text."]), encoding="utf-8"
    )
    (corpus / "sub" / "b.txt").unlink()
    report = sync_index(corpus, ix)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 0)
    assert ids(ix) == {"a.txt", "c.txt"}
    with open_index(ix) as opened, opened.whoosh.searcher() as s:
        assert s.document(id="a.txt")["title"] == "Alpha two"


def test_touched_file_with_same_bytes_counts_unchanged(corpus: Path, tmp_path: Path) -> None:
    sync_index(corpus, tmp_path / "ix")
    st = (corpus / "a.txt").stat()
    os.utime(corpus / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    report = sync_index(corpus, tmp_path / "ix")
    assert (report.updated, report.unchanged) == (0, 2)
    assert sync_index(corpus, tmp_path / "ix").unchanged == 2  # stamp refreshed: no re-read


def test_bad_file_is_skipped_and_reported(corpus: Path, tmp_path: Path) -> None:
    (corpus / "bad.txt").write_bytes(b"\x00\xff binary")
    (corpus / "empty.txt").write_bytes(b"")
    skipped: list[tuple[str, str]] = []
    report = sync_index(corpus, tmp_path / "ix", on_skip=lambda p, r: skipped.append((p, r)))
    assert report.added == 2
    assert sorted(Path(p).name for p, _ in report.skipped) == ["bad.txt", "empty.txt"]
    assert skipped == report.skipped


def test_file_that_turns_bad_is_removed(corpus: Path, tmp_path: Path) -> None:
    sync_index(corpus, tmp_path / "ix")
    (corpus / "a.txt").write_bytes(b"")
    report = sync_index(corpus, tmp_path / "ix")
    assert (report.removed, len(report.skipped)) == (1, 1)
    assert ids(tmp_path / "ix") == {"sub/b.txt"}


def test_unreadable_file_is_skipped(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    import builtins

    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):  # root ignores chmod, so deny it here
        if str(file).endswith("a.txt"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    report = sync_index(corpus, tmp_path / "ix")
    assert report.added == 1 and "cannot read" in report.skipped[0][1]


def test_other_files_and_hidden_folders_are_ignored(corpus: Path, tmp_path: Path) -> None:
    (corpus / "image.png").write_bytes(b"\x89PNG")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "x.txt").write_text(focal_page("Hidden", "A B", ["x"]), encoding="utf-8")
    report = sync_index(corpus, tmp_path / "ix")
    assert report.added == 2 and not report.skipped


def generations(ix: Path) -> list[str]:
    return sorted(p.name for p in ix.iterdir() if p.name.startswith("gen-"))


def test_full_rebuild_swaps_generation_and_retires_the_old_one(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import focal_search.index as index_module

    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    before = (ix / "CURRENT").read_text().strip()
    report = sync_index(corpus, ix, full=True)
    assert report.full and report.added == 2
    assert (ix / "CURRENT").read_text().strip() != before
    # The replaced generation stays for readers that may still have it open...
    assert before in generations(ix) and len(generations(ix)) == 2
    sync_index(corpus, ix)
    assert len(generations(ix)) == 2
    # ...and goes once its grace period is over.
    monkeypatch.setattr(index_module, "RETIRE_GRACE", 0.0)
    sync_index(corpus, ix)
    assert generations(ix) == [(ix / "CURRENT").read_text().strip()]


def test_failed_rebuild_leaves_old_index(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    import focal_search.index as index_module

    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_module, "_document", explode)
    with pytest.raises(IndexWriteError):
        sync_index(corpus, ix, full=True)
    assert ids(ix) == {"a.txt", "sub/b.txt"}
    assert len(generations(ix)) == 1


def test_missing_corpus_and_index(tmp_path: Path) -> None:
    with pytest.raises(CorpusMissing):
        sync_index(tmp_path / "nope", tmp_path / "ix")
    with pytest.raises(IndexMissing):
        open_index(tmp_path / "ix")


def test_incompatible_version_is_reported_then_rebuilt(corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    meta_path = ix / (ix / "CURRENT").read_text().strip() / META
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "schema_version": 0}))
    with pytest.raises(IndexIncompatible, match="has format 0") as caught:
        open_index(ix)
    assert "reindex --full" in (caught.value.hint or "")
    notices: list[str] = []
    report = sync_index(corpus, ix, on_notice=notices.append)
    assert report.full and notices
    assert ids(ix) == {"a.txt", "sub/b.txt"}


def test_second_writer_waits_then_gives_up(corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    ix.mkdir()
    with _write_lock(ix, wait=0):
        with pytest.raises(IndexLocked, match=f"pid {os.getpid()}"):
            sync_index(corpus, ix, lock_wait=0.2)
    assert sync_index(corpus, ix).added == 2  # released: the next writer proceeds


@pytest.fixture
def many(write_corpus: WriteCorpus) -> Path:
    return write_corpus(
        {
            f"p{i:03}.txt": focal_page(
                f"Page {i}", "Ann Lee", [f"Body {i} about borders and trade."]
            )
            for i in range(60)
        }
    )


def test_parallel_full_build_matches_single_process(
    many: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import focal_search.index as index_module
    import focal_search.parallel as parallel_module

    monkeypatch.setattr(index_module, "BULK", False)  # Whoosh's multi-process writer
    monkeypatch.setattr(index_module, "PARALLEL", True)
    monkeypatch.setattr(index_module, "PARALLEL_MIN_FILES", 10)
    monkeypatch.setattr(parallel_module, "BATCH", 10)  # so that both children get work
    report = sync_index(many, tmp_path / "par")
    monkeypatch.setattr(index_module, "PARALLEL", False)
    sync_index(many, tmp_path / "one")
    assert report.articles == 60
    assert ids(tmp_path / "par") == ids(tmp_path / "one")
    with open_index(tmp_path / "par") as ix:
        assert ix.stats().segments == 2


def test_failed_parallel_build_leaves_old_index_and_no_processes(
    many: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    import focal_search.index as index_module

    sync_index(many, tmp_path / "ix")
    monkeypatch.setattr(index_module, "BULK", False)  # Whoosh's multi-process writer
    monkeypatch.setattr(index_module, "PARALLEL", True)
    monkeypatch.setattr(index_module, "PARALLEL_MIN_FILES", 10)
    real = index_module._document
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 45:  # after the children have started
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    import focal_search.parallel as parallel_module

    monkeypatch.setattr(parallel_module, "BATCH", 10)
    monkeypatch.setattr(index_module, "_document", failing)
    with pytest.raises(IndexWriteError):
        sync_index(many, tmp_path / "ix", full=True)
    assert multiprocessing.active_children() == []
    assert len(ids(tmp_path / "ix")) == 60
    assert len(generations(tmp_path / "ix")) == 1


def test_optimize_merges_segments(corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    (corpus / "c.txt").write_text(focal_page("Gamma", "Cy Young", ["Gamma text."]))
    sync_index(corpus, ix)
    with open_index(ix) as opened:
        assert opened.stats().segments == 2
    sync_index(corpus, ix, optimize=True)
    with open_index(ix) as opened:
        assert opened.stats().segments == 1
    assert ids(ix) == {"a.txt", "sub/b.txt", "c.txt"}


def test_noop_sync_uses_the_manifest_not_the_columns(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import focal_search.index as index_module

    sync_index(corpus, tmp_path / "ix")

    def no_columns(ix):
        raise AssertionError("columns were read although the manifest is current")

    monkeypatch.setattr(index_module, "_indexed_sources", no_columns)
    _forget_listing(tmp_path / "ix")  # else the listing alone shows nothing changed
    report = sync_index(corpus, tmp_path / "ix")
    assert (report.unchanged, report.articles) == (2, 2)


def test_stale_manifest_is_ignored(corpus: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    manifest = ix / (ix / "CURRENT").read_text().strip() / "sources.json"
    data = json.loads(manifest.read_text())
    data["commit"] = -1  # as if a crash came between a commit and the manifest update
    data["sources"] = {}
    manifest.write_text(json.dumps(data))
    _forget_listing(ix)
    report = sync_index(corpus, ix)
    assert (report.added, report.unchanged, report.articles) == (0, 2, 2)


def _manifest(ix: Path) -> Path:
    return ix / (ix / "CURRENT").read_text().strip() / "sources.json"


def _forget_listing(ix: Path) -> None:
    """Drop the last reindex's listing record: the next one compares file by file."""
    meta = ix / (ix / "CURRENT").read_text().strip() / META
    data = json.loads(meta.read_text())
    data["listing"] = None
    meta.write_text(json.dumps(data))


def _no_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import index as whoosh_index

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the index was opened although the listing is unchanged")

    monkeypatch.setattr(whoosh_index, "open_dir", refuse)


def test_unchanged_listing_opens_neither_index_nor_manifest(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    _no_opening(monkeypatch)
    report = sync_index(corpus, ix)
    assert (report.full, report.changed, report.unchanged, report.articles) == (False, False, 2, 2)
    assert sync_index(corpus, ix).unchanged == 2  # the no-op kept the record


@pytest.mark.parametrize("change", ["touch", "edit", "add", "remove", "rename"])
def test_any_change_to_the_listing_compares_in_full(
    corpus: Path, tmp_path: Path, change: str
) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    a = corpus / "a.txt"
    if change == "touch":
        os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 1_000_000))
    elif change == "edit":
        a.write_text(a.read_text().replace("trade", "tride"))  # same size
    elif change == "add":
        (corpus / "c.txt").write_text(focal_page("Gamma", "Cy Young", ["Gamma text."]))
    elif change == "remove":
        a.unlink()
    else:
        a.rename(corpus / "z.txt")
    report = sync_index(corpus, ix)
    expected = {
        "touch": (0, 0, 0, 2),
        "edit": (0, 1, 0, 1),
        "add": (1, 0, 0, 2),
        "remove": (0, 0, 1, 1),
        "rename": (1, 0, 1, 1),
    }[change]
    assert (report.added, report.updated, report.removed, report.unchanged) == expected


def test_a_commit_since_the_last_reindex_compares_in_full(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    sync_index(corpus, ix, optimize=True)  # commits after the listing was recorded
    opened = []
    from whoosh import index as whoosh_index

    real_open = whoosh_index.open_dir
    monkeypatch.setattr(
        whoosh_index, "open_dir", lambda *a, **k: opened.append(a) or real_open(*a, **k)
    )
    assert sync_index(corpus, ix).unchanged == 2
    assert opened  # compared in full, then recorded again
    opened.clear()
    assert sync_index(corpus, ix).unchanged == 2 and not opened


def test_unchanged_listing_reports_known_skips_as_a_full_comparison_does(
    write_corpus: WriteCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(
        {
            "a.txt": focal_page("Alpha", "Ann Lee", ["Alpha text about trade."]),
            "empty.html": "",
            "junk.warc": "not a capture at all\n",
        }
    )
    ix = tmp_path / "ix"
    first = sync_index(corpus, ix)
    assert len(first.skipped) == 2
    _forget_listing(ix)
    full = sync_index(corpus, ix)  # compares file by file, records the listing again
    with monkeypatch.context() as patched:
        _no_opening(patched)
        quick = sync_index(corpus, ix)
    assert quick.skipped == full.skipped and len(quick.skipped) == 2
    assert all("skipped before" in why for _, why in quick.skipped)
    assert (quick.articles, quick.unchanged) == (full.articles, full.unchanged) == (1, 1)


def test_lost_skip_record_compares_in_full(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = write_corpus({"a.txt": focal_page("Alpha", "Ann Lee", ["Alpha text."]), "e.html": ""})
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    (ix / (ix / "CURRENT").read_text().strip() / "skipped.json").unlink()
    report = sync_index(corpus, ix)  # reads the skipped file again, as before the record
    assert len(report.skipped) == 1 and "skipped before" not in report.skipped[0][1]


def test_latest_commit_is_whoosh_s(corpus: Path, tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    from focal_search.index import _latest_commit

    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    (corpus / "c.txt").write_text(focal_page("Gamma", "Cy Young", ["Gamma text."]))
    sync_index(corpus, ix)
    generation = ix / (ix / "CURRENT").read_text().strip()
    opened = whoosh_index.open_dir(str(generation))
    try:
        assert _latest_commit(generation) == opened.latest_generation() >= 1
    finally:
        opened.close()
    assert _latest_commit(tmp_path / "nowhere") == -1


def test_manifest_records_a_single_article_file_by_its_fingerprint(
    corpus: Path, tmp_path: Path
) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    entries = json.loads(_manifest(ix).read_text())["sources"]
    assert set(entries) == {"a.txt", "sub/b.txt"}
    assert all(isinstance(entry, str) and entry.count(":") == 2 for entry in entries.values())


@pytest.mark.parametrize("damage", [["x"], 5, [1, []], None])
def test_damaged_manifest_entry_reads_the_columns(
    corpus: Path, tmp_path: Path, damage: Any
) -> None:
    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    manifest = _manifest(ix)
    data = json.loads(manifest.read_text())
    data["sources"]["a.txt"] = damage
    manifest.write_text(json.dumps(data))
    _forget_listing(ix)
    report = sync_index(corpus, ix)
    assert (report.added, report.unchanged, report.articles) == (0, 2, 2)


def test_manifest_of_the_earlier_layout_is_still_read(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import focal_search.index as index_module

    ix = tmp_path / "ix"
    sync_index(corpus, ix)
    manifest = _manifest(ix)
    data = json.loads(manifest.read_text())
    data["sources"] = {s: [fp, [s]] for s, fp in data["sources"].items()}  # [fingerprint, ids]
    manifest.write_text(json.dumps(data))

    def no_columns(ix: Any) -> None:
        raise AssertionError("columns were read although the manifest is current")

    monkeypatch.setattr(index_module, "_indexed_sources", no_columns)
    (corpus / "a.txt").write_text((corpus / "a.txt").read_text() + "\nMore text.\n")
    report = sync_index(corpus, ix)
    assert (report.updated, report.unchanged, report.articles) == (1, 1, 2)


def test_compact_listing_gives_back_the_walk(tmp_path: Path) -> None:
    from focal_search.extract import CorpusFile, CorpusListing, walk_corpus

    corpus = tmp_path / "corpus"
    for rel in ("a.txt", "sub/b.html", "sub/ñandú.txt", "z/c.warc"):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text("x" * len(rel))
    os.close(os.open(os.fsencode(corpus) + b"/bad-\xff.txt", os.O_CREAT | os.O_WRONLY))
    walked = list(walk_corpus(corpus))
    listing = CorpusListing(walked)
    assert len(listing) == len(walked) == 5
    assert list(listing) == walked and listing[1:4] == walked[1:4] and listing[::2] == walked[::2]
    assert listing[-1] == walked[-1] and listing[0].path == walked[0].path
    odd = next(f for f in listing if "\\xff" in f.id)  # its location is not root + id
    assert odd.path.exists() and odd == next(f for f in walked if "\\xff" in f.id)
    with pytest.raises(IndexError):
        listing[5]
    elsewhere = CorpusFile("/elsewhere/x.txt", "x.txt", 1, 2)
    assert list(CorpusListing([elsewhere, *walked[:1]])) == [elsewhere, walked[0]]
    assert list(CorpusListing([])) == []
