"""Results for people: Rich on a terminal, the same content as plain text elsewhere.

Archive text is never parsed as Rich markup: every string goes into a ``Text``
object (markup off), after control characters are neutralised. Colour follows
``--color``; in ``auto`` mode NO_COLOR, FORCE_COLOR and TERM=dumb are honoured.
Lines are wrapped (with a hanging indent) only when stdout is a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from ..errors import FocalSearchError
from ..highlight import Snippet
from ..index import IndexStats
from ..search import ArticleView, Hit, SearchResults
from .safe import inert

MATCH_STYLE = "bold red"
INDENT = 4
COLOR_CHOICES = ("auto", "always", "never")


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


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # Rich would exit with status 1; the CLI ends a closed pipe quietly with 0.
        self.quiet = True
        raise BrokenPipeError


def make_console(stream: IO[str], color: str = "auto") -> Console:
    """A console that never interprets markup or emoji codes, coloured as asked."""
    colored = use_color(color, stream)
    return _Console(
        file=stream,
        force_terminal=colored,
        no_color=not colored,
        color_system="auto" if colored else None,
        markup=False,
        emoji=False,
        highlight=False,
    )


class HumanRenderer:
    def __init__(self, console: Console, *, wrap: bool, batch: bool = False) -> None:
        self.console = console
        self.wrap = wrap
        self.batch = batch
        self._queries = 0

    def results(self, results: SearchResults) -> int:
        if self.batch:
            if self._queries:
                self.console.print()
            self._line(Text(f"==> {inert(results.query)} <==", style="bold"), indent=0)
        self._queries += 1
        shown = 0
        for hit in results.hits:
            if shown:
                self.console.print()
            self._hit(hit)
            shown += 1
        if shown:
            self.console.print()
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
        self._line(Text(inert(footer), style="dim"), indent=0)
        return shown

    def error(self, query: str, err: FocalSearchError) -> None:
        """Reported on stderr by the CLI."""

    def _hit(self, hit: Hit) -> None:
        title = Text(f"{hit.rank}. ", style="bold cyan")
        title.append_text(_marked(hit.title or hit.id, hit.title_highlights, base="bold"))
        self._line(title, indent=0)
        meta = [", ".join(hit.authors)] if hit.authors else []
        if hit.date:
            meta.append(hit.date)
        if hit.lang not in ("en", "und"):
            meta.append(hit.lang)
        if hit.score is not None:
            meta.append(f"score {hit.score:.2f}")
        self._line(Text(inert(" · ".join(meta)), style="dim"))
        self._line(Text(inert(hit.location), style="blue"))
        for snippet in hit.snippets:
            self._line(_snippet_text(snippet))

    def _line(self, text: Text, indent: int = INDENT) -> None:
        _print_line(self.console, text, indent, self.wrap)


def render_article(view: ArticleView, console: Console, *, wrap: bool) -> None:
    """`show`: metadata, captures and translations, then the body and the author note."""
    article = view.article

    def line(text: str, style: str = "") -> None:
        _print_line(console, Text(inert(text), style=style), 0, wrap)

    line(article.title or article.id, "bold")
    meta = [", ".join(article.authors)] if article.authors else []
    meta += [v for v in (article.date, article.lang) if v]
    if meta:
        line(" · ".join(meta), "dim")
    if article.url:
        line(article.url, "blue")
    line(f"id: {article.id}", "dim")
    line(f"file: {article.path}", "dim")
    if len(view.captures) > 1:
        line(f"captured {len(view.captures)} times (newest first):", "dim")
        for capture in view.captures:
            line(f"  {capture.captured or 'undated'}  {capture.url or capture.id}", "dim")
    for other in view.translations:
        line(f"also in {other.lang}: {other.title} — {other.location}", "dim")
    for paragraph in article.body.split("\n"):
        console.print()
        line(paragraph)
    if article.bio:
        console.print()
        line("About the author", "bold")
        for paragraph in article.bio.split("\n"):
            line(paragraph)


def render_stats(stats: IndexStats, console: Console, *, wrap: bool) -> None:
    rows = [
        ("Articles", str(stats.articles)),
        ("Authors", str(stats.authors)),
        ("Languages", ", ".join(f"{k} {v}" for k, v in stats.by_lang.items()) or "-"),
    ]
    rows += [
        ("By year" if i == 0 else "", f"{year}  {n}")
        for i, (year, n) in enumerate(stats.by_year.items())
    ]
    rows += [
        (
            "Index size",
            f"{_size(stats.size_bytes)} in {stats.segments} segment"
            f"{'s' if stats.segments != 1 else ''}",
        ),
        ("Last reindex", stats.last_reindex or "-"),
        ("Created", stats.created or "-"),
        ("Corpus", stats.corpus or "-"),
        ("Index", stats.index),
        ("Format", str(stats.schema_version)),
    ]
    for label, value in rows:
        line = Text(f"{label:<14}", style="bold")
        line.append(inert(value))
        _print_line(console, line, 0, wrap)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _snippet_text(snippet: Snippet) -> Text:
    text = Text("…" if snippet.start > 0 else "")
    text.append_text(_marked(snippet.text, snippet.highlights))
    if not snippet.at_end:
        text.append("…")
    return text


def _marked(raw: str, spans: Sequence[tuple[int, int]], base: str = "") -> Text:
    text = Text(inert(raw), style=base)
    for start, end in spans:
        text.stylize(MATCH_STYLE, start, end)
    return text


def _print_line(console: Console, text: Text, indent: int, wrap: bool) -> None:
    """Wrapped with a hanging indent on a terminal; one unwrapped line elsewhere."""
    if wrap:
        console.print(Padding(text, (0, 0, 0, indent)) if indent else text)
    else:
        console.print(Text(" " * indent) + text, soft_wrap=True)
