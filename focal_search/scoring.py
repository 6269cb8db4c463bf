"""Ranking: BM25F with one IDF per term, as in BM25F proper.

Whoosh's BM25F computes IDF per field, so a word in the short title field gets a
far larger IDF than the same word in the body, and title boosts compound it. Here
each text field of an article uses the term's document-level IDF, estimated from
the larger of its title and body document frequencies; field boosts then weigh
the fields as intended.
"""

from __future__ import annotations

import math
from typing import Any

from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

# Tuned on the relevance collections (benchmarks/relevance.py) among principled
# settings only; K1 1.6 sits in BM25's usual 1.2–2.0 range.
K1 = 1.6
B = 0.75
# One B for every field, measured against per-field values (2026-12-02, MAP on
# cran / cisi / med): title B 0.5 gave -0.003 / +0.002 / 0, title B 1.0 -0.002 /
# -0.004 / 0, body B 0.9 +0.001 / +0.001 / 0 with P@10 -0.013 on med; K1 from 0.9 to
# 2.0 moved MAP by at most 0.008. Nothing there is worth a per-field constant: the
# gains come from the second stage, pseudo-relevance feedback (expand.py).


class ArticleBM25F(BM25F):  # type: ignore[misc]  # whoosh is untyped here
    def __init__(self) -> None:
        super().__init__(B=B, K1=K1)

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _Scorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1)


class _Scorer(BM25FScorer):  # type: ignore[misc]
    def __init__(self, searcher: Any, fieldname: str, text: Any, b: float, k1: float) -> None:
        super().__init__(searcher, fieldname, text, b, k1)
        parent = searcher.get_parent()
        df = max(parent.doc_frequency(name, text) for name in _siblings(fieldname))
        self.idf = bm25_idf(parent.doc_count_all(), df)
        self.setup(searcher, fieldname, text)  # recompute max quality with the new IDF


def bm25_idf(n: int, df: int) -> float:
    """Robertson–Spärck Jones IDF as BM25 uses it (non-negative form). Whoosh's own,
    log(N/(df+1)) + 1, never falls below 1, so the commonest words of a long question
    still weigh in; here they count for almost nothing."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _siblings(fieldname: str) -> tuple[str, ...]:
    """The article-text fields of one language: title_en -> (title_en, body_en)."""
    name, sep, lang = fieldname.rpartition("_")
    if sep and name in ("title", "body", "bio"):
        return (f"title_{lang}", f"body_{lang}")
    return (fieldname,)
