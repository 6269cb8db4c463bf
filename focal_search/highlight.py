"""Where a query matched inside a stored text, and which passages to show.

Returns character spans, never markup: renderers decide how a match looks. Text is
re-tokenized with the field's own analyzer so stemmed and accent-folded forms
highlight ("borders" and "Mérida" for the query `border merida`), and a phrase
highlights only where its words occur in sequence.
"""

from __future__ import annotations

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
        self._prefixes = {w[:2] for w in wanted}
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
        words: list[tuple[str, int, int]] = []  # (term, start, end) per token position
        for m in WORD.finditer(text, 0, SCAN_CHARS):
            raw = m.group()
            folded = raw.lower().translate(accent_map)
            term = self._term(raw) if folded[:2] in self._prefixes else ""
            words.append((term, m.start(), m.end()))
        marked: set[int] = {i for i, w in enumerate(words) if w[0] in self._terms}
        for phrase, slop in self._phrases:
            marked.update(_phrase_positions(words, phrase, slop))
        return [(words[i][1], words[i][2]) for i in sorted(marked)]

    def _term(self, word: str) -> str:
        term = self._cache.get(word)
        if term is None:
            term = next((t.text for t in self._analyzer(word, mode="index")), "")
            self._cache[word] = term
        return term


def _phrase_positions(
    words: list[tuple[str, int, int]], phrase: tuple[str, ...], slop: int
) -> Iterable[int]:
    """Token positions of every in-order occurrence of ``phrase`` within ``slop``."""
    first = phrase[0]
    for i, (term, _, _) in enumerate(words):
        if term != first:
            continue
        found = [i]
        for word in phrase[1:]:
            prev = found[-1]
            nxt = next(
                (
                    j
                    for j in range(prev + 1, min(len(words), prev + slop + 1))
                    if words[j][0] == word
                ),
                None,
            )
            if nxt is None:
                break
            found.append(nxt)
        if len(found) == len(phrase):
            yield from found


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
