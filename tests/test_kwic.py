"""Keyword in context: the library's occurrences and the `kwic` command's outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from focal_search.cli import app
from focal_search.index import open_index, sync_index
from focal_search.kwic import Occurrence, concordance
from focal_search.search import Filters, Searcher

from .conftest import WriteCorpus, focal_page

PAGES: dict[str, str | bytes] = {
    "www.focal.ca/en/publications/focalpoint/101-may-2003-borders.txt": focal_page(
        "Crossing points",
        "Ana Ruiz",
        [
            "Trucks wait for hours at the borders of the north.",
            "A smart border would let them pass; zebra crossings would not.",
        ],
    ),
    "www.focal.ca/en/publications/focalpoint/102-june-1999-plan.txt": focal_page(
        "An early plan",
        "Ben Osei",
        [
            "Officials drew up the smart border plan long before it was signed.",
            "Apples and the Border [bold red]police[/] met in a hall.",
        ],
    ),
    "www.focal.ca/en/publications/focalpoint/103-july-2008-quiet.txt": focal_page(
        "Nothing about it",
        "Cy Dunn",
        ["A page on fisheries and forests, with no word of the frontier at all."],
    ),
    "www.focal.ca/es/publications/focalpoint/104-august-2010-frontera.txt": focal_page(
        "La frontera | SP",
        "Dora Paz",
        ["La Frontera de México cambió; las fronteras del sur también."],
    ),
}


@pytest.fixture
def index_dir(write_corpus: WriteCorpus, tmp_path: Path) -> Path:
    target = tmp_path / "ix"
    sync_index(write_corpus(PAGES), target)
    return target


@pytest.fixture
def searcher(index_dir: Path):  # type: ignore[no-untyped-def]
    with open_index(index_dir) as ix, Searcher(ix) as s:
        yield s


def lines(searcher: Searcher, text: str, **kwargs: object) -> list[Occurrence]:
    return list(concordance(searcher, text, **kwargs).lines)  # type: ignore[arg-type]


def test_matches_are_stemmed_and_case_folded(searcher: Searcher) -> None:
    found = lines(searcher, "border", sort="date")
    # Oldest article first, then text order inside each article.
    assert [o.match for o in found] == ["border", "Border", "borders", "border"]
    assert [o.date for o in found] == ["1999-06", "1999-06", "2003-05", "2003-05"]
    for o in found:
        article = searcher.load(o.id)
        assert getattr(article, o.field)[o.start : o.end] == o.match


def test_accents_fold_and_phrases_are_one_match(searcher: Searcher) -> None:
    assert [o.match for o in lines(searcher, "Mexico")] == ["México"]
    phrase = lines(searcher, '"smart border"', sort="date")
    assert [o.match for o in phrase] == ["smart border", "smart border"]
    assert phrase[0].left.endswith("drew up the ") and phrase[0].right.startswith(" plan long")


def test_width_limits_each_side_and_whitespace_is_collapsed(searcher: Searcher) -> None:
    for o in lines(searcher, "border", width=12):
        assert len(o.left) <= 12 and len(o.right) <= 12
        assert "\n" not in o.left + o.right


def test_sort_by_left_right_and_match(searcher: Searcher) -> None:
    by_left = lines(searcher, "border", sort="left")
    # Words just left of the match: "smart" (a), "smart" (up the), "the" (at), "the" (Apples)
    assert [o.left.split()[-1].lower() for o in by_left] == ["smart", "smart", "the", "the"]
    assert [o.left.split()[-2].lower() for o in by_left] == ["a", "the", "and", "at"]
    by_right = lines(searcher, "border", sort="right")
    # Punctuation is not a word: "[bold red]police" sorts as "bold red police".
    assert [o.right.split()[0] for o in by_right] == ["[bold", "of", "plan", "would"]
    by_match = lines(searcher, "border OR frontera", sort="match")
    # Same match (case and accents aside): then by the right context ("bold" < "plan").
    assert [o.match for o in by_match] == [
        "Border",
        "border",
        "border",
        "borders",
        "Frontera",
        "fronteras",
    ]


def test_limit_streams_and_says_when_the_total_is_unknown(searcher: Searcher) -> None:
    cut = concordance(searcher, "border", limit=2)
    assert len(list(cut.lines)) == 2 and cut.occurrences is None and cut.articles == 2
    whole = concordance(searcher, "border", limit=10)
    assert len(list(whole.lines)) == 4 and whole.occurrences == 4
    sorted_cut = concordance(searcher, "border", sort="left", limit=1)
    assert len(list(sorted_cut.lines)) == 1 and sorted_cut.occurrences == 4


def test_filters_narrow_the_articles(searcher: Searcher) -> None:
    found = lines(searcher, "border", filters=Filters(since="2003"))
    assert {o.date for o in found} == {"2003-05"}
    assert lines(searcher, "frontera", filters=Filters(langs=("en",))) == []


# The command


def run(*args: str | Path) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def where(index_dir: Path, tmp_path: Path) -> tuple[str, ...]:
    return ("--index", str(index_dir), "--corpus", str(tmp_path / "corpus"))


def test_human_view_aligns_columns_and_prints_markup_literally(where) -> None:
    result = run("kwic", "border", "--sort", "date", "--width", "20", *where)
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert rows[-1].startswith("Showing 4 occurrences in 2 articles · ")
    body = rows[:4]
    # Date column, then the left context right-aligned to 20 characters: every match
    # starts in the same column, and the right contexts too.
    matches = ["border", "Border", "borders", "border"]
    starts = {row.index(word) for row, word in zip(body, matches, strict=True)}
    titles = ["An early plan", "An early plan", "Crossing points", "Crossing points"]
    # Titles after the padded match (7 = "borders") and 20 characters of right context.
    assert {row.index(t) for row, t in zip(body, titles, strict=True)} == {30 + 7 + 1 + 20 + 2}
    assert starts == {7 + 2 + 20 + 1}
    assert body[1] == ("1999-06   ned. Apples and the Border  [bold red]police[/]   An early plan")
    assert body[2] == "2003-05   it for hours at the borders of the north. A sma   Crossing points"


def test_json_lines_envelope(where) -> None:
    result = run("kwic", '"smart border"', "--json", "--sort", "date", *where)
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["type"] for r in records] == ["begin", "occurrence", "occurrence", "summary"]
    begin, first, _, summary = (r["data"] for r in records)
    assert begin["sort"] == "date" and begin["width"] == 40 and begin["limit"] == 50
    assert first["n"] == 1 and first["match"] == "smart border" and first["field"] == "body"
    assert first["date"] == "1999-06" and first["title"] == "An early plan"
    assert first["end"] - first["start"] == len("smart border")
    assert summary["total"] == 2 and summary["shown"] == 2 and summary["occurrences"] == 2


def test_tsv_escapes_and_exit_codes(where) -> None:
    result = run("kwic", "border", "--tsv", "--sort", "right", "-n", "1", "-w", "20", *where)
    assert result.exit_code == 0
    header, row = result.stdout.splitlines()
    assert header.split("\t") == [
        "id", "date", "title", "field", "start", "end", "left", "match", "right",
    ]  # fmt: skip
    cells = row.split("\t")
    assert cells[1:4] == ["1999-06", "An early plan", "body"]
    assert cells[6:] == ["ned. Apples and the ", "Border", " [bold red]police[/]"]
    assert run("kwic", "glacier", *where).exit_code == 1
    bad = run("kwic", "border", "--json", "--tsv", *where)
    assert bad.exit_code == 2 and "--json and --tsv cannot be used together" in bad.output
    assert run("kwic", "border", "--all", "--limit", "3", *where).exit_code == 2
    assert run("kwic", "(border", *where).exit_code in (0, 2)  # never a traceback
    assert run("kwic", "border", "--since", "20x", *where).exit_code == 2


# The matcher's fast path (a regular expression over the folded text) finds exactly
# what analysing every word finds.


def reference_spans(analyzer, terms: set[str], phrases, text: str) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    from focal_search.analysis import WORD

    words = [
        (next((t.text for t in analyzer(m.group(), mode="index")), ""), m.start(), m.end())
        for m in WORD.finditer(text)
    ]
    marked = {i for i, w in enumerate(words) if w[0] in terms}
    for phrase, slop in phrases:
        for i, w in enumerate(words):
            if w[0] != phrase[0]:
                continue
            found = [i]
            for word in phrase[1:]:
                j = next(
                    (j for j in range(found[-1] + 1, found[-1] + slop + 1)
                     if j < len(words) and words[j][0] == word),
                    None,
                )  # fmt: skip
                if j is None:
                    break
                found.append(j)
            if len(found) == len(phrase):
                marked.update(found)
    return [(words[i][1], words[i][2]) for i in sorted(marked)]


@pytest.mark.parametrize(
    "text",
    [
        "The U.S border, the borders' U.S. and a.border; borderline Bórders BORDER.",
        "Smart  border\nsmart, the border smart border’s smart-border x smart.border",
        "İstanbul border smart border",  # a capital whose lowercase is two characters
        "la frontière, las fronteras; Frontera de México, the frontier's",
        "",
    ],
)
def test_fast_matcher_agrees_with_analysing_every_word(text: str) -> None:
    from focal_search.analysis import text_analyzer
    from focal_search.highlight import FieldMatcher

    analyzer = text_analyzer("en")
    terms = {"border", "u.s", "frontier", "x"}
    phrases = [(("smart", "border"), 1), (("border", "smart"), 3)]
    matcher = FieldMatcher(analyzer, terms, phrases)
    assert matcher.spans(text) == reference_spans(analyzer, terms, phrases, text)
    terms_only = FieldMatcher(analyzer, terms, [])
    assert terms_only.spans(text) == reference_spans(analyzer, terms, [], text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["border", "Bórders", "smart", "SMART", "U.S", "x", "xy", "İ", "a", ".", " ", " ",
             "'s", "’", "-", "\n", "_", "9", "frontier"]
        ),
        max_size=30,
    )
)  # fmt: skip
def test_fast_matcher_agrees_on_any_text(pieces: list[str]) -> None:
    from focal_search.analysis import text_analyzer
    from focal_search.highlight import FieldMatcher

    text = "".join(pieces)
    analyzer = text_analyzer("en")
    terms = {"border", "x", "frontier"}
    phrases = [(("smart", "border"), 2)]
    assert FieldMatcher(analyzer, terms, phrases).spans(text) == reference_spans(
        analyzer, terms, phrases, text
    )
    # Past MAX_PREFIX_SCANS prefixes, one pattern finds them all.
    many = terms | {f"{a}{b}" for a in "cdefgh" for b in "ou"}
    assert FieldMatcher(analyzer, many, phrases).spans(text) == reference_spans(
        analyzer, many, phrases, text
    )
