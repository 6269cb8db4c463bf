"""Analyzers: how text becomes index terms, for indexing and querying, per language.

English, French and Spanish each get their own Snowball stemmer and stop words;
any other language is folded and lowercased but not stemmed. Accents are folded
*before* stemming, so "Haïti" and "Haiti" can never stem apart. Stop words stay in
the index so a quoted phrase ("Summit of the Americas") matches exactly; they are
dropped from the *query* instead, outside phrases (see ``is_stop_term``).
The schema pickles these analyzers: the classes here must stay importable by name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Analyzer, Token
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
WORD = re.compile(WORD_PATTERN)


def split_words(text: str) -> list[str]:
    """``WORD.findall(text)``, three times faster on prose: no match spans white
    space, and a piece between spaces that is all letters and digits (``\\w`` is
    exactly those, plus "_") is one word, so the pattern runs on the rest only."""
    findall, out = WORD.findall, []
    for piece in text.split():
        if piece.isalnum():
            out.append(piece)
        else:
            out += findall(piece)
    return out


MEMO_WORDS = 500_000  # analysed words remembered per analyzer (a large archive's vocabulary)


class FoldingAnalyzer(Analyzer):  # type: ignore[misc]  # whoosh is untyped here
    """Words -> lowercase -> English possessive dropped -> accents folded -> stem.

    One pass per text instead of a chain of generator filters: the same terms as
    ``RegexTokenizer | LowercaseFilter | CharsetFilter(accent_map) | StemFilter``,
    at a fraction of the cost (analysis dominated index build time). Analysed forms
    are memoised per word, as Whoosh's StemFilter does for stems.
    """

    def __init__(self, lang: str | None = None) -> None:
        self.lang = lang if lang in LANGUAGES else None
        self._memo: dict[str, str] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FoldingAnalyzer) and other.lang == self.lang

    def __hash__(self) -> int:
        return hash((FoldingAnalyzer, self.lang))

    def __getstate__(self) -> dict[str, Any]:
        return {"lang": self.lang}  # the memo is rebuilt, never pickled into the schema

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state.get("lang"))  # type: ignore[misc]

    def has_morph(self) -> bool:
        return self.lang is not None

    def term(self, word: str) -> str:
        """The index term for one word (memoised)."""
        memo = self._memo
        term = memo.get(word)
        if term is None:
            term = self.analyse_word(word)
            if len(memo) >= MEMO_WORDS:
                memo.clear()
            memo[word] = term
        return term

    def analyse_word(self, word: str) -> str:
        """The index term for one word, computed (callers with their own memo)."""
        term = word.lower()
        if len(term) > 2 and term[-2] in "'’" and term[-1] == "s":
            term = term[:-2]
        term = term.translate(accent_map)
        if self.lang is not None:
            term = _stemmer(self.lang)(term)
        return term

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        t.stopped = False
        if not tokenize:  # the query parser's whole-value terms (prefixes, wildcards)
            t.original = value
            t.text = self.term(value)
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        term = self.term
        for pos, m in enumerate(WORD.finditer(value), start_pos):
            word = m.group()
            t.text = term(word)
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + m.start(), start_char + m.end()
            yield t


def analyzed_language(lang: str | None) -> str:
    """Which analyzer an article in ``lang`` is indexed with."""
    return lang if lang in LANGUAGES else NEUTRAL


def text_analyzer(lang: str = "en") -> Analyzer:
    """Article text: words, lowercase, accents folded, then that language's stems."""
    return FoldingAnalyzer(lang)


def name_analyzer() -> Analyzer:
    """Person names: lowercase, folded, never stemmed ("Benítez" = "benitez")."""
    return FoldingAnalyzer(None)


_SNOWBALL = {"en": "english", "fr": "french", "es": "spanish"}
_local = threading.local()


def _stemmer(lang: str) -> Callable[[str], str]:
    """``lang``'s Snowball stemmer, compiled (PyStemmer): Whoosh's pure-Python port
    took about 80 us a word, a third of a worker's time in a build, and stemmed a
    few words unlike Snowball (and OpenSearch). One per thread, as PyStemmer's
    objects are not thread-safe."""
    stemmers: dict[str, Callable[[str], str]] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stem = stemmers.get(lang)
    if stem is None:
        import Stemmer

        stemmer = Stemmer.Stemmer(_SNOWBALL[lang], 0)  # no cache: terms are memoised here
        stem = stemmers[lang] = stemmer.stemWord
    return stem


# Words Whoosh's lists lack although they are as empty as their neighbours there
# ("le", "la" are listed, "les" is not; "unos" is, "unas" is not).
_MORE_STOP_WORDS = {
    "en": frozenset(),
    "fr": frozenset({"les", "cette", "leurs"}),
    "es": frozenset({"unas"}),
}


@cache
def stop_words(lang: str) -> frozenset[str]:
    """The stop words of ``lang`` as written (empty for languages not analysed)."""
    if lang not in LANGUAGES:
        return frozenset()
    return frozenset(stoplists[lang]) | _MORE_STOP_WORDS[lang]


def _stop_terms(lang: str) -> frozenset[str]:
    from .stopterms import STOP_TERMS  # computed_stop_terms, kept: see stopterms.py

    return STOP_TERMS.get(lang, frozenset())


def computed_stop_terms(lang: str) -> frozenset[str]:
    """The analysed form of every stop word of ``lang``."""
    analyzer = text_analyzer(lang)
    return frozenset(t.text for word in stop_words(lang) for t in analyzer(word))


def _write_stop_terms(path: Path) -> None:
    """Regenerate stopterms.py (``python -m focal_search.analysis``)."""
    import textwrap

    head, _, _ = path.read_text(encoding="utf-8").partition("STOP_TERMS")
    body = ["STOP_TERMS: dict[str, frozenset[str]] = {"]
    for lang in LANGUAGES:
        terms = sorted(computed_stop_terms(lang))
        if any(not t or t.split() != [t] for t in terms):
            raise ValueError(f"a {lang} stop term holds a space: write it out differently")
        lines = textwrap.wrap(" ".join(terms), 80)
        body.append(f'    "{lang}": frozenset(')
        body.append('        """')
        body += [f"        {line}" for line in lines]
        body.append('        """.split()')
        body.append("    ),")
    body.append("}")
    path.write_text(head + "\n".join(body) + "\n", encoding="utf-8")


if __name__ == "__main__":
    _write_stop_terms(Path(__file__).with_name("stopterms.py"))


def is_stop_term(term: str, lang: str = "en") -> bool:
    """True when an *analyzed* term is the form of a stop word of ``lang``."""
    return term in _stop_terms(lang)


def is_stop_name_term(term: str, lang: str = "en") -> bool:
    """The same decision for a term of the unstemmed name field ("author"): it is a
    stop word exactly when its stem is one. Deciding it on the list as written
    instead made "les" (stemmed "le", a stop word) a stop word in the body fields
    and a required word in the author field, so French queries holding it failed;
    accented stop words ("à" folded to "a") failed the same way."""
    if lang not in LANGUAGES:
        return False
    return _stemmer(lang)(term) in _stop_terms(lang)
