"""Where a query matched inside a stored text, and which passages to show.

Returns character spans, never markup: renderers decide how a match looks. Text is
re-tokenized with the field's own analyzer so stemmed and accent-folded forms
highlight ("borders" and "Mérida" for the query `border merida`), and a phrase
highlights only where its words occur in sequence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.support.charset import accent_map

from .analysis import WORD

SNIPPET_CHARS = 240  # target length of one passage
CONTEXT_BEFORE = 70  # characters kept before the first match of a passage
MAX_EXPANSIONS = 500  # terms a prefix/wildcard/fuzzy query contributes to highlighting
MAX_ANCHORS = 400  # matches considered as passage starts (bounds the cost on huge texts)
SCAN_CHARS = 2_000_000  # how far into a field matches are looked for
CACHE_WORDS = 200_000  # analysed forms remembered across the queries of a batch
MAX_PREFIX_SCANS = 12  # up to this many word prefixes, one scan of the text per prefix

Span = tuple[int, int]


@dataclass(frozen=True)
class Snippet:
    """A passage of one field: ``text`` plus match spans relative to it."""

    field: str
    text: str
    highlights: list[Span]
    start: int  # offset of ``text`` in the field
    at_end: bool  # the passage reaches the end of the field


@dataclass
class MatchSpec:
    """Per field: single terms to mark anywhere, and phrases to mark in sequence."""

    terms: dict[str, set[str]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], int]]] = field(default_factory=dict)


def match_spec(q: wq.Query, reader: Any, fields: Collection[str]) -> MatchSpec:
    """Collect what to highlight in ``fields`` from a parsed query; negated parts are ignored."""
    spec = MatchSpec()

    def visit(node: wq.Query) -> None:
        if node.is_leaf() and getattr(node, "fieldname", None) not in fields:
            return  # numbers, dates, ids: nothing to highlight in the text
        if isinstance(node, (wq.Not, wq.AndNot)):
            if isinstance(node, wq.AndNot):
                visit(node.a)
            return
        if isinstance(node, wq.Phrase):
            if node.words:
                slop = max(1, int(node.slop))
                spec.phrases.setdefault(node.fieldname, []).append((tuple(node.words), slop))
            return
        if isinstance(node, wq.Term):
            spec.terms.setdefault(node.fieldname, set()).add(_as_text(node.text))
            return
        if isinstance(node, wq.MultiTerm):
            terms = spec.terms.setdefault(node.fieldname, set())
            for n, (_, text) in enumerate(node.expanded_terms(reader)):
                if n >= MAX_EXPANSIONS:
                    break
                terms.add(_as_text(text))
            return
        if not node.is_leaf():
            for child in node.children():
                visit(child)

    visit(q)
    return spec


# A word that may match, at its token position: (term, start, end); the term is ""
# for a word whose analysed form was not needed.
Words = dict[int, tuple[str, int, int]]


class FieldMatcher:
    """Finds the spans of one field's terms and phrases in a text."""

    def __init__(
        self,
        analyzer: Any,
        terms: set[str],
        phrases: list[tuple[tuple[str, ...], int]],
        cache: dict[str, str] | None = None,
    ):
        self._analyzer = analyzer
        self._terms = terms
        self._phrases = phrases
        wanted = terms.union(w for words, _ in phrases for w in words)
        # Stems keep the start of their word, so a two-letter prefix check on the
        # folded word skips the analyzer for nearly all words that cannot match.
        self._prefixes = {w[:2] for w in wanted if w}
        # The same check as regular expressions over the folded text, so that the
        # words that cannot match cost no Python at all. One pattern per prefix
        # while there are few: Python's re scans for a literal prefix ~30x faster
        # than for an alternation (measured: 15 µs vs 540 µs on a 6 KB page). They
        # find the tokens WORD finds (the folded text has the same word characters),
        # starting where WORD would (checked by _token_starts_at after a dot or quote).
        heads = sorted(self._prefixes, key=len, reverse=True)
        groups = [[h] for h in heads] if len(heads) <= MAX_PREFIX_SCANS else [heads]
        self._candidates = [
            re.compile(
                "(?:"
                + "|".join(f"{re.escape(h)}(?<!\\w{re.escape(h)})" for h in group)
                + r")\w*(?:\.\w+)*(?:['’]s\b)?"
            )
            for group in groups
        ]
        self._cache: dict[str, str] = {} if cache is None else cache
        if len(self._cache) > CACHE_WORDS:
            self._cache.clear()

    def with_query(
        self, terms: set[str], phrases: list[tuple[tuple[str, ...], int]]
    ) -> FieldMatcher:
        """A matcher for another query, sharing this one's analysed-word cache."""
        return FieldMatcher(self._analyzer, terms, phrases, self._cache)

    def __bool__(self) -> bool:
        return bool(self._terms or self._phrases)

    def spans(self, text: str) -> list[Span]:
        words = self._words(text)
        marked: set[int] = {pos for pos, w in words.items() if w[0] in self._terms}
        for phrase, slop in self._phrases:
            for found in _phrase_occurrences(words, phrase, slop):
                marked.update(found)
        return [(words[pos][1], words[pos][2]) for pos in sorted(marked)]

    def occurrences(self, text: str) -> list[Span]:
        """Each match once: a word, or a whole phrase from its first word to its last.
        A word already inside a phrase occurrence is not repeated."""
        words = self._words(text)
        found = [(s, e) for term, s, e in words.values() if term in self._terms]
        for phrase, slop in self._phrases:
            found.extend(
                (words[hit[0]][1], words[hit[-1]][2])
                for hit in _phrase_occurrences(words, phrase, slop)
            )
        found.sort(key=lambda span: (span[0], -span[1]))
        kept: list[Span] = []
        for span in found:
            if not kept or span[0] >= kept[-1][1]:
                kept.append(span)
        return kept

    def _words(self, text: str) -> Words:
        """The words that may match, by token position (counted as the indexer does)."""
        words: Words = {}
        if not self._candidates:
            return words
        text = text[:SCAN_CHARS]
        folded = fold(text)
        if len(folded) != len(text):  # a rare letter whose lowercase is longer
            for pos, m in enumerate(WORD.finditer(text)):
                raw = m.group()
                head = fold(raw)[:2]
                if head in self._prefixes or head[:1] in self._prefixes:
                    words[pos] = (self._term(raw), m.start(), m.end())
            return words
        pos = last = 0
        prefixes = self._prefixes
        found = [m.span() for pattern in self._candidates for m in pattern.finditer(folded)]
        if len(self._candidates) > 1:
            found = sorted(set(found))  # "x" and "xy" may both find "xylem"
        for start, end in found:
            if start and text[start - 1] in ".'’" and not _token_starts_at(text, start):
                continue  # inside a dotted "a.border" (but not after "U.S." or "it's.")
            head = folded[start : min(start + 2, end)]
            if head not in prefixes and head[:1] not in prefixes:
                continue  # e.g. "xy" for a one-letter term "x" (but "x's" may be "x")
            if self._phrases:  # only phrases need true positions: count the words between
                pos += len(WORD.findall(text, last, start))
            words[pos] = (self._term(text[start:end]), start, end)
            pos += 1
            last = end
        return words

    def _term(self, word: str) -> str:
        term = self._cache.get(word)
        if term is None:
            term = next((t.text for t in self._analyzer(word, mode="index")), "")
            self._cache[word] = term
        return term


_NO_WORD = ("", 0, 0)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold(text: str) -> str:
    """Lowercase, accents folded (as the analyzers fold them). Only the non-ASCII
    runs go through the accent map: translating a whole text costs ~0.2 µs a character."""
    low = text.lower()
    if low.isascii():
        return low
    return _NON_ASCII.sub(lambda m: m.group().translate(accent_map), low)


def _token_starts_at(text: str, start: int) -> bool:
    """Whether WORD's scan of ``text`` starts a token at ``start`` (for the rare
    candidate just after a dot or an apostrophe, where only the scan can tell)."""
    # The scan restarts after any character no token holds: read from the last one.
    i = start
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_.'’"):
        i -= 1
    for m in WORD.finditer(text, i):
        if m.start() >= start:
            return m.start() == start
    return False


def _phrase_occurrences(words: Words, phrase: tuple[str, ...], slop: int) -> Iterable[list[int]]:
    """The token positions of each in-order occurrence of ``phrase`` within ``slop``."""
    first = phrase[0]
    for pos, (term, _, _) in sorted(words.items()):
        if term != first:
            continue
        found = [pos]
        for word in phrase[1:]:
            prev = found[-1]
            nxt = next(
                (j for j in range(prev + 1, prev + slop + 1) if words.get(j, _NO_WORD)[0] == word),
                None,
            )
            if nxt is None:
                break
            found.append(nxt)
        if len(found) == len(phrase):
            yield found


def best_snippets(field_name: str, text: str, spans: list[Span], limit: int = 3) -> list[Snippet]:
    """Up to ``limit`` non-overlapping passages holding the most distinct matches."""
    if not spans:
        return []
    chosen: list[tuple[int, int]] = []
    remaining = list(spans)
    while remaining and len(chosen) < limit:
        best = max(
            (_window(text, a, remaining) for a in range(min(len(remaining), MAX_ANCHORS))),
            key=lambda w: (w[0], -w[1]),
        )
        _, start, end = best
        chosen.append((start, end))
        remaining = [s for s in remaining if s[1] <= start or s[0] >= end]
    chosen.sort()
    return [_snippet(field_name, text, start, end, spans) for start, end in chosen]


def lead_snippet(field_name: str, text: str) -> list[Snippet]:
    """The opening of a text, for a hit whose match is elsewhere (title, author)."""
    if not text:
        return []
    end = _snap_end(text, min(len(text), SNIPPET_CHARS))
    return [_snippet(field_name, text, 0, end, [])]


def _window(text: str, anchor: int, spans: list[Span]) -> tuple[float, int, int]:
    """Score and bounds of the passage that starts just before ``spans[anchor]``."""
    first = spans[anchor][0]
    start = _snap_start(text, max(0, first - CONTEXT_BEFORE), first)
    end = _snap_end(text, min(len(text), start + SNIPPET_CHARS))
    inside = []
    for s, e in spans[anchor:]:
        if s >= end:
            break
        if e <= end:
            inside.append(text[s:e].lower())
    if not inside:  # a very long word: keep at least the match itself
        end = spans[anchor][1]
        inside = [text[first:end].lower()]
    return len(set(inside)) * 2 + len(inside) * 0.1, start, end


def _snap_start(text: str, start: int, first_match: int) -> int:
    if start == 0:
        return 0
    # Prefer a sentence or paragraph start; otherwise the next word boundary.
    cut = max(text.rfind(". ", start, first_match), text.rfind("\n", start, first_match))
    if cut != -1:
        start = cut + 1
    elif not text[start - 1].isspace():
        space = text.find(" ", start, first_match)
        start = space + 1 if space != -1 else start
    while start < first_match and text[start].isspace():
        start += 1
    return start


def _snap_end(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", max(0, end - 40), end)
    return space if space != -1 else end


def _snippet(field_name: str, text: str, start: int, end: int, spans: list[Span]) -> Snippet:
    passage = text[start:end].replace("\n", " ")  # same length: offsets stay valid
    marks = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    return Snippet(field_name, passage, marks, start, end >= len(text))


def _as_text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
