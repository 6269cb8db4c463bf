"""Did-you-mean: typos are compared with the archive's words as written, not only stems."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from focal_search.index import open_index, sync_index
from focal_search.search import Searcher
from focal_search.spelling import edit_distance

from .conftest import focal_page

_SECURITY = " ".join(
    ["Regional security was discussed, and security budgets grew."] * 9
    + ["The security of ports mattered."]
)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    root = tmp_path_factory.mktemp("spelling")
    pages = {
        "www.focal.ca/en/publications/1-ports.txt": focal_page(
            "Ports and borders", "Ann Lee", [_SECURITY, "Mérida was a venue for the talks."]
        ),
        "www.focal.ca/en/publications/2-secret.txt": focal_page(
            "Secret talks", "Bo Li", ["Secretaries met in secret; a sector plan was seen."]
        ),
        "www.focal.ca/fr/publications/3-frontiere.txt": focal_page(
            "La frontière | FR", "Luc Roy", ["La frontière est longue et les frontières changent."]
        ),
    }
    for rel, text in pages.items():
        path = root / "corpus" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    sync_index(root / "corpus", root / "ix")
    with open_index(Path(root / "ix")) as ix, Searcher(ix) as s:
        yield s


def test_fixture_says_security_nineteen_times() -> None:
    assert _SECURITY.lower().count("security") == 19


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("secuirty", "security"),  # a swap that changes the stem ("secuirti")
        ("secrity", "security"),  # a missing letter
        ("seucrity", "security"),  # a swap near the start
        ("Secuirty", "Security"),  # the case typed is kept
        ("secuirty ports", "security ports"),
        ("merdia", "mérida"),  # the archive's spelling, accents and all
        ("frontiére", None),  # a known word once accents are folded: nothing to correct
        ("fronteire", "frontière"),
        ("securty budgets", "security budgets"),
    ],
)
def test_did_you_mean(searcher: Searcher, typed: str, expected: str | None) -> None:
    assert searcher.search(typed).did_you_mean == expected


def test_no_suggestion_far_from_every_word(searcher: Searcher) -> None:
    assert searcher.search("zqxwv").did_you_mean is None
    assert searcher.search("sexurbanity").did_you_mean is None


@pytest.mark.parametrize(
    "a, b, distance",
    [("secuirty", "security", 1), ("secrity", "security", 1), ("abc", "abc", 0), ("", "ab", 2)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
