"""Ranking: the BM25F formula as the engine applies it, and pseudo-relevance feedback."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from whoosh import query as wq

from focal_search.analysis import text_analyzer
from focal_search.cli import app
from focal_search.expand import EXPANSION_TERMS, bo1, expand_query, expansion_weights
from focal_search.index import open_index, sync_index
from focal_search.schema import FIELD_BOOSTS
from focal_search.scoring import K1, B, bm25_idf
from focal_search.search import Searcher

from .conftest import WriteCorpus

# Three articles about glaciers that share a vocabulary, one that matches "melting" in
# a glacier's words and one that matches it about cooking (same length).
GLACIERS = [
    ("a", "glacier melting ice sheet moraine"),
    ("b", "glacier melting ice sheet moraine crevasse"),
    ("c", "glacier melting ice sheet moraine valley"),
    ("d", "melting cheese fondue recipe today"),
    ("e", "melting ice sheet moraine crevasse"),
    ("f", "harbour ships cargo cranes"),
    ("g", "election ballots count parliament"),
]


def jsonl(records: list[tuple[str, str]], titles: dict[str, str] | None = None) -> str:
    titles = titles or {}
    return "".join(
        json.dumps({"id": key, "title": titles.get(key, ""), "text": text, "lang": "en"}) + "\n"
        for key, text in records
    )


@pytest.fixture
def glaciers(write_corpus: WriteCorpus, tmp_path: Path) -> Iterator[Searcher]:
    corpus = write_corpus({"docs.jsonl": jsonl(GLACIERS)})
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as searcher:
        yield searcher


def ranked(searcher: Searcher, text: str, **options: object) -> list[tuple[str, float]]:
    results = searcher.search(text, limit=None, suggest=False, snippets=False, **options)  # type: ignore[arg-type]
    return [(hit.id.split("#", 1)[1], hit.score or 0.0) for hit in results.hits]


def test_bm25_idf_is_robertson_sparck_jones_and_never_negative() -> None:
    assert bm25_idf(10, 1) == pytest.approx(math.log(1 + 9.5 / 1.5))
    assert bm25_idf(1000, 1) > bm25_idf(1000, 10) > bm25_idf(1000, 500) > 0
    assert bm25_idf(10, 10) > 0  # a word in every document still weighs a little


def test_score_is_bm25_per_field_with_one_idf_and_field_boosts(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    """The exact sum the engine computes (and any other evaluator must reproduce):
    per (term, field), boost * idf(term) * tf (K1 + 1) / (tf + K1 (1 - B + B dl / avgdl)),
    the IDF from the larger of the title and body document frequencies."""
    docs = [("1", "river delta river"), ("2", "mountain pass road"), ("3", "river bank")]
    corpus = write_corpus({"docs.jsonl": jsonl(docs, titles={"1": "river", "2": "roads"})})
    sync_index(corpus, tmp_path / "ix")

    def bm25(tf: float, dl: float, avgdl: float) -> float:
        return tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))

    # body lengths 3, 3, 2 words; title lengths 1, 1 (doc 3 has none).
    # Whoosh averages a field's length over every document.
    idf = bm25_idf(3, 2)  # "river" is in 2 bodies (and 1 title)
    body = bm25(2, 3, 8 / 3)
    title = FIELD_BOOSTS["title"] * bm25(1, 1, 2 / 3)
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as searcher:
        scores = dict(ranked(searcher, "river"))
    assert scores["1"] == pytest.approx(idf * (body + title))
    assert scores["3"] == pytest.approx(idf * bm25(1, 2, 8 / 3))


def test_bo1_favours_words_concentrated_in_the_feedback() -> None:
    assert bo1(3, 1, 100) == pytest.approx(3 * math.log2(101) + math.log2(1.01))
    rare = bo1(3, 3, 1000)  # all its occurrences are in the feedback articles
    common = bo1(3, 900, 1000)  # as often as anywhere else
    assert rare > 5 * common > 0


def test_expansion_picks_shared_words_not_one_article_words(glaciers: Searcher) -> None:
    reader = glaciers._searcher.reader()
    top = list(range(reader.doc_count_all()))[:3]  # a, b, c: written first
    asked = {("en", "glacier"): 1.0}
    weights = expansion_weights(glaciers._searcher, top, asked)
    words = {term for _, term in weights}
    stem = text_analyzer("en").term
    assert {stem(w) for w in ("ice", "sheet", "moraine", "melting", "glacier")} <= words
    assert stem("valley") not in words  # in one feedback article only
    assert len(weights) <= EXPANSION_TERMS


def test_expanded_query_adds_optional_terms_only(glaciers: Searcher) -> None:
    q = wq.Term("body_en", "glacier")
    expanded = expand_query(glaciers._searcher, q, [0, 1, 2])
    assert isinstance(expanded, wq.AndMaybe)
    assert expanded.a == q
    assert all(isinstance(leaf, wq.Term) and leaf.boost > 0 for leaf in expanded.b.leaves())
    assert expand_query(glaciers._searcher, q, []) is q  # nothing to learn from


def test_expansion_reranks_by_the_vocabulary_of_the_best_matches(glaciers: Searcher) -> None:
    plain = dict(ranked(glaciers, "glacier melting", any_words=True))
    fed = ranked(glaciers, "glacier melting", any_words=True, expand=True)
    # Without feedback the two "melting"-only articles tie; with it the one that
    # speaks of ice sheets and moraines comes first.
    assert plain["d"] == pytest.approx(plain["e"])
    order = [key for key, _ in fed]
    assert order.index("e") < order.index("d")
    assert set(order) == set(plain)  # the same matches, re-ranked


def test_expansion_never_adds_matches(glaciers: Searcher) -> None:
    for any_words in (False, True):
        for text in ("glacier melting", "crevasse", "fondue"):
            plain = glaciers.search(text, any_words=any_words, suggest=False, snippets=False)
            fed = glaciers.search(
                text, any_words=any_words, suggest=False, snippets=False, expand=True
            )
            assert fed.total == plain.total
            assert {h.id for h in fed.hits} == {h.id for h in plain.hits}


def test_expansion_is_skipped_when_not_ranking_by_relevance(glaciers: Searcher) -> None:
    plain = ranked(glaciers, "melting", sort="date")
    assert ranked(glaciers, "melting", sort="date", expand=True) == plain


def test_cli_expands_by_default_and_no_expand_turns_it_off(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    corpus = write_corpus({"docs.jsonl": jsonl(GLACIERS)})
    where = ["--corpus", str(corpus), "--index", str(tmp_path / "ix"), "--any", "--tsv"]
    runner = CliRunner()
    runner.invoke(app, ["reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix")])

    def ids(*extra: str) -> list[str]:
        result = runner.invoke(app, ["query", "glacier melting", *where, *extra])
        assert result.exit_code == 0, result.output
        return [line.split("\t")[2] for line in result.stdout.splitlines()[1:]]

    default, expanded, plain = ids(), ids("--expand"), ids("--no-expand")
    assert default == expanded != plain
    assert sorted(expanded) == sorted(plain)
    assert expanded.index("docs.jsonl#e") < expanded.index("docs.jsonl#d")


def test_feedback_words_stay_in_their_article_language(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    records = [
        {"id": "en1", "text": "glacier ice sheet moraine", "lang": "en"},
        {"id": "en2", "text": "glacier ice sheet crevasse", "lang": "en"},
        {"id": "fr1", "text": "glacier calotte glaciaire moraine", "lang": "fr"},
        {"id": "fr2", "text": "glacier calotte glaciaire crevasse", "lang": "fr"},
        {"id": "x", "text": "harbour cargo cranes", "lang": "en"},
    ]
    corpus = write_corpus({"docs.jsonl": "".join(json.dumps(r) + "\n" for r in records)})
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as searcher:
        whoosh = searcher._searcher
        docs = {whoosh.stored_fields(d)["id"].split("#")[1]: d for d in range(4)}
        weights = expansion_weights(whoosh, [docs["en1"], docs["fr1"], docs["fr2"]], {})
        assert ("fr", text_analyzer("fr").term("calotte")) in weights
        assert ("en", text_analyzer("en").term("sheet")) not in weights  # one English article
        fed = searcher.search("glacier", any_words=True, suggest=False, snippets=False, expand=True)
        assert {h.id.split("#")[1] for h in fed.hits} == {"en1", "en2", "fr1", "fr2"}
