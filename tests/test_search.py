"""Searching: matching rules, ranking, highlights and snippets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from focal_search.errors import QuerySyntaxError
from focal_search.index import open_index, sync_index
from focal_search.search import Searcher

from .conftest import WriteCorpus, focal_page

BORDER = "www.focal.ca/en/publications/focalpoint/433-april-2011-border.txt"
MERIDA = "www.focal.ca/en/publications/focalpoint/400-march-2009-merida.txt"
FRENCH = "www.focal.ca/fr/publications/300-mai-2006-frontiere.txt"


@pytest.fixture
def searcher(small_archive: Path, tmp_path: Path) -> Iterator[Searcher]:
    sync_index(small_archive, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        yield s


def found(searcher: Searcher, q: str) -> list[str]:
    return [h.id for h in searcher.search(q, limit=None).hits]


@pytest.mark.parametrize(
    "q, expected",
    [
        ("Mérida Initiative", {MERIDA}),
        ("Merida initiative", {MERIDA}),
        ("MERIDA", {MERIDA, "notes/haiti.txt"}),
        ("Québec", {"notes/quebec.txt", FRENCH}),
        ("Quebec", {"notes/quebec.txt", FRENCH}),
        ("borders", {BORDER, "notes/quebec.txt"}),
        ('"smart border"', {BORDER}),
        ('"Summit of the Americas"', {MERIDA}),  # not "summit for the Americas"
        ("Summit Americas", {MERIDA, "notes/quebec.txt"}),
        ("NORAD OR Quebec", {MERIDA, "notes/haiti.txt", "notes/quebec.txt", FRENCH}),
        ("NORAD NOT Haiti", {MERIDA}),
        ("NORAD -Haiti", {MERIDA}),
        ("(Haiti OR Quebec) donors", {"notes/haiti.txt"}),
        ("recon*", {"notes/haiti.txt"}),
        ("title:borders", {BORDER}),
        ("author:benitez", {BORDER}),
        ("author:Benítez", {BORDER}),
        ("Manaut", {BORDER}),
        ("the border of Quebec", {"notes/quebec.txt"}),  # stop words do not have to match
        ("Disqus", set()),
        ("Welcome archive", set()),
        ("researcher", {BORDER}),  # bio text is searchable
    ],
)
def test_matching(searcher: Searcher, q: str, expected: set[str]) -> None:
    assert set(found(searcher, q)) == expected


def test_title_match_outranks_body_only_match(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    corpus = write_corpus(
        {
            "body.txt": focal_page(
                "Trade notes", "A B", ["Migration rose. Trade fell. Migration again."]
            ),
            "title.txt": focal_page("Migration in Mexico", "C D", ["Trade fell. Migration rose."]),
        }
    )
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        assert found(s, "migration") == ["title.txt", "body.txt"]


def test_hit_fields_and_total(searcher: Searcher) -> None:
    results = searcher.search("border", limit=1)
    assert results.total == 2
    hits = list(results.hits)
    assert len(hits) == 1
    hit = hits[0]
    assert hit.id == BORDER and hit.rank == 1 and hit.score > 0
    assert hit.title == "Smart borders after 2001"
    assert hit.authors == ["Jane Doe", "Raúl Benítez Manaut"]
    assert hit.date == "2011-04"
    assert hit.url == "http://www.focal.ca/en/publications/focalpoint/433-april-2011-border"
    assert hit.location == hit.url


def test_offset_pages_through_results(searcher: Searcher) -> None:
    everything = found(searcher, "NORAD OR Quebec")
    page2 = searcher.search("NORAD OR Quebec", limit=1, offset=1)
    assert [h.id for h in page2.hits] == everything[1:2]
    assert [h.rank for h in searcher.search("NORAD OR Quebec", limit=2, offset=1).hits] == [2, 3]


def highlighted(hit) -> list[str]:
    return [s.text[a:b] for s in hit.snippets for a, b in s.highlights]


def test_highlights_cover_stems_and_accent_forms(searcher: Searcher) -> None:
    hit = next(searcher.search("merida initiatives").hits)
    assert highlighted(hit) == ["Mérida", "Initiative"]
    hit = next(searcher.search("border", limit=1).hits)
    assert set(highlighted(hit)) == {"Border"}
    assert [hit.title[a:b] for a, b in hit.title_highlights] == ["borders"]


def test_phrase_highlights_only_the_phrase(searcher: Searcher) -> None:
    hit = next(searcher.search('"border security"').hits)
    assert highlighted(hit) == ["Border", "security"]
    snippet = hit.snippets[0]
    assert snippet.text[snippet.highlights[0][0] :].startswith("Border security became")


def test_negated_words_are_not_highlighted(searcher: Searcher) -> None:
    hit = next(searcher.search("NORAD -Haiti").hits)
    assert highlighted(hit) == ["NORAD"]


def test_title_only_match_shows_the_opening(searcher: Searcher) -> None:
    hit = next(searcher.search("title:reconstruction").hits)
    assert hit.snippets[0].text.startswith("After the earthquake")
    assert hit.snippets[0].highlights == []


def test_snippet_offsets_point_into_the_body(write_corpus: WriteCorpus, tmp_path: Path) -> None:
    filler = " ".join(f"word{i}" for i in range(400))
    corpus = write_corpus(
        {
            "long.txt": focal_page(
                "Long",
                "A B",
                [filler + " The NORAD treaty. " + filler + " NORAD again at the end."],
            )
        }
    )
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        hit = next(s.search("NORAD").hits)
        body = ix.whoosh.searcher().document(id="long.txt")["body"]
    assert len(hit.snippets) == 2
    for snip in hit.snippets:
        assert len(snip.text) <= 260
        assert body[snip.start : snip.start + len(snip.text)] == snip.text
        assert [snip.text[a:b] for a, b in snip.highlights] == ["NORAD"]
    assert hit.snippets[-1].at_end and not hit.snippets[0].at_end


@pytest.mark.parametrize("q", ["", "   ", "year:abc"])
def test_bad_queries_raise_query_syntax_error(searcher: Searcher, q: str) -> None:
    with pytest.raises(QuerySyntaxError):
        searcher.search(q)


@pytest.mark.parametrize("q", ['"unbalanced', "(open", "AND", "OR OR", "***", ":", "title:", "-"])
def test_odd_queries_do_not_crash(searcher: Searcher, q: str) -> None:
    try:
        list(searcher.search(q).hits)
    except QuerySyntaxError:
        pass


def test_only_stop_words_still_search(searcher: Searcher) -> None:
    assert searcher.search("the").total == 4


def test_sorting_and_stats_across_segments_without_dates(
    write_corpus: WriteCorpus, tmp_path: Path
) -> None:
    """An update that adds only undated articles makes a segment with no date column;
    Whoosh's own reverse sort and multi-segment column reader fail on that."""
    corpus = write_corpus(
        {
            f"www.focal.ca/en/{i}-april-200{i}-x.txt": focal_page(
                f"Dated {i}", "Ann Lee", [f"NORAD {i}."]
            )
            for i in range(3)
        }
    )
    sync_index(corpus, tmp_path / "ix")
    for i in range(2):
        (corpus / f"undated{i}.txt").write_text(focal_page(f"U{i}", "Bo Ray", ["NORAD."]))
    sync_index(corpus, tmp_path / "ix")
    with open_index(tmp_path / "ix") as ix, Searcher(ix) as s:
        assert ix.stats().segments == 2
        assert ix.stats().by_year == {"2000": 1, "2001": 1, "2002": 1, "undated": 2}
        newest = [h.date for h in s.search("NORAD", sort="-date", limit=None).hits]
        oldest = [h.date for h in s.search("NORAD", sort="date", limit=None).hits]
    assert newest == ["2002-04", "2001-04", "2000-04", None, None]
    assert oldest == ["2000-04", "2001-04", "2002-04", None, None]
