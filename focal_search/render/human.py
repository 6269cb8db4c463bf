"""Results for people: Rich on a terminal, the same content as plain text elsewhere.

Archive text is never parsed as Rich markup: every string goes into a ``Text``
object (markup off), after control characters are neutralised.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from ..highlight import Snippet
from ..search import Hit, SearchResults
from .safe import inert

MATCH_STYLE = "bold red"
INDENT = 4


def make_console(file: object = None, *, stderr: bool = False) -> Console:
    """A console that never interprets markup, emoji codes or 'highlights' numbers."""
    return Console(
        file=file,  # type: ignore[arg-type]
        stderr=stderr,
        markup=False,
        emoji=False,
        highlight=False,
    )


def render_results(results: SearchResults, console: Console) -> int:
    """Print each hit as a block, then a footer line. Returns the number printed."""
    shown = 0
    for hit in results.hits:
        if shown:
            console.print()
        _print_hit(hit, console)
        shown += 1
    if shown:
        console.print()
    first = results.offset + 1
    what = "article" if results.total == 1 else "articles"
    if shown:
        span = f"{first}–{results.offset + shown}" if shown > 1 else f"{first}"
        footer = f"Showing {span} of {results.total} {what} · {results.elapsed_ms():.0f} ms"
    else:
        footer = f"No articles match {results.query!r} · {results.elapsed_ms():.0f} ms"
    console.print(Text(footer, style="dim"), soft_wrap=not console.is_terminal)
    return shown


def _print_hit(hit: Hit, console: Console) -> None:
    title = Text(f"{hit.rank}. ", style="bold cyan")
    title.append_text(_marked(hit.title or hit.id, hit.title_highlights, base="bold"))
    _line(console, title, indent=0)

    meta = [", ".join(hit.authors)] if hit.authors else []
    if hit.date:
        meta.append(hit.date)
    meta.append(f"score {hit.score:.2f}")
    _line(console, Text(inert(" · ".join(meta)), style="dim"))
    _line(console, Text(inert(hit.location), style="blue"))
    for snippet in hit.snippets:
        _line(console, _snippet_text(snippet))


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


def _line(console: Console, text: Text, indent: int = INDENT) -> None:
    """On a terminal, wrap with a hanging indent; elsewhere one unwrapped line."""
    if console.is_terminal:
        console.print(Padding(text, (0, 0, 0, indent)) if indent else text)
    else:
        console.print(Text(" " * indent) + text, soft_wrap=True)
