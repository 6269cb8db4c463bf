"""Analyzer tables: text in, terms out, for indexing and querying."""

from __future__ import annotations

import pytest

from focal_search.analysis import is_stop_term, name_analyzer, text_analyzer


def terms(analyzer, text: str, mode: str = "index") -> list[str]:
    return [t.text for t in analyzer(text, mode=mode)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mérida Initiative", ["merida", "initi"]),
        ("MERIDA initiatives", ["merida", "initi"]),
        ("Québec", ["quebec"]),
        ("borders", ["border"]),
        ("North America’s", ["north", "america"]),
        ("Canada's", ["canada"]),
        ("Bogotá Haïti Perú", ["bogota", "haiti", "peru"]),
        ("Summit of the Americas", ["summit", "of", "the", "america"]),  # stops kept
        ("smuggling smugglers", ["smuggl", "smuggler"]),
        ("Mexico-Canada", ["mexico", "canada"]),
    ],
)
@pytest.mark.parametrize("mode", ["index", "query"])
def test_text_analyzer(text: str, expected: list[str], mode: str) -> None:
    assert terms(text_analyzer(), text, mode) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("Raúl Benítez Manaut", ["raul", "benitez", "manaut"]), ("Writers", ["writers"])],
)
def test_names_are_folded_not_stemmed(text: str, expected: list[str]) -> None:
    assert terms(name_analyzer(), text) == expected


@pytest.mark.parametrize(
    "word, stop", [("the", True), ("was", True), ("of", True), ("border", False), ("norad", False)]
)
def test_stop_terms_are_analyzed_forms(word: str, stop: bool) -> None:
    analyzed = terms(text_analyzer(), word)[0]
    assert is_stop_term(analyzed) is stop
