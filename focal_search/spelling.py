"""Did-you-mean: a corrected query when words of the query are unknown to the index.

Suggestions come from the unstemmed, accent-folded ``words`` field, so they are
real words of the archive ("norad" for "norda"), and the user's query is rewritten
word by word, keeping its operators, fields and quotes.
"""

from __future__ import annotations

import re
from typing import Any

from whoosh.support.charset import accent_map

from .analysis import WORD_PATTERN

SPELL_FIELD = "words"
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
# A word of the query, unless it is a field name ("title:"), wildcard or fuzzy term.
_QUERY_WORD = re.compile(rf"(?<![\w*?~^:\[])({WORD_PATTERN})(?![\w*?~:])")


def suggest(searcher: Any, text: str) -> str | None:
    """The query with each unknown word replaced by its most frequent close spelling."""
    reader = searcher.reader()
    changed = False
    out: list[str] = []
    last = 0
    for m in _QUERY_WORD.finditer(text):
        word = m.group(1)
        if word in _OPERATORS or any(ch.isdigit() for ch in word):
            continue
        folded = word.lower().translate(accent_map)
        if reader.doc_frequency(SPELL_FIELD, folded) > 0:
            continue
        best = _closest(reader, folded)
        if best is None:
            continue
        out.append(text[last : m.start(1)])
        out.append(_same_case(word, best))
        last = m.end(1)
        changed = True
    if not changed:
        return None
    out.append(text[last:])
    return "".join(out)


def _closest(reader: Any, word: str) -> str | None:
    """The nearest known word (edits, counting a swap of neighbours as one), then the
    most frequent. Whoosh's own corrector ranks by frequency alone."""
    maxdist = 1 if len(word) <= 4 else 2
    candidates = [
        (edit_distance(word, c), -reader.doc_frequency(SPELL_FIELD, c), c)
        for c in reader.terms_within(SPELL_FIELD, word, maxdist, prefix=1)
        if c != word
    ]
    candidates = [c for c in candidates if c[0] <= maxdist]
    return min(candidates)[2] if candidates else None


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
