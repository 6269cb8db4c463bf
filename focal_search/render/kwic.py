"""Keyword-in-context output: aligned columns for people, JSON Lines and TSV for scripts.

Human view, one line per occurrence: date, the left context right-aligned, the
match (highlighted, padded to the longest match shown), the right context, then the
title (or id), cut to the terminal's width on a terminal. JSON Lines: ``begin``, one
``occurrence`` line each, ``summary`` (see jsonl.py). TSV: a header, then ``id date
title field start end left match right``, escaped as for ``query --tsv``.
"""

from __future__ import annotations

import sys
from typing import Any

from ..kwic import Concordance, Occurrence
from .human import MATCH_STYLE, Output
from .jsonl import line
from .safe import inert
from .tsv import escape

TSV_COLUMNS = ["id", "date", "title", "field", "start", "end", "left", "match", "right"]
MAX_MATCH_COLUMN = 40  # a longer match (a long phrase) pushes its own right context only
DATE_COLUMN = 7  # "YYYY-MM"


def human(found: Concordance, out: Output) -> int:
    """Print the lines, aligned; returns how many were printed."""
    # Buffered (a page of lines) so the right-hand contexts line up in one column.
    lines = list(found.lines)
    match_width = min(MAX_MATCH_COLUMN, max((len(o.match) for o in lines), default=0))
    width = found.width
    for o in lines:
        left = inert(o.left).rstrip()
        match = inert(o.match)
        right = inert(o.right).lstrip()
        head = f"{o.date or '':<{DATE_COLUMN}}  {left:>{width}} "
        tail = f"{'':<{max(0, match_width - len(match))}} {right:<{width}}  "
        title = inert(o.title or o.id)
        if out.width is not None:
            room = out.width - len(head) - len(match) - len(tail)
            title = title if len(title) <= room else title[: max(0, room - 1)] + "…"
        out.line([(head, ""), (match, MATCH_STYLE), (tail, ""), (title, "dim")])
    if lines:
        out.blank()
    out.line([(_footer(found, len(lines)), "dim")])
    return len(lines)


def _footer(found: Concordance, shown: int) -> str:
    ms = f"{found.elapsed_ms():.0f} ms"
    articles = f"{found.articles} article{'s' if found.articles != 1 else ''}"
    if not shown:
        if found.articles:
            return f"No occurrences in the text of the {articles} matching {found.query!r} · {ms}"
        return f"No articles match {found.query!r} · {ms}"
    total = found.occurrences
    of = f" of {total}" if total is not None and total != shown else ""
    more = "" if total is not None else " (more with --limit or --all)"
    what = "occurrence" if shown == 1 and not of else "occurrences"
    return f"Showing {shown}{of} {what} in {articles}{more} · {ms}"


def jsonl(found: Concordance) -> int:
    q = found.query
    line(
        "begin",
        {
            "query": q,
            "parsed": found.parsed,
            "filters": found.filters.describe(),
            "sort": found.sort,
            "any": found.any_words,
            "limit": found.limit,
            "width": found.width,
        },
    )
    shown = 0
    for o in found.lines:
        shown += 1
        line("occurrence", {"query": q, "n": shown, **occurrence_data(o)})
    line(
        "summary",
        {
            "query": q,
            "total": found.articles,
            "shown": shown,
            "occurrences": found.occurrences,
            "elapsed_ms": round(found.elapsed_ms(), 1),
            "warnings": found.warnings,
        },
    )
    return shown


def occurrence_data(o: Occurrence) -> dict[str, Any]:
    return {
        "id": o.id,
        "url": o.url,
        "title": o.title,
        "date": o.date,
        "lang": o.lang,
        "location": o.location,
        "field": o.field,
        "start": o.start,
        "end": o.end,
        "left": o.left,
        "match": o.match,
        "right": o.right,
    }


def tsv(found: Concordance, *, header: bool) -> int:
    out = sys.stdout
    if header:
        out.write("\t".join(TSV_COLUMNS) + "\n")
    shown = 0
    for o in found.lines:
        row = [o.id, o.date or "", o.title, o.field, str(o.start), str(o.end)]
        row += [o.left, o.match, o.right]
        out.write("\t".join(escape(v) for v in row) + "\n")
        shown += 1
    out.flush()
    return shown
