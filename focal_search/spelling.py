"""Did-you-mean: a corrected query when words of the query are unknown to the index.

An unknown word is analysed like the text (folded, stemmed per language) and
compared with the stems the index holds, and also as written with the words of
the archive: a typo can change a stem beyond recognition ("secuirty" stems to
"secuirti", "security" to "secur"), so stems whose start is near the typed word's
start are candidates too, judged by how their words are written. The nearest
(counting a swap of neighbouring letters as one edit), then the most frequent,
wins. The correction shown is a real word of the archive, taken from an article
holding that stem, in the form closest to what was typed ("mérida" for "merdia").
The query is rewritten word by word, keeping its operators, fields and quotes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from whoosh import query as wq

from .analysis import WORD, WORD_PATTERN

_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
# A word of the query, unless it is a field name ("title:"), wildcard or fuzzy term.
_QUERY_WORD = re.compile(rf"(?<![\w*?~^:\[])({WORD_PATTERN})(?![\w*?~:])")
SURFACE_DOCS = 3  # articles read to find how a suggested stem is written
SURFACE_PREFIX = 2  # letters a misspelt word shares with the stems compared as words
MIN_STEM = 4  # shorter stems start too many words to be compared as written
MAX_WRITTEN_CANDIDATES = 12  # stems read back as words for one unknown word
# Unknown words looked up (≈50 ms each on a small archive): a query with more gets no
# suggestion rather than taking minutes (900 made-up words took 47 s).
MAX_UNKNOWN_WORDS = 10


def suggest(searcher: Any, text: str, fields: Sequence[str]) -> str | None:
    """The query with each unknown word replaced by its best known spelling, or None.

    ``fields`` are the stemmed body fields to draw words from (one per language).
    """
    reader = searcher.reader()
    schema = searcher.schema
    changed = False
    out: list[str] = []
    last = 0
    unknown = 0
    for m in _QUERY_WORD.finditer(text):
        word = m.group(1)
        if word in _OPERATORS or any(ch.isdigit() for ch in word):
            continue
        terms = {f: schema[f].analyzer.term(word) for f in fields}
        if any(reader.doc_frequency(f, t) > 0 for f, t in terms.items()):
            continue
        unknown += 1
        if unknown > MAX_UNKNOWN_WORDS:
            return None
        surface = _closest(searcher, terms, typed=word)
        if surface is None:
            continue
        out.append(text[last : m.start(1)])
        out.append(_same_case(word, surface))
        last = m.end(1)
        changed = True
    if not changed:
        return None
    out.append(text[last:])
    return "".join(out)


def _closest(searcher: Any, terms: dict[str, str], *, typed: str) -> str | None:
    """The archive's word nearest to ``typed``: by stem, or by the written form of a
    stem that starts like it; ties go to the more frequent."""
    reader = searcher.reader()
    folded = _folded(searcher, typed)
    by_stem: dict[tuple[str, str], int] = {}
    for field, term in terms.items():
        maxdist = _max_edits(term)
        for candidate in reader.terms_within(field, term, maxdist, prefix=1):
            distance = edit_distance(term, candidate)
            if candidate != term and distance <= maxdist:
                by_stem[field, candidate] = distance
    # Stems that could be the start of the typed word, misspelt: "secur" for
    # "secuirty". Judged below on how they are written, not on the stem.
    written: set[tuple[str, str]] = set()
    if len(folded) > SURFACE_PREFIX:
        for field in terms:
            for candidate in _prefix_candidates(reader, field, folded):
                if (field, candidate) not in by_stem:
                    written.add((field, candidate))
    choices: list[tuple[int, int, str]] = []
    for field, stem in list(by_stem) + sorted(written):
        surface = _surface(searcher, field, stem, typed=typed)
        if surface is None:
            continue
        distance = edit_distance(folded, _folded(searcher, surface))
        if (field, stem) in by_stem:
            distance = min(distance, by_stem[field, stem])
        elif distance > _max_edits(folded):
            continue
        choices.append((distance, -reader.doc_frequency(field, stem), surface))
    return min(choices)[2] if choices else None


def _max_edits(word: str) -> int:
    return 1 if len(word) <= 4 else 2


def _folded(searcher: Any, word: str) -> str:
    """A word lowercased and accent-folded, not stemmed (as the author field has it)."""
    return str(searcher.schema["author"].analyzer.term(word))


def _prefix_candidates(reader: Any, field: str, folded: str) -> list[str]:
    """Stems of ``field`` sharing the first letters of ``folded`` and within the
    allowed edits of one of its starts, nearest then most frequent first. Bounded:
    only MAX_WRITTEN_CANDIDATES stems are read back as words."""
    maxdist = _max_edits(folded)
    found: list[tuple[int, int, str]] = []
    for candidate in reader.expand_prefix(field, folded[:SURFACE_PREFIX]):
        stem = candidate.decode("utf-8") if isinstance(candidate, bytes) else str(candidate)
        if len(stem) < MIN_STEM or len(stem) > len(folded) + maxdist:
            continue
        distance = _start_distance(folded, stem)
        if distance <= maxdist:
            found.append((distance, -reader.doc_frequency(field, stem), stem))
    return [stem for _, _, stem in sorted(found)[:MAX_WRITTEN_CANDIDATES]]


def _start_distance(word: str, stem: str) -> int:
    """Edits between ``stem`` and the nearest start of ``word`` at least as long as
    the stem less one letter (a letter of the stem may be missing or doubled)."""
    lo = max(1, len(stem) - 1)
    hi = min(len(word), len(stem) + 2)
    return min((edit_distance(word[:n], stem) for n in range(lo, hi + 1)), default=len(stem))


def _surface(searcher: Any, field: str, stem: str, *, typed: str) -> str | None:
    """How ``stem`` is written in the archive: the form nearest to what was typed."""
    analyzer = searcher.schema[field].analyzer
    forms: set[str] = set()
    for hit in searcher.search(wq.Term(field, stem), limit=SURFACE_DOCS):
        stored = hit.fields()
        for text in (stored.get("title", ""), stored.get("body", "")):
            forms.update(w.lower() for w in WORD.findall(text) if analyzer.term(w) == stem)
    if not forms:
        return None
    typed = typed.lower()
    return min(forms, key=lambda form: (edit_distance(typed, form), len(form), form))


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insert, delete, substitute, transpose."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
