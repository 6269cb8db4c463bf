"""The ``focal-search`` command: parse options, call the library, render, exit.

Exit codes: 0 something found (or the command succeeded), 1 nothing found,
2 error, 130 interrupted. Results go to stdout; notices, warnings, progress and
errors go to stderr. Errors become one line (plus a hint) in ``FocalGroup``.
"""

import copy
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from . import __version__, config
from .errors import ArticleNotFound, CorpusMissing, FocalSearchError, IndexMissing

if TYPE_CHECKING:
    from .engine import Engine
    from .index import FocalIndex, SyncReport
    from .render import ResultsRenderer
    from .search import Filters, SearchResults

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
    # Plain help: in Rich markup mode "[env: …; default: …]" in help texts is read as
    # markup and vanishes.
    rich_markup_mode=None,
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
    str | None,
    typer.Option(
        "--index",
        help="Index folder, or an OpenSearch index URL http://HOST:9200/NAME "
        f"[env: {config.INDEX_ENV}; default: ./index]",
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
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Full-text search for the FOCAL web archive (and archives like it).

    \b
    Examples:
      focal-search query "Mérida Initiative"
      focal-search reindex
    """


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class Sort(str, Enum):
    relevance = "relevance"
    date = "date"
    newest = "-date"


# Output options, defined once and shared by every command that prints results.
JsonOption = Annotated[bool, typer.Option("--json", help="JSON Lines output (see README).")]
ColorOption = Annotated[
    Color,
    typer.Option(
        "--color",
        help="Colour: auto (terminal only; honours NO_COLOR, "
        "FORCE_COLOR, TERM=dumb), always, never.",
    ),
]

QUERY_HELP = """Search the archive and print the best matches with highlighted passages.

All words must match (use --any for OR); stems, case and accents do not matter.

\b
Query language:
  smart border              both words, in any form (borders, Smart)
  NORAD OR NAFTA            either word
  NAFTA NOT Mexico          exclude (also: NAFTA -Mexico)
  (Cuba OR Haiti) aid       grouping
  "smart border"            exact phrase (every word counts: "Summit of the Americas")
  "border security"~5       words within 5 positions of each other
  migra*                    prefix
  bordr~  smuglers~2        fuzzy: 1 (default) or 2 edits away
  title:NORAD  author:Benítez  body:…  bio:…   one field only
  lang:fr  year:2009  year:[2005 TO 2009]  date:>=2010-06  url:"http://…"

\b
Examples:
  focal-search query "Mérida Initiative"
  focal-search query '"smart border"' --since 2005 --sort -date
  focal-search query --json NORAD | jq .data.title
  focal-search query -l -0 border | xargs -0 -n1 echo
  printf 'NORAD\\nsmart border\\n' | focal-search query - --tsv

Exit status: 0 if something matched, 1 if nothing did, 2 on error."""


LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        min=1,
        show_default=False,
        help="Show at most N hits [default: 10; all with -l].",
    ),
]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, help="Skip the first N hits.")]
AllOption = Annotated[bool, typer.Option("--all", help="Show every hit.")]
TsvOption = Annotated[bool, typer.Option("--tsv", help="Tab-separated output, one line per hit.")]
NoHeaderOption = Annotated[bool, typer.Option("--no-header", help="No header row with --tsv.")]
FilesOption = Annotated[
    bool, typer.Option("--files-with-matches", "-l", help="Print only locations (URL or path).")
]
NullOption = Annotated[bool, typer.Option("--null", "-0", help="End each -l location with NUL.")]
CountOption = Annotated[
    bool, typer.Option("--count", "-c", help="Print only the number of matches.")
]
AuthorOption = Annotated[
    list[str] | None,
    typer.Option("--author", help="Only articles by this author (repeatable).", show_default=False),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", metavar="YYYY[-MM]", help="Only articles from then on.", show_default=False
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="YYYY[-MM]",
        help="Only articles up to then (inclusive).",
        show_default=False,
    ),
]
LangOption = Annotated[
    list[str] | None,
    typer.Option("--lang", help="Only articles in this language (repeatable).", show_default=False),
]
AnyOption = Annotated[bool, typer.Option("--any", help="Match any word (OR) instead of all.")]


@app.command(help=QUERY_HELP)
def query(
    text: Annotated[
        str | None,
        typer.Argument(
            metavar="QUERY",
            show_default=False,
            help="What to search for; - reads one query per line from stdin.",
        ),
    ] = None,
    queries_from: Annotated[
        Path | None,
        typer.Option(
            "--queries-from",
            metavar="FILE",
            show_default=False,
            help="Run one query per line of FILE.",
        ),
    ] = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    all_hits: AllOption = False,
    json_out: JsonOption = False,
    tsv: TsvOption = False,
    no_header: NoHeaderOption = False,
    files: FilesOption = False,
    null: NullOption = False,
    count: CountOption = False,
    color: ColorOption = Color.auto,
    author: AuthorOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    lang: LangOption = None,
    sort: Annotated[
        Sort,
        typer.Option("--sort", help="Order: relevance, date (oldest first), -date (newest first)."),
    ] = Sort.relevance,
    any_words: AnyOption = False,
    expand: Annotated[
        bool,
        typer.Option(
            "--expand/--no-expand",
            help="Re-rank with the words of the best matches (pseudo-relevance feedback).",
        ),
    ] = True,
    facets: Annotated[
        str | None,
        typer.Option(
            "--facets",
            metavar="year,author,lang,kind",
            show_default=False,
            help="Also count the matches per year, author, language and/or kind of page.",
        ),
    ] = None,
    facet_limit: Annotated[
        int, typer.Option("--facet-limit", min=1, help="Values shown per facet.")
    ] = 10,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            metavar="FILE.csv|FILE.jsonl",
            show_default=False,
            help="Write every match (not a page) to a CSV or JSON Lines file.",
        ),
    ] = None,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            metavar="a,b,c",
            show_default=False,
            help="Columns for --export [default: rank,score,id,title,authors,date,"
            "lang,location; also: url, path, captures, snippet].",
        ),
    ] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    out = _results_format(
        json=json_out,
        tsv=tsv,
        files=files,
        count=count,
        null=null,
        no_header=no_header,
        all_hits=all_hits,
        limit=limit,
    )
    if (text is None) == (queries_from is None) and text != "-":
        raise typer.BadParameter(
            "give a QUERY (or - for stdin), or --queries-from FILE"
            if text is None
            else "give either a QUERY or --queries-from FILE, not both"
        )
    batch = text == "-" or queries_from is not None
    facet_names = [f.strip() for f in facets.split(",") if f.strip()] if facets else []
    if export is not None:
        if out.name != "human" or batch or facet_names:
            raise typer.BadParameter("--export goes with one QUERY, without other output options")
        _export(
            text or "",
            export,
            fields,
            _filters(author, since, until, lang),
            sort=sort,
            any_words=any_words,
            expand=expand,
            corpus=corpus,
            index=index,
        )
    if fields is not None:
        raise typer.BadParameter("--fields only goes with --export")
    filters = _filters(author, since, until, lang)
    renderer = out.renderer(color, batch=batch)

    found = failed = False
    with _engine(config.resolve(corpus, index), corpus) as searcher:
        for q in _queries(text, queries_from):
            try:
                results = searcher.search(
                    q,
                    limit=out.limit,
                    offset=offset,
                    filters=filters,
                    sort=sort.value,
                    any_words=any_words,
                    snippets=out.snippets,
                    expand=expand,
                )
                if facet_names:
                    results.facets = _facets(
                        searcher, q, facet_names, facet_limit, filters=filters, any_words=any_words
                    )
                renderer.results(results)
            except FocalSearchError as err:
                if not batch:
                    raise
                failed = True
                renderer.error(q, err)
                if out.name != "json":
                    _stderr_line(f"error in query {q!r}: {err.message}")
                continue
            found = found or results.total > 0
            if out.name != "json":
                _notices(results)
    raise typer.Exit(EXIT_ERROR if failed else EXIT_FOUND if found else EXIT_NOTHING)


@app.command()
def similar(
    ref: Annotated[
        str,
        typer.Argument(
            metavar="ID", show_default=False, help="An id, path or URL printed by `query`."
        ),
    ],
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    all_hits: AllOption = False,
    json_out: JsonOption = False,
    tsv: TsvOption = False,
    no_header: NoHeaderOption = False,
    files: FilesOption = False,
    null: NullOption = False,
    count: CountOption = False,
    color: ColorOption = Color.auto,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """List the articles most like the given one (by its key terms).

    The article itself, its other captures and its translations are left out.

    \b
    Examples:
      focal-search similar mexico-canada-security-framework.txt
      focal-search similar http://www.focal.ca/en/publications/focalpoint/433-april-2011-x --json

    Exit status: 0 if something similar was found, 1 if not (or no such article),
    2 on error.
    """
    out = _results_format(
        json=json_out,
        tsv=tsv,
        files=files,
        count=count,
        null=null,
        no_header=no_header,
        all_hits=all_hits,
        limit=limit,
    )
    renderer = out.renderer(color, batch=False)
    locations = config.resolve(corpus, index)
    with _engine(locations, corpus) as searcher:
        try:
            results = searcher.similar(
                ref,
                corpus=locations.corpus,
                limit=out.limit,
                offset=offset,
                snippets=out.snippets,
            )
        except ArticleNotFound as err:
            _stderr_line(err.message)
            raise typer.Exit(EXIT_NOTHING) from None
        renderer.results(results)
    raise typer.Exit(EXIT_FOUND if results.total else EXIT_NOTHING)


class Period(str, Enum):
    year = "year"
    month = "month"


@app.command()
def trend(
    queries: Annotated[
        list[str],
        typer.Argument(
            metavar="QUERY...", show_default=False, help="One or more queries to compare."
        ),
    ],
    by: Annotated[Period, typer.Option("--by", help="Count per year or per month.")] = Period.year,
    json_out: JsonOption = False,
    tsv: TsvOption = False,
    no_header: NoHeaderOption = False,
    color: ColorOption = Color.auto,
    author: AuthorOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    lang: LangOption = None,
    any_words: AnyOption = False,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Chart how many articles match each query, per year (or month).

    Counts are shown absolute and as a share of that period's articles; periods
    with no articles in the archive are gaps, not zeros.

    \b
    Examples:
      focal-search trend Haiti Cuba
      focal-search trend '"smart border"' --by month --since 2001 --until 2003
      focal-search trend NAFTA --tsv > nafta.tsv

    Exit status: 0 if any query matched, 1 if none did, 2 on error.
    """
    from .render import trend as render_trend

    fmt = _results_format(
        json=json_out,
        tsv=tsv,
        files=False,
        count=False,
        null=False,
        no_header=no_header,
        all_hits=False,
        limit=None,
    ).name
    filters = _filters(author, since, until, lang)
    with _engine(config.resolve(corpus, index), corpus) as engine:
        result = engine.trend(queries, by=by.value, filters=filters, any_words=any_words)
    if fmt == "json":
        render_trend.jsonl(result)
    elif fmt == "tsv":
        render_trend.tsv(result, header=not no_header)
    else:
        from .render.human import Output

        render_trend.human(result, Output(sys.stdout, color.value))
    found = any(s.counts for s in result.series)
    raise typer.Exit(EXIT_FOUND if found else EXIT_NOTHING)


class KwicSort(str, Enum):
    relevance = "relevance"
    date = "date"
    left = "left"
    right = "right"
    match = "match"


@app.command()
def kwic(
    text: Annotated[
        str, typer.Argument(metavar="QUERY", show_default=False, help="What to search for.")
    ],
    width: Annotated[
        int, typer.Option("--width", "-w", min=1, max=500, help="Characters of context each side.")
    ] = 40,
    sort: Annotated[
        KwicSort,
        typer.Option(
            "--sort",
            help="Order: relevance (best articles first), date (oldest first), or by the "
            "words just left or right of the match, or the match itself.",
        ),
    ] = KwicSort.relevance,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            show_default=False,
            help="Show at most N lines (default 50).",
        ),
    ] = None,
    all_hits: Annotated[bool, typer.Option("--all", help="Show every occurrence.")] = False,
    json_out: JsonOption = False,
    tsv: TsvOption = False,
    no_header: NoHeaderOption = False,
    color: ColorOption = Color.auto,
    author: AuthorOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    lang: LangOption = None,
    any_words: AnyOption = False,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Keyword in context: every occurrence of the query's matches, one per line.

    Left context, the match, right context, aligned, with the article's date and
    title. Matches are the engine's own: `border` also shows "borders" and
    "Border"; a phrase shows as one match.

    \b
    Examples:
      focal-search kwic '"smart border"' --sort left
      focal-search kwic border --since 2001 --until 2005 --width 30
      focal-search kwic NORAD --all --tsv > norad.tsv

    Exit status: 0 if an occurrence was shown, 1 if none, 2 on error.
    """
    from . import kwic as concordances
    from .render import kwic as render_kwic
    from .search import Searcher

    out = _results_format(
        json=json_out,
        tsv=tsv,
        files=False,
        count=False,
        null=False,
        no_header=no_header,
        all_hits=all_hits,
        limit=limit,
        default_limit=50,
    )
    filters = _filters(author, since, until, lang)
    with (
        _open_or_build(_local(config.resolve(corpus, index), "kwic"), corpus) as ix,
        Searcher(ix) as searcher,
    ):
        found = concordances.concordance(
            searcher,
            text,
            width=width,
            sort=sort.value,
            limit=out.limit,
            filters=filters,
            any_words=any_words,
        )
        if out.name == "json":
            shown = render_kwic.jsonl(found)
        elif out.name == "tsv":
            shown = render_kwic.tsv(found, header=out.header)
        else:
            from .render.human import Output

            shown = render_kwic.human(found, Output(sys.stdout, color.value))
    if out.name != "json":
        for warning in found.warnings:
            _stderr_line(f"warning: {warning}")
    raise typer.Exit(EXIT_FOUND if shown else EXIT_NOTHING)


@app.command()
def browse(
    text: Annotated[
        str,
        typer.Argument(metavar="[QUERY]", show_default=False, help="A query to start with."),
    ] = "",
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Browse the archive interactively: search as you type, filter, read, mark, export.

    A full-screen view in the terminal (works over SSH; honours NO_COLOR). The keys
    are shown at the bottom: / search, arrows move, Enter opens, n/N next/previous
    match, m marks, e exports the marks, s similar articles, c copies the URL,
    f filters, Ctrl+Q quits.

    \b
    Examples:
      focal-search browse
      focal-search browse '"smart border"'

    Exit status: 0 when closed, 2 on error.
    """
    from .search import Searcher

    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise FocalSearchError(
            "browse needs a terminal", hint="for scripts use `focal-search query` or `kwic`"
        )
    # Textual is loaded here only: no other command pays for it.
    from .tui import browse as run_browser

    locations = _local(config.resolve(corpus, index), "browse")
    with _open_or_build(locations, corpus) as ix, Searcher(ix) as searcher:
        run_browser(searcher, text, corpus=locations.corpus)


@app.command()
def reindex(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild from scratch (atomically) instead of updating.")
    ] = False,
    optimize: Annotated[
        bool,
        typer.Option(
            "--optimize",
            help="Then merge the index into one segment "
            "(faster searches; takes a while on a large archive).",
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to wait for another reindex to finish."),
    ] = 10.0,
    part: Annotated[
        str | None,
        typer.Option(
            "--part",
            metavar="K/N",
            show_default=False,
            help="OpenSearch only: index share K of N of the files (a stable split, "
            "for several machines sharing one corpus).",
        ),
    ] = None,
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
      focal-search reindex --index http://localhost:9200/focal --part 3/8
    """
    locations = config.resolve(corpus, index)
    with _progress() as on_progress, _engine(locations, build=False) as engine:
        report = engine.sync(
            locations.corpus,
            full=full,
            part=_part(part),
            optimize=optimize,
            lock_wait=wait,
            on_skip=_warn_skip,
            on_warning=_warn_partial,
            on_progress=on_progress,
            on_notice=_stderr_line,
        )
    typer.echo(_summary(report))


@app.command()
def show(
    ref: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="An id, path or URL printed by `query`.", show_default=False
        ),
    ],
    json_out: JsonOption = False,
    color: ColorOption = Color.auto,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Print one whole article: its metadata, then the body and the author note.

    \b
    Examples:
      focal-search show mexico-canada-security-framework.txt
      focal-search show http://www.focal.ca/en/publications/focalpoint/433-april-2011-diego-ayo
      focal-search show corpus/mexico-canada-security-framework.txt --json

    Exit status: 0 if the article exists, 1 if not, 2 on error.
    """
    locations = config.resolve(corpus, index)
    with _existing(locations, corpus) as engine:
        try:
            article = engine.article(ref, corpus=locations.corpus)
        except ArticleNotFound as err:
            _stderr_line(err.message)
            raise typer.Exit(EXIT_NOTHING) from None
    if json_out:
        from .render import jsonl

        jsonl.article(article)
    else:
        from .render.human import Output, render_article

        render_article(article, Output(sys.stdout, color.value))


@app.command()
def stats(
    json_out: JsonOption = False,
    color: ColorOption = Color.auto,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Describe the index: articles by year and language, authors, size, last reindex.

    \b
    Examples:
      focal-search stats
      focal-search stats --json | jq .data.by_year
    """
    with _engine(config.resolve(corpus, index), build=False) as engine:
        summary = engine.stats()
    if json_out:
        from .render import jsonl

        jsonl.stats(summary)
    else:
        from .render.human import Output, render_stats

        render_stats(summary, Output(sys.stdout, color.value))


def _engine(
    locations: config.Locations, corpus: Path | None = None, *, build: bool = True
) -> "Engine":
    """The index that answers: OpenSearch for a URL, else the folder, built first on a
    fresh checkout when ``build`` (else opened on first use: reindex creates it).
    ``corpus`` is the --corpus flag: a local index built from another folder is
    refused when one is named."""
    from .engine import open_engine

    if locations.url is not None:
        return open_engine(locations.url)
    if build:
        return open_engine(locations.index, _open_or_build(locations, corpus))
    return open_engine(locations.index)


def _existing(locations: config.Locations, corpus: Path | None) -> "Engine":
    """An index that must exist already (never built here), checked against a named
    corpus like every other index that answers."""
    from .engine import open_engine
    from .index import open_index

    if locations.url is not None:
        return open_engine(locations.url)
    ix = _same_corpus(open_index(locations.index), locations, corpus)
    return open_engine(locations.index, ix)


def _local(locations: config.Locations, command: str) -> config.Locations:
    """``locations``, which must name a local index folder for ``command``."""
    if locations.url is not None:
        raise FocalSearchError(
            f"{command} works on a local index, not on an OpenSearch cluster",
            hint="pass --index DIR (a folder), or use `focal-search query` on the cluster",
        )
    return locations


def _part(value: str | None) -> tuple[int, int] | None:
    """--part K/N as (K, N), 1 <= K <= N."""
    if value is None:
        return None
    k, sep, n = value.partition("/")
    if sep and k.strip().isdigit() and n.strip().isdigit() and 1 <= int(k) <= int(n):
        return int(k), int(n)
    raise typer.BadParameter(f"--part takes K/N with 1 <= K <= N (e.g. 3/8), not {value!r}")


def _open_or_build(locations: config.Locations, corpus: Path | None = None) -> "FocalIndex":
    """Open the index; on a fresh checkout, build it first (with a notice and, on a
    terminal, the same progress bar as reindex). ``corpus`` is the --corpus flag."""
    from .index import open_index, sync_index

    try:
        ix = open_index(locations.index)
    except IndexMissing as missing:
        if not locations.corpus.is_dir():
            raise CorpusMissing(
                f"no index at {locations.index}, "
                f"and no corpus at {locations.corpus} to build one from",
                hint="pass --corpus DIR (or set FOCAL_SEARCH_CORPUS) or --index DIR",
            ) from missing
    else:
        return _same_corpus(ix, locations, corpus)
    _stderr_line(f"no index yet: building it from {locations.corpus} (once) …")
    with _progress() as on_progress:
        sync_index(
            locations.corpus,
            locations.index,
            on_skip=_warn_skip,
            on_warning=_warn_partial,
            on_progress=on_progress,
            on_notice=_stderr_line,
        )
    return open_index(locations.index)


def _same_corpus(
    ix: "FocalIndex", locations: config.Locations, corpus: Path | None
) -> "FocalIndex":
    """The index, unless a corpus was named (flag or variable) and the index was built
    from another folder: its answers would not be about that corpus."""
    from .index import check_corpus

    if corpus is not None or os.environ.get(config.CORPUS_ENV, "").strip():
        try:
            check_corpus(ix.meta, locations.corpus, locations.index)
        except FocalSearchError:
            ix.close()
            raise
    return ix


def _filters(
    author: list[str] | None, since: str | None, until: str | None, lang: list[str] | None
) -> "Filters":
    from .search import Filters

    # An empty value would silently match nothing.
    for flag, values in (("--author", author), ("--lang", lang)):
        if any(not value.strip() for value in values or ()):
            raise typer.BadParameter(f"{flag} needs a value (it was empty)")

    return Filters(authors=tuple(author or ()), since=since, until=until, langs=tuple(lang or ()))


def _facets(
    engine: "Engine", q: str, names: list[str], top: int, *, filters: "Filters", any_words: bool
) -> list[Any]:
    try:
        return engine.facets(q, names, top, filters=filters, any_words=any_words)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None


def _export(
    text: str,
    path: Path,
    fields: str | None,
    filters: "Filters",
    *,
    sort: Sort,
    any_words: bool,
    expand: bool = False,
    corpus: Path | None,
    index: str | None,
) -> NoReturn:
    from .render import export

    names = (
        [f.strip() for f in fields.split(",") if f.strip()]
        if fields
        else list(export.DEFAULT_FIELDS)
    )
    export.check(path, names)
    with _engine(config.resolve(corpus, index), corpus) as engine:
        results = engine.search(
            text,
            limit=None,
            filters=filters,
            sort=sort.value,
            any_words=any_words,
            snippets="snippet" in names,
            expand=expand,
        )
        with _progress("Exporting") as on_progress:
            rows = export.write(
                results.hits,
                path,
                names,
                on_row=(lambda n: on_progress(n, results.total)) if on_progress else None,
            )
    _stderr_line(f"exported {rows} article{'s' if rows != 1 else ''} to {path}")
    raise typer.Exit(EXIT_FOUND if rows else EXIT_NOTHING)


@dataclass(frozen=True)
class _ResultsFormat:
    """The one output format asked for, with the options that go with it."""

    name: str  # human, json, tsv, files (-l) or count (-c)
    limit: int | None  # hits to show; None for every one
    header: bool
    null: bool

    @property
    def snippets(self) -> bool:
        """Lists and counts show no passages, so they need none computed."""
        return self.name not in ("files", "count")

    def renderer(self, color: Color, *, batch: bool) -> "ResultsRenderer":
        if self.name == "json":
            from .render.jsonl import JsonRenderer

            return JsonRenderer(self.limit)
        if self.name == "tsv":
            from .render.tsv import TsvRenderer

            return TsvRenderer(header=self.header, batch=batch)
        if self.name in ("files", "count"):
            from .render.lists import CountRenderer, FilesRenderer

            return (
                CountRenderer(batch=batch)
                if self.name == "count"
                else FilesRenderer(null=self.null)
            )
        from .render.human import HumanRenderer, Output

        return HumanRenderer(Output(sys.stdout, color.value), batch=batch)


def _results_format(
    *,
    json: bool,
    tsv: bool,
    files: bool,
    count: bool,
    null: bool,
    no_header: bool,
    all_hits: bool,
    limit: int | None,
    default_limit: int = 10,
) -> _ResultsFormat:
    """Check the output options together, in one place: two formats at once, or an
    option that only goes with another, is a usage error."""
    flags = {
        "json": ("--json", json),
        "tsv": ("--tsv", tsv),
        "files": ("-l", files),
        "count": ("-c", count),
    }
    chosen = [name for name, (_, on) in flags.items() if on]
    if len(chosen) > 1:
        first, second = (flags[name][0] for name in chosen[:2])
        raise typer.BadParameter(f"{first} and {second} cannot be used together")
    name = chosen[0] if chosen else "human"
    if null and name != "files":
        raise typer.BadParameter("-0/--null only goes with -l/--files-with-matches")
    if no_header and name != "tsv":
        raise typer.BadParameter("--no-header only goes with --tsv")
    if all_hits and limit is not None:
        raise typer.BadParameter("--all and --limit cannot be used together")
    # Lists (-l) show every match unless told otherwise, like grep -l.
    shown = None if all_hits or (limit is None and name == "files") else (limit or default_limit)
    return _ResultsFormat(name, shown, header=not no_header, null=null)


def _queries(text: str | None, queries_from: Path | None) -> Iterator[str]:
    """The query, or each non-blank line of stdin / the file, read as it arrives."""
    if text is not None and text != "-":
        yield text
        return
    if queries_from is None:
        lines: Iterable[str] = sys.stdin
        yield from (line.strip() for line in lines if line.strip())
        return
    try:
        with open(queries_from, encoding="utf-8") as fh:
            yield from (line.strip() for line in fh if line.strip())
    except (OSError, UnicodeDecodeError) as err:
        raise FocalSearchError(
            f"cannot read queries from {queries_from}: {getattr(err, 'strerror', None) or err}"
        ) from None


def _notices(results: "SearchResults") -> None:
    """Suggestions and warnings for people, on stderr (JSON puts them in the summary)."""
    for warning in results.warnings:
        _stderr_line(f"warning: {warning}")
    if results.did_you_mean:
        n = results.did_you_mean_total
        _stderr_line(
            f"did you mean {results.did_you_mean!r}? ({n} article{'s' if n != 1 else ''}: "
            f"focal-search query {shlex.quote(results.did_you_mean)})"
        )
    if results.any_total:
        n = results.any_total
        _stderr_line(
            f"no article has all of these words; {n} ha{'ve' if n != 1 else 's'} some "
            f"of them: focal-search query --any {shlex.quote(results.query)}"
        )


def _summary(report: "SyncReport") -> str:
    kind = "Rebuilt" if report.full else "Updated"
    articles = f"{report.articles} article{'s' if report.articles != 1 else ''}"
    records = ""
    if report.records_skipped:
        n = sum(report.records_skipped.values())
        kinds = ", ".join(f"{count} {why}" for why, count in report.records_skipped.most_common())
        records = f" · {n} record{'s' if n != 1 else ''} not articles ({kinds})"
    return (
        f"{kind} index: {articles} · {report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.unchanged} unchanged, "
        f"{len(report.skipped)} skipped{records} · {report.seconds:.2f} s"
    )


def _warn_skip(path: str, reason: str) -> None:
    _stderr_line(f"skipped {path!r}: {reason}")


def _warn_partial(path: str, problem: str) -> None:
    _stderr_line(f"warning: {path!r}: {problem}")


def _stderr_line(message: str) -> None:
    from .render.safe import inert

    print(f"focal-search: {inert(message)}", file=sys.stderr, flush=True)


class _progress:
    """A Rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, description: str = "Indexing") -> None:
        self.description = description
        self._bar: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        # auto_refresh=False: no refresh thread (it makes multi-process writers warn).
        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
            auto_refresh=False,
            console=Console(stderr=True),
        )
        self._bar = bar
        bar.start()
        task = bar.add_task(self.description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if done == total or done % 50 == 0:
                bar.refresh()

        return update

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _app_for(args: list[str]) -> typer.Typer:
    """The app, holding only the command named first in ``args`` when there is one.

    Typer turns every registered command's signature into Click options at each
    start (a third of a cold query's time after its imports, for eight commands); a
    process runs one command, so only that one is built. The command, its options,
    help and errors are the same objects as in ``app``; anything else (``--help``,
    ``--version``, no command, a mistyped one) gets the whole app.
    """
    from typer.main import get_command_name

    first = args[0] if args else ""
    chosen = [
        info
        for info in app.registered_commands
        if info.callback is not None
        and (info.name or get_command_name(info.callback.__name__)) == first
    ]
    if len(chosen) != 1:
        return app
    lean = copy.copy(app)
    lean.registered_commands = chosen
    return lean


def main() -> NoReturn:
    """Console-script entry point."""
    try:
        _app_for(sys.argv[1:])(prog_name="focal-search")
    except SystemExit:
        # Output still buffered when the reader has gone (`| head`) must not turn
        # into a BrokenPipeError traceback at interpreter exit.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise
    except Exception as err:  # noqa: BLE001 - typer has handled its own exits by now
        # A bug, not bad input: one line rather than a traceback, unless debugging.
        if os.environ.get(DEBUG_ENV):
            raise
        _stderr_line(f"internal error: {type(err).__name__}: {err}")
        _stderr_line(f"hint: run again with {DEBUG_ENV}=1 for the traceback, and report it")
        raise SystemExit(EXIT_ERROR) from None
    raise SystemExit(EXIT_FOUND)  # pragma: no cover - app() always exits
