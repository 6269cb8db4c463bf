"""Differential test: ranked search equals an exhaustive reference evaluation.

The reference scores every matching document with Whoosh's matchers, one document at a
time, no pruning and no limit (``evaluate.reference_matches``); filters, masks and the
collapsing of captures are applied to it by plain Python here. Both of the engine's paths
(Whoosh's collector, and the array-based matching used for large indexes) must give the
same count, the same ids in the same order and the same scores, at every limit and
offset, on a corpus built in several commits (several segments, with deletions).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from focal_search.evaluate import reference_matches
from focal_search.index import open_index, sync_index
from focal_search.query import prune
from focal_search.search import Filters, Searcher

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
EPS = 1e-9  # scores this close are a tie whose order depends on summation order


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~400 generated pages indexed in three commits (and some deleted), plus JSON Lines
    records sharing URLs, so that captures of one page are collapsed."""
    sys.path.insert(0, str(BENCH))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(BENCH))
    root = tmp_path_factory.mktemp("exact")
    generate(420, root / "all", seed=11)
    files = sorted((root / "all").rglob("*.txt"))
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()

    def copy(paths: list[Path]) -> None:
        for path in paths:
            target = corpus / path.relative_to(root / "all")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)

    copy(files[:150])
    sync_index(corpus, index)
    copy(files[150:300])
    records = [
        {
            "id": f"cap{n}",
            "url": f"http://www.focal.ca/en/capture/{n % 6}",
            "title": f"Capture {n} of border security notes",
            "text": f"Border security and NORAD, capture number {n}. " * (1 + n % 4),
        }
        for n in range(18)
    ]
    (corpus / "captures.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    sync_index(corpus, index)
    for path in files[40:70]:
        (corpus / path.relative_to(root / "all")).unlink()
    copy(files[300:])
    sync_index(corpus, index)
    with open_index(index) as ix:
        assert len(ix.whoosh.reader().leaf_readers()) >= 2, "want several segments"
        assert ix.meta.get("duplicates"), "want collapsed captures"
    return index


def _queries(searcher: Searcher, count: int) -> Iterator[tuple[str, Filters]]:
    """Generated queries of every kind, from words and phrases of the indexed texts."""
    rng = random.Random(7)
    reader = searcher._searcher.reader()
    bodies = [reader.stored_fields(d).get("body", "") for d in range(0, reader.doc_count_all(), 9)]
    words = [w for w in re.findall(r"[^\W\d_]{3,}", " ".join(bodies))]
    sentences = [s.split() for b in bodies for s in re.split(r"[.!?]", b) if len(s.split()) > 3]
    filters = [
        Filters(),
        Filters(langs=("en",)),
        Filters(since="2003", until="2009"),
        Filters(langs=("fr", "es")),
    ]

    def word() -> str:
        return rng.choice(words)

    def phrase() -> str:
        s = rng.choice(sentences)
        i = rng.randrange(len(s) - 1)
        return " ".join(re.sub(r"[^\w]", "", w) or "x" for w in s[i : i + rng.choice([2, 2, 3])])

    shapes = [
        lambda: word(),
        lambda: f"{word()} {word()}",
        lambda: f"{word()} OR {word()}",
        lambda: f"{word()} NOT {word()}",
        lambda: f"{word()} -{word()}",
        lambda: f'"{phrase()}"',
        lambda: f'"{phrase()}"~4',
        lambda: f"{word()[:4]}*",
        lambda: f"{word()}~",
        lambda: f"({word()} OR {word()}) {word()}",
        lambda: f"title:{word()}",
        lambda: f"year:[2000 TO 2006] {word()}",
        lambda: f"lang:fr {word()}",
        lambda: f"{word()} {word()} {word()} {word()}",
        lambda: "border security",
        lambda: "NORAD",
        lambda: f"{word()} {word()} {word()}^3",
    ]
    for n in range(count):
        yield rng.choice(shapes)(), filters[n % len(filters)]


def _reference(
    searcher: Searcher, text: str, filters: Filters, pages: dict[int, tuple[str, int]]
) -> list[tuple[int, float]]:
    """All matches of ``text`` (docnum, score), filtered and collapsed the slow way."""
    ws = searcher._searcher
    q = prune(searcher._parser(False).parse(text), ws.reader())
    found = reference_matches(ws, q)
    narrowed = filters.query()
    if narrowed is not None:
        allowed = reference_matches(ws, narrowed)
        found = {d: s for d, s in found.items() if d in allowed}
    newest: dict[str, int] = {}
    for docnum in sorted(found):  # the newest capture of each page; the first on a tie
        key, when = pages[docnum]
        if key not in newest or when > pages[newest[key]][1]:
            newest[key] = docnum
    return sorted(((d, found[d]) for d in newest.values()), key=lambda i: (-i[1], i[0]))


def _pages(ws: Any) -> dict[int, tuple[str, int]]:
    """Each document's page key and capture time, read from stored fields."""
    pages = {}
    for docnum in ws.reader().all_doc_ids():
        stored = ws.stored_fields(docnum)
        when = stored.get("captured") or ""
        pages[docnum] = (stored["canonical"], int(re.sub(r"\D", "", when) or 0))
    return pages


def _check_page(
    got: list[tuple[str, float]], ref: list[tuple[int, float]], ids: dict[int, str], start: int
) -> None:
    """``got`` is ``ref[start:start+len(got)]`` up to the order of near-equal scores."""
    score_of = {ids[d]: s for d, s in ref}
    expected = [ids[d] for d, _ in ref[start : start + len(got)]]
    for (hit_id, score), want in zip(got, expected, strict=True):
        assert abs(score - score_of[hit_id]) <= 1e-6 * max(1.0, abs(score)), hit_id
        if hit_id != want:  # only near-ties may swap places
            assert abs(score_of[hit_id] - score_of[want]) <= EPS, (hit_id, want)


@pytest.mark.parametrize("arrays", [False, True], ids=["whoosh", "arrays"])
def test_ranked_search_equals_exhaustive_reference(index_dir: Path, arrays: bool) -> None:
    checked = 0
    with open_index(index_dir) as ix, Searcher(ix, arrays=arrays) as searcher:
        ws = searcher._searcher
        pages = _pages(ws)
        ids = {d: ws.stored_fields(d)["id"] for d in pages}
        for text, filters in _queries(searcher, 160):
            ref = _reference(searcher, text, filters, pages)
            for limit, offset in ((10, 0), (3, 2), (None, 0)):
                found = searcher.search(
                    text, limit=limit, offset=offset, filters=filters, snippets=False, suggest=False
                )
                got = [(h.id, h.score or 0.0) for h in found.hits]
                assert found.total == len(ref), (text, filters, limit)
                assert len(got) == len(ref[offset:][:limit]), (text, limit, offset)
                _check_page(got, ref, ids, offset)
            assert searcher.count(text, filters=filters) == len(ref), text
            checked += bool(ref)
    assert checked > 90  # most generated queries match something


@pytest.mark.parametrize("arrays", [False, True], ids=["whoosh", "arrays"])
def test_expanded_search_equals_exhaustive_reference(index_dir: Path, arrays: bool) -> None:
    """With pseudo-relevance feedback, the ranking is that of the expanded query, built
    from the reference's own best three: same count, ids, order and scores."""
    from focal_search.expand import FEEDBACK_DOCS, expand_query

    with open_index(index_dir) as ix, Searcher(ix, arrays=arrays) as searcher:
        ws = searcher._searcher
        pages = _pages(ws)
        ids = {d: ws.stored_fields(d)["id"] for d in pages}
        for text, filters in _queries(searcher, 40):
            ref = _reference(searcher, text, filters, pages)
            q = prune(searcher._parser(False).parse(text), ws.reader())
            expanded = expand_query(ws, q, [d for d, _ in ref[:FEEDBACK_DOCS]])
            scores = reference_matches(ws, expanded)
            ref = sorted(((d, scores[d]) for d, _ in ref), key=lambda i: (-i[1], i[0]))
            found = searcher.search(
                text, limit=10, filters=filters, snippets=False, suggest=False, expand=True
            )
            got = [(h.id, h.score or 0.0) for h in found.hits]
            assert found.total == len(ref) and len(got) == len(ref[:10]), text
            _check_page(got, ref, ids, 0)


def test_prefixes_in_large_segments_score_as_whoosh(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoosh scores a prefix of three words or more by the sum of its words in a
    segment of over 5,000 documents, and 1.0 per match in a smaller one: the segments
    of this small index are made to say they are large, for Whoosh and the arrays alike."""
    from whoosh.reading import SegmentReader

    from focal_search.evaluate import Evaluator, SegmentArrays

    real = SegmentReader.doc_count_all
    monkeypatch.setattr(SegmentReader, "doc_count_all", lambda self: real(self) + 6000)
    with open_index(index_dir) as ix, Searcher(ix, arrays=True) as searcher:
        ws = searcher._searcher
        checked = 0
        for text in ("secur*", "migra*", "de*", "bo*", "tra*"):
            q = prune(searcher._parser(False).parse(text), ws.reader())
            ref = reference_matches(ws, q)
            found: dict[int, float] = {}
            for sub, offset in ws.leaf_searchers():
                assert sub.doc_count_all() > 5000
                got = Evaluator(SegmentArrays(sub), ws.weighting).matches(q)
                found.update(zip((got.ids + offset).tolist(), got.scores.tolist(), strict=True))
            assert found.keys() == ref.keys(), text
            for docnum, score in ref.items():
                assert abs(found[docnum] - score) <= 1e-6 * max(1.0, abs(score)), (text, docnum)
            checked += len({round(s, 6) for s in ref.values()}) > 3  # really scored, not 1.0
        assert checked >= 3
