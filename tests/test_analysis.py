"""Analyzer tables: text in, terms out, for indexing and querying."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from focal_search.analysis import (
    LANGUAGES,
    WORD,
    is_stop_term,
    name_analyzer,
    split_words,
    stop_words,
    text_analyzer,
)


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


# One article per analysed language: a content word of its own (a single word no
# other language shares) and every stop word of the language in its text.
_STOP_ARTICLES = {
    "en": ("Harbour dredging plans", "The council approved the dredging of the harbour."),
    "fr": ("Le dragage du port", "Le conseil a approuvé le dragage du port."),
    "es": ("El dragado del puerto", "El consejo aprobó el dragado del puerto."),
}
_CONTENT_WORD = {"en": "dredging", "fr": "dragage", "es": "dragado"}


@pytest.fixture(scope="module")
def stop_searcher(tmp_path_factory: pytest.TempPathFactory):
    from focal_search.index import open_index, sync_index
    from focal_search.search import Searcher

    from .conftest import focal_page

    root = tmp_path_factory.mktemp("stops")
    for lang in LANGUAGES:
        title, sentence = _STOP_ARTICLES[lang]
        words = " ".join(sorted(stop_words(lang)))
        page = root / "corpus" / f"www.focal.ca/{lang}/publications/1-{lang}.txt"
        page.parent.mkdir(parents=True)
        page.write_text(focal_page(title, "Ann Lee", [sentence, words]), encoding="utf-8")
    sync_index(root / "corpus", root / "ix")
    with open_index(root / "ix") as ix, Searcher(ix) as searcher:
        yield searcher


def _stop_word_cases() -> list[tuple[str, str]]:
    return [(lang, word) for lang in LANGUAGES for word in sorted(stop_words(lang))]


def test_stop_lists_are_not_empty() -> None:
    assert all(len(stop_words(lang)) > 100 for lang in LANGUAGES)
    assert {"les", "à", "été"} <= stop_words("fr")


def test_every_stop_word_agrees_between_index_and_query(stop_searcher) -> None:
    """Each stop word of each language, alone and inside a query of that language,
    through the real index and query path: alone it is searched for (the article
    holds it); inside a query it never stops the article from matching."""
    from focal_search.search import Filters

    failures = []
    for lang, word in _stop_word_cases():
        own = Filters(langs=(lang,))  # the one article of that language
        content = _CONTENT_WORD[lang]
        for q in (word, f"{content} {word}", f'{word} "{content}"'):
            if stop_searcher.count(q, filters=own) != 1:
                failures.append((lang, q))
    assert failures == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_stop_words_do_not_widen_a_query(stop_searcher, lang: str) -> None:
    """Dropping a stop word must not leave a query that matches other languages'
    articles: the content word still decides."""
    word = sorted(stop_words(lang))[0]
    ids = {hit.id for hit in stop_searcher.search(f"{_CONTENT_WORD[lang]} {word}").hits}
    assert ids == {f"www.focal.ca/{lang}/publications/1-{lang}.txt"}


def test_french_les_finds_french_articles(stop_searcher) -> None:
    hits = stop_searcher.search("les dragage").hits
    assert [hit.id for hit in hits] == ["www.focal.ca/fr/publications/1-fr.txt"]


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_kept_stop_terms_are_those_the_analyzer_gives(lang: str) -> None:
    from focal_search.analysis import computed_stop_terms
    from focal_search.stopterms import STOP_TERMS

    # If this fails, a stop list or an analyzer changed: `python -m focal_search.analysis`.
    assert STOP_TERMS[lang] == computed_stop_terms(lang)


# Letters, digits, marks, the pattern's own punctuation and every kind of space.
_TRICKY = "aZé9_’'.s\u0301\u0660\u00b2\u2160 \t\n\x1c\u00a0\u2028\u3000-,İß"


@settings(max_examples=400)
@given(st.text(alphabet=st.sampled_from(_TRICKY) | st.characters(), max_size=60))
def test_split_words_equals_the_word_pattern(text: str) -> None:
    assert split_words(text) == WORD.findall(text)


def test_split_words_keeps_abbreviations_and_possessives() -> None:
    text = "The U.S. and Canada’s smart_border, l’élection (2004)... NORAD's 2nd."
    assert split_words(text) == WORD.findall(text)
    assert "U.S" in split_words(text) and "Canada’s" in split_words(text)
