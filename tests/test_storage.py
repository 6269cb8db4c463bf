"""Segments are read in place: the compound file's sub-files are views, not copies."""

from __future__ import annotations

import io
import mmap
import pickle
from pathlib import Path

import pytest

from focal_search.storage import ViewReader

DATA = b"first line\nsecond\n\nlast without newline" + pickle.dumps({"k": [1, 2, 3]}, 2)


@pytest.mark.parametrize("size", [-1, 0, 1, 5, 11, 500])
def test_view_reader_reads_like_bytesio(size: int) -> None:
    ours, ref = ViewReader(memoryview(DATA)), io.BytesIO(DATA)
    for start in (0, 3, 11, len(DATA) - 2, len(DATA) + 4):
        ours.seek(start)
        ref.seek(start)
        assert ours.read(size) == ref.read(size)
        assert ours.tell() == ref.tell()
        ours.seek(start)
        ref.seek(start)
        assert ours.readline(size) == ref.readline(size)
        assert ours.readline() == ref.readline()
    ours.seek(-3, io.SEEK_END)
    ref.seek(-3, io.SEEK_END)
    assert ours.read() == ref.read()


def test_view_reader_unpickles_in_place(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"xx" + pickle.dumps(("a", 2, None), 2) + b"yy")
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        view = memoryview(m)
        sub = view[2:]
        reader = ViewReader(sub)
        assert pickle.load(reader) == ("a", 2, None)
        assert reader.read() == b"yy"
        reader.close()
        sub.release()
        view.release()


def test_an_open_index_reads_its_segments_in_place(tmp_path: Path) -> None:
    from focal_search.index import open_index, sync_index
    from focal_search.search import Searcher

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(3):
        (corpus / f"a{n}.jsonl").write_text(f'{{"id": "x{n}", "text": "NORAD and the border {n}"}}')
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix:
        reader = ix.whoosh.reader()
        files = [leaf._terms._postfile for leaf, _ in reader.leaf_readers()]
        assert files and all(isinstance(f.file, ViewReader) for f in files)
        with Searcher(ix) as searcher:
            assert searcher.search("NORAD border", snippets=False).total == 3
