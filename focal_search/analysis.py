"""Analyzers: how text becomes index terms, for both indexing and querying.

Built from named Whoosh filters. Text fields keep stop words in the index so that a
quoted phrase ("Summit of the Americas") matches exactly; stop words are dropped
from the *query* instead, outside phrases (see ``is_stop_term`` and search.py).
The schema pickles these analyzers: the classes here must stay importable by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    Token,
)
from whoosh.lang.stopwords import stoplists
from whoosh.support.charset import accent_map

# Words, numbers and dotted abbreviations ("U.S"), plus an English possessive
# ending so that "America’s" is one token ("america") rather than "america" + "s".
WORD_PATTERN = r"\w+(?:\.\w+)*(?:['’]s\b)?"


class PossessiveFilter(Filter):  # type: ignore[misc]  # whoosh is untyped here
    """Drop a trailing 's / ’s (the tokenizer keeps it attached to its word)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PossessiveFilter)

    def __hash__(self) -> int:
        return hash(PossessiveFilter)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if len(t.text) > 2 and t.text[-2] in "'’" and t.text[-1] == "s":
                t.text = t.text[:-2]
            yield t


def text_analyzer() -> Analyzer:
    """English article text: words, lowercase, accents folded, Snowball stems."""
    return (
        RegexTokenizer(WORD_PATTERN)
        | LowercaseFilter()
        | PossessiveFilter()
        | CharsetFilter(accent_map)
        | StemFilter(lang="en", cachesize=100_000)
    )


def name_analyzer() -> Analyzer:
    """Person names: lowercase and accent-folded, never stemmed ("Benítez" = "benitez")."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


STOP_WORDS: frozenset[str] = frozenset(stoplists["en"])


@lru_cache(maxsize=1)
def _stop_terms() -> frozenset[str]:
    analyzer = text_analyzer()
    return frozenset(t.text for word in STOP_WORDS for t in analyzer(word))


def is_stop_term(term: str) -> bool:
    """True when an *analyzed* term is the form of an English stop word."""
    return term in _stop_terms()
