"""Analyzers: how text becomes index terms, for indexing and querying, per language.

English, French and Spanish each get their own Snowball stemmer and stop words;
any other language is folded and lowercased but not stemmed. Accents are folded
*before* stemming, so "Haïti" and "Haiti" can never stem apart. Stop words stay in
the index so a quoted phrase ("Summit of the Americas") matches exactly; they are
dropped from the *query* instead, outside phrases (see ``is_stop_term``).
The schema pickles these analyzers: the classes here must stay importable by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

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

# Languages with their own stemmer and stop words; everything else is NEUTRAL.
LANGUAGES = ("en", "fr", "es")
NEUTRAL = "und"
ANALYZED = (*LANGUAGES, NEUTRAL)

# Words, numbers and dotted abbreviations ("U.S"), plus an English possessive
# ending so that "America’s" is one token ("america") rather than "america" + "s".
# Other apostrophes split: French "l’élection" gives "l" + "election".
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


def analyzed_language(lang: str | None) -> str:
    """Which analyzer an article in ``lang`` is indexed with."""
    return lang if lang in LANGUAGES else NEUTRAL


def text_analyzer(lang: str = "en") -> Analyzer:
    """Article text: words, lowercase, accents folded, then that language's stems."""
    chain = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | PossessiveFilter()
    chain = chain | CharsetFilter(accent_map)
    if lang in LANGUAGES:
        chain = chain | StemFilter(lang=lang, cachesize=100_000)
    return chain


def name_analyzer() -> Analyzer:
    """Person names and the did-you-mean word list: lowercase, folded, never stemmed."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


@cache
def stop_words(lang: str) -> frozenset[str]:
    return frozenset(stoplists[lang]) if lang in LANGUAGES else frozenset()


@cache
def _stop_terms(lang: str) -> frozenset[str]:
    analyzer = text_analyzer(lang)
    return frozenset(t.text for word in stop_words(lang) for t in analyzer(word))


def is_stop_term(term: str, lang: str = "en") -> bool:
    """True when an *analyzed* term is the form of a stop word of ``lang``."""
    return term in _stop_terms(lang)
