"""The ``focal-search`` command: parse options, call the library, render, exit.

Exit codes: 0 something found (or the command succeeded), 1 nothing found,
2 error, 130 interrupted. Results go to stdout; notices, warnings, progress and
errors go to stderr. Errors become one line (plus a hint) in ``FocalGroup``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from . import __version__, config
from .errors import CorpusMissing, FocalSearchError, IndexMissing

if TYPE_CHECKING:
    from .index import FocalIndex, SyncReport

EXIT_FOUND, EXIT_NOTHING, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
DEBUG_ENV = "FOCAL_SEARCH_DEBUG"


class FocalGroup(TyperGroup):
    """Turns library errors, Ctrl-C and closed pipes into messages and exit codes."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except FocalSearchError as err:
            if os.environ.get(DEBUG_ENV):
                raise
            _stderr_line(f"error: {err.message}")
            if err.hint:
                _stderr_line(f"hint: {err.hint}")
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            _stderr_line("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python from
            # complaining when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(EXIT_FOUND) from None


app = typer.Typer(
    cls=FocalGroup,
    name="focal-search",
    help="Full-text search for the FOCAL web archive (and archives like it).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

CorpusOption = Annotated[
    Path | None,
    typer.Option(
        "--corpus",
        help=f"Archive folder to index [env: {config.CORPUS_ENV}; default: ./corpus]",
        show_default=False,
    ),
]
IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index",
        help=f"Index folder [env: {config.INDEX_ENV}; default: ./index]",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"focal-search {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Full-text search for the FOCAL web archive (and archives like it).

    \b
    Examples:
      focal-search query "Mérida Initiative"
      focal-search reindex
    """


@app.command()
def query(
    text: Annotated[str, typer.Argument(metavar="QUERY", help="What to search for.", show_default=False)],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N hits.")] = 10,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Search the archive and print the best matches with highlighted passages.

    Words must all match (AND); stems, case and accents do not matter.

    \b
    Query language:
      smart border            both words (any form: borders, Smart)
      NORAD OR NAFTA          either word
      NAFTA NOT Mexico        exclude a word (also: NAFTA -Mexico)
      (Cuba OR Haiti) aid     group with parentheses
      "smart border"          exact phrase (stop words kept: "Summit of the Americas")
      migra*                  prefix
      title:NORAD             only in a field: title, author, body, bio

    \b
    Examples:
      focal-search query "Mérida Initiative"
      focal-search query '"smart border"' --limit 5
      focal-search query 'author:Benítez security'

    Exit status: 0 if something matched, 1 if nothing did, 2 on error.
    """
    from .render.human import make_console, render_results
    from .search import Searcher

    locations = config.resolve(corpus, index)
    with _open_or_build(locations) as ix, Searcher(ix) as searcher:
        results = searcher.search(text, limit=limit)
        render_results(results, make_console())
    raise typer.Exit(EXIT_FOUND if results.total else EXIT_NOTHING)


@app.command()
def reindex(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild from scratch (atomically) instead of updating.")
    ] = False,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to wait for another reindex to finish."),
    ] = 10.0,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Bring the index up to date with the corpus folder.

    Added, changed and deleted files are applied; unchanged files cost one stat.
    Files that cannot be used are named on stderr, skipped, and counted.

    \b
    Examples:
      focal-search reindex
      focal-search reindex --full --corpus ~/archives/focal --index ~/.cache/focal-index
    """
    from .index import sync_index

    locations = config.resolve(corpus, index)
    with _progress() as on_progress:
        report = sync_index(
            locations.corpus,
            locations.index,
            full=full,
            lock_wait=wait,
            on_skip=_warn_skip,
            on_progress=on_progress,
            on_notice=_stderr_line,
        )
    typer.echo(_summary(report))


def _open_or_build(locations: config.Locations) -> FocalIndex:
    """Open the index; on a fresh checkout, build it first (with a notice)."""
    from .index import open_index, sync_index

    try:
        return open_index(locations.index)
    except IndexMissing as missing:
        if not locations.corpus.is_dir():
            raise CorpusMissing(
                f"no index at {locations.index}, and no corpus at {locations.corpus} to build one from",
                hint="pass --corpus DIR (or set FOCAL_SEARCH_CORPUS) or --index DIR",
            ) from missing
    _stderr_line(f"no index yet: building it from {locations.corpus} (once) …")
    sync_index(locations.corpus, locations.index, on_skip=_warn_skip, on_notice=_stderr_line)
    return open_index(locations.index)


def _summary(report: SyncReport) -> str:
    kind = "Rebuilt" if report.full else "Updated"
    articles = f"{report.articles} article{'s' if report.articles != 1 else ''}"
    return (
        f"{kind} index: {articles} · {report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.unchanged} unchanged, "
        f"{len(report.skipped)} skipped · {report.seconds:.2f} s"
    )


def _warn_skip(path: str, reason: str) -> None:
    _stderr_line(f"skipped {path!r}: {reason}")


def _stderr_line(message: str) -> None:
    from .render.safe import inert

    print(f"focal-search: {inert(message)}", file=sys.stderr, flush=True)


class _progress:
    """A Rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        # auto_refresh=False: no refresh thread (it makes multi-process writers warn).
        self._bar = Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), transient=True, auto_refresh=False,
            console=__import__("rich.console").console.Console(stderr=True),
        )
        self._bar.start()
        task = self._bar.add_task("Indexing", total=None)

        def update(done: int, total: int) -> None:
            self._bar.update(task, completed=done, total=total)
            if done == total or done % 50 == 0:
                self._bar.refresh()

        return update

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "_bar"):
            self._bar.stop()


def main() -> NoReturn:
    """Console-script entry point."""
    app(prog_name="focal-search")
    raise SystemExit(EXIT_FOUND)  # pragma: no cover - app() always exits
