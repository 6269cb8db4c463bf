"""JSON Lines output: a stable contract for scripts.

Every line is one JSON object ``{"type": TYPE, "data": {...}}``. For each query:

* ``begin``   — ``query``, ``parsed`` (as the engine understood it), ``filters``,
  ``sort``, ``any`` (OR mode), ``limit`` (null = all), ``offset``.
* ``hit``     — ``query``, ``rank``, ``score`` (null when sorted by date), ``id``,
  ``url``, ``path``, ``title``,
  ``authors`` (list), ``date`` ("YYYY", "YYYY-MM" or null), ``lang``, ``location``,
  ``captures`` (how many captures of this page the archive holds; the newest is
  shown) and ``capture_urls``, ``kind`` ("article" or "listing"),
  ``snippets``: a list of ``{"field", "text", "highlights": [[start, end], ...]}``
  with offsets in Unicode code points into ``text``. Hits stream in rank order.
* ``summary`` — ``query``, ``total`` (all matches), ``shown``, ``elapsed_ms``,
  ``did_you_mean`` and ``did_you_mean_total`` (a corrected query, or null),
  ``any_total`` (when an AND query found nothing: how many articles have some of
  its words, else null), ``warnings`` (list of strings), ``facets`` (with
  ``--facets``: per facet ``{"counts": [{"value", "count"}...], "other",
  "missing"}``, else null). Always the last line.
* ``occurrence`` — ``kwic`` only, one per match, between its ``begin`` (which adds
  ``width``) and ``summary`` (``query``, ``total`` matching articles, ``shown``,
  ``occurrences``: all of them, or null when the lines stopped at the limit first,
  ``elapsed_ms``, ``warnings``): ``query``, ``n`` (line number), ``id``, ``url``,
  ``title``, ``date``, ``lang``, ``location``, ``field`` ("body" or "bio"), ``start``
  and ``end`` (code-point offsets of the match in that field), ``left``, ``match``,
  ``right`` (the context, whitespace collapsed). Written by render/kwic.py.
* ``error``   — in a batch, a query that failed: ``query``, ``message``, ``hint``.

``show`` prints one ``article`` line (with ``kind``, ``date_source``: where the
date was read, "path", "text" or "metadata", or null; ``captures``: ``{id, url, captured}``
newest first, and ``translations``: ``{id, lang, title, location}``) and ``stats``
one ``stats`` line. Text never
contains markup or colour, nor control characters other than (escaped) tab and
newline; numbers are always finite. Fields may be added in later versions; none is
ever renamed or removed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import IO, Any

from ..errors import FocalSearchError
from ..index import IndexStats
from ..search import ArticleView, Hit, SearchResults
from .safe import inert_data


def line(kind: str, data: dict[str, Any], out: IO[str] | None = None) -> None:
    stream = out or sys.stdout
    record = inert_data({"type": kind, "data": data})  # archive strings, scores
    stream.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
    stream.flush()


class JsonRenderer:
    def __init__(self, limit: int | None) -> None:
        self.limit = limit

    def results(self, results: SearchResults) -> int:
        q = results.query
        line(
            "begin",
            {
                "query": q,
                "parsed": results.parsed,
                "filters": results.filters.describe(),
                "sort": results.sort,
                "any": results.any_words,
                "limit": self.limit,
                "offset": results.offset,
            },
        )
        shown = 0
        for hit in results.hits:
            line("hit", {"query": q, **hit_data(hit)})
            shown += 1
        line(
            "summary",
            {
                "query": q,
                "total": results.total,
                "shown": shown,
                "elapsed_ms": round(results.elapsed_ms(), 1),
                "did_you_mean": results.did_you_mean,
                "did_you_mean_total": results.did_you_mean_total,
                "any_total": results.any_total,
                "warnings": results.warnings,
                "facets": {f.name: facet_data(f) for f in results.facets}
                if results.facets
                else None,
            },
        )
        return shown

    def error(self, query: str, err: FocalSearchError) -> None:
        line("error", {"query": query, "message": err.message, "hint": err.hint})


def facet_data(facet: Any) -> dict[str, Any]:
    return {
        "counts": [{"value": v, "count": n} for v, n in facet.counts],
        "other": facet.other,
        "missing": facet.missing,
    }


def hit_data(hit: Hit) -> dict[str, Any]:
    return {
        "rank": hit.rank,
        "score": None if hit.score is None else round(hit.score, 4),
        "id": hit.id,
        "url": hit.url,
        "path": hit.path,
        "title": hit.title,
        "authors": hit.authors,
        "date": hit.date,
        "lang": hit.lang,
        "location": hit.location,
        "captures": hit.captures,
        "capture_urls": hit.capture_urls,
        "kind": hit.kind,
        "snippets": [
            {"field": s.field, "text": s.text, "highlights": [list(h) for h in s.highlights]}
            for s in hit.snippets
        ],
    }


def article(view: ArticleView) -> None:
    a = view.article
    data = {
        "id": a.id,
        "url": a.url,
        "path": a.path,
        "title": a.title,
        "authors": a.authors,
        "date": a.date,
        "lang": a.lang,
        "body": a.body,
        "bio": a.bio,
        "captures": [asdict(c) for c in view.captures],
        "translations": [asdict(t) for t in view.translations],
        "kind": a.kind,
        "date_source": a.date_source,
    }
    line("article", data)


def stats(s: IndexStats) -> None:
    line("stats", asdict(s))
