"""Results for people: coloured and wrapped on a terminal, the same text elsewhere.

Each hit becomes lines of (text, style) pieces; a backend writes them. Rich is
used only when there is colour or wrapping to do (and imported only then: a piped
query should not pay for it). Archive text is never parsed as Rich markup: it goes
into ``Text`` objects, after control characters are neutralised. Colour follows
``--color``; in ``auto`` mode NO_COLOR, FORCE_COLOR and TERM=dumb are honoured.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Any

from ..errors import FocalSearchError
from ..highlight import Snippet
from ..index import IndexStats
from ..search import ArticleView, Hit, SearchResults
from .safe import inert

MATCH_STYLE = "bold red"
INDENT = 4

Piece = tuple[str, str]  # (text, Rich style name or "")


def use_color(choice: str, stream: IO[str]) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


class Output:
    """Writes lines of styled pieces: plainly, or through Rich when styled/wrapped."""

    def __init__(self, stream: IO[str], color: str = "auto") -> None:
        self.stream = stream
        self.wrap = stream.isatty()
        self.color = use_color(color, stream)
        self._console: Any = None
        if self.color or self.wrap:
            self._console = _rich_console(stream, self.color)

    def line(self, pieces: Sequence[Piece], indent: int = 0) -> None:
        if self._console is None:
            self.stream.write(" " * indent + "".join(inert(t) for t, _ in pieces) + "\n")
            return
        from rich.padding import Padding
        from rich.text import Text

        text = Text()
        for piece, style in pieces:
            text.append(inert(piece), style=style or None)
        if self.wrap:
            self._console.print(Padding(text, (0, 0, 0, indent)) if indent else text)
        else:
            self._console.print(Text(" " * indent) + text, soft_wrap=True)

    def blank(self) -> None:
        self.line([])

    @property
    def width(self) -> int | None:
        """Columns of the terminal lines are wrapped to; None when not wrapping."""
        return int(self._console.width) if self.wrap and self._console is not None else None

    def table(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        """A two-column table: a Rich table when styled, aligned text otherwise."""
        if self._console is None:
            self.line([(title, "")])
            width = max((len(inert(k)) for k, _ in rows), default=0)
            for key, value in rows:
                self.line([(f"{inert(key):<{width}}  {value:>6}", "")], 2)
            return
        from rich.table import Table

        table = Table(
            title=title, title_justify="left", show_header=False, box=None, padding=(0, 2)
        )
        table.add_column(style="")
        table.add_column(justify="right")
        for key, value in rows:
            table.add_row(inert(key), value)
        self._console.print(table)


def _rich_console(stream: IO[str], colored: bool) -> Any:
    from rich.console import Console

    class QuietConsole(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit with status 1; the CLI ends a closed pipe quietly with 0.
            self.quiet = True
            raise BrokenPipeError

    return QuietConsole(
        file=stream,
        force_terminal=colored,
        no_color=not colored,
        color_system="auto" if colored else None,
        markup=False,
        emoji=False,
        highlight=False,
    )


class HumanRenderer:
    def __init__(self, out: Output, *, batch: bool = False) -> None:
        self.out = out
        self.batch = batch
        self._queries = 0

    def results(self, results: SearchResults) -> int:
        out = self.out
        if self.batch:
            if self._queries:
                out.blank()
            out.line([(f"==> {results.query} <==", "bold")])
        self._queries += 1
        shown = 0
        for hit in results.hits:
            if shown:
                out.blank()
            self._hit(hit)
            shown += 1
        if shown:
            out.blank()
        for facet in results.facets:
            rows = [(value, str(count)) for value, count in facet.counts]
            if facet.other:
                rows.append(("(others)", str(facet.other)))
            if facet.missing:
                rows.append(("(none)", str(facet.missing)))
            out.table(f"By {facet.name}", rows)
            out.blank()
        what = "article" if results.total == 1 else "articles"
        ms = f"{results.elapsed_ms():.0f} ms"
        if shown:
            first = results.offset + 1
            span = f"{first}–{results.offset + shown}" if shown > 1 else f"{first}"
            footer = f"Showing {span} of {results.total} {what} · {ms}"
        elif results.total:
            footer = f"No more hits: {results.total} {what} in all · {ms}"
        else:
            footer = f"No articles match {results.query!r} · {ms}"
        out.line([(footer, "dim")])
        return shown

    def error(self, query: str, err: FocalSearchError) -> None:
        """Reported on stderr by the CLI."""

    def _hit(self, hit: Hit) -> None:
        out = self.out
        out.line(
            [
                (f"{hit.rank}. ", "bold cyan"),
                *_marked(hit.title or hit.id, hit.title_highlights, base="bold"),
            ]
        )
        meta = [", ".join(hit.authors)] if hit.authors else []
        if hit.date:
            meta.append(hit.date)
        if hit.lang not in ("en", "und"):
            meta.append(hit.lang)
        if hit.captures > 1:
            meta.append(f"{hit.captures} captures")
        if hit.score is not None:
            meta.append(f"score {hit.score:.2f}")
        out.line([(" · ".join(meta), "dim")], INDENT)
        out.line([(hit.location, "blue")], INDENT)
        for snippet in hit.snippets:
            out.line(_snippet_pieces(snippet), INDENT)


def render_article(view: ArticleView, out: Output) -> None:
    """`show`: metadata, captures and translations, then the body and the author note."""
    article = view.article
    out.line([(article.title or article.id, "bold")])
    meta = [", ".join(article.authors)] if article.authors else []
    if article.date:
        # Where the date was read, so a reader can judge it (never a capture time).
        source = f" (from {article.date_source})" if article.date_source else ""
        meta.append(f"{article.date}{source}")
    meta += [v for v in (article.lang, article.kind if article.kind != "article" else None) if v]
    if meta:
        out.line([(" · ".join(meta), "dim")])
    if article.url:
        out.line([(article.url, "blue")])
    out.line([(f"id: {article.id}", "dim")])
    out.line([(f"file: {article.path}", "dim")])
    if len(view.captures) > 1:
        out.line([(f"captured {len(view.captures)} times (newest first):", "dim")])
        for capture in view.captures:
            out.line([(f"  {capture.captured or 'undated'}  {capture.url or capture.id}", "dim")])
    for other in view.translations:
        out.line([(f"also in {other.lang}: {other.title} — {other.location}", "dim")])
    for paragraph in article.body.split("\n"):
        out.blank()
        out.line([(paragraph, "")])
    if article.bio:
        out.blank()
        out.line([("About the author", "bold")])
        for paragraph in article.bio.split("\n"):
            out.line([(paragraph, "")])


def render_stats(stats: IndexStats, out: Output) -> None:
    rows = [
        ("Articles", str(stats.articles)),
        ("Authors", str(stats.authors)),
        ("Languages", ", ".join(f"{k} {v}" for k, v in stats.by_lang.items()) or "-"),
    ]
    rows += [
        ("By year" if i == 0 else "", f"{year}  {n}")
        for i, (year, n) in enumerate(stats.by_year.items())
    ]
    segments = f"{stats.segments} segment{'s' if stats.segments != 1 else ''}"
    rows += [
        ("Index size", f"{_size(stats.size_bytes)} in {segments}"),
        ("Last reindex", stats.last_reindex or "-"),
        ("Created", stats.created or "-"),
        ("Corpus", stats.corpus or "-"),
        ("Index", stats.index),
        ("Format", str(stats.schema_version)),
    ]
    for label, value in rows:
        out.line([(f"{label:<14}", "bold"), (value, "")])


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _snippet_pieces(snippet: Snippet) -> list[Piece]:
    pieces: list[Piece] = [("…", "")] if snippet.start > 0 else []
    pieces += _marked(snippet.text, snippet.highlights)
    if not snippet.at_end:
        pieces.append(("…", ""))
    return pieces


def _marked(raw: str, spans: Sequence[tuple[int, int]], base: str = "") -> list[Piece]:
    """Split ``raw`` at the match spans: matches get MATCH_STYLE on top of ``base``."""
    pieces: list[Piece] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            continue
        if start > last:
            pieces.append((raw[last:start], base))
        pieces.append((raw[start:end], f"{base} {MATCH_STYLE}".strip()))
        last = end
    if last < len(raw) or not pieces:
        pieces.append((raw[last:], base))
    return pieces
