"""The browse window, driven headless with Textual's pilot: type, move, open, filter,
mark, export; plus checks of what the screen shows."""

from __future__ import annotations

import asyncio
import csv
import functools
import html
import json
import re
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from focal_search import explore
from focal_search.index import open_index, sync_index
from focal_search.search import Filters, Searcher
from focal_search.tui.session import (
    DIMENSIONS,
    BrowseSession,
    Dimension,
    FilterState,
    available,
    export_marks,
)

from .conftest import focal_page

pytest.importorskip("textual")

from textual.widgets import DataTable, Input, SelectionList  # noqa: E402
from textual.worker import WorkerState  # noqa: E402

from focal_search.tui.app import (  # noqa: E402
    PREVIEW_DELAY,
    ArticleScreen,
    BrowseApp,
    ExportScreen,
)
from focal_search.tui.article import ArticlePane  # noqa: E402

FILLER = " ".join(f"Filler sentence number {n} about fisheries and forests." for n in range(40))

PAGES: dict[str, str | bytes] = {
    "www.focal.ca/en/publications/focalpoint/201-may-2003-checkpoints.txt": focal_page(
        "Checkpoints on the border",
        "Ana Ruiz",
        [FILLER, "Late in the text, the border appears, and the border again."],
    ),
    "www.focal.ca/en/publications/focalpoint/202-june-1999-plan.txt": focal_page(
        "[bold red]Alert[/] an early border plan",
        "Ben Osei",
        ["Officials drew up a border plan long before it was signed."],
    ),
    "www.focal.ca/en/publications/focalpoint/203-july-2008-trade.txt": focal_page(
        "Trade across the border",
        "Ana Ruiz",
        ["Trade grew once the border opened to trucks."],
    ),
    "www.focal.ca/fr/publications/focalpoint/204-aout-2008-frontiere.txt": focal_page(
        "La border des fleuves | FR",
        "Luc Roy",
        ["Le mot border apparaît ici une fois."],
    ),
    "www.focal.ca/en/publications/focalpoint/205-march-2005-fish.txt": focal_page(
        "Fisheries in the north",
        "Cy Dunn",
        ["Nothing about frontiers: boats, nets and quotas."],
    ),
}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browse")
    corpus = root / "corpus"
    for rel, text in PAGES.items():
        path = corpus / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(text), encoding="utf-8")
    sync_index(corpus, root / "ix")
    return root / "ix"


@pytest.fixture
def session(index_dir: Path) -> Iterator[BrowseSession]:
    with open_index(index_dir) as ix, Searcher(ix) as searcher:
        yield BrowseSession(searcher)


# The session (no Textual)


def test_session_search_counts_matches_and_facets(session: BrowseSession) -> None:
    page = session.search("border", FilterState())
    assert page.total == 4
    assert page.hit_counts[page.hits[0].id] >= 1
    checkpoints = next(h for h in page.hits if h.title.startswith("Checkpoints"))
    assert page.hit_counts[checkpoints.id] == 3  # title + twice in the body
    found = session.facets("border", FilterState())
    facets = {f.dimension: dict(f.values) for f in found.lists}
    assert facets["author"]["Ana Ruiz"] == 2 and facets["lang"] == {"en": 3, "fr": 1}
    assert dict(found.years) == {"1999": 1, "2003": 1, "2008": 2}
    # With no query: the whole archive.
    assert sum(n for _, n in session.facets("", FilterState()).years) == 5


def test_each_facet_ignores_its_own_selection(session: BrowseSession) -> None:
    state = FilterState(selected={"author": frozenset({"Ben Osei"})})
    page = session.search("border", state)
    assert [h.authors for h in page.hits] == [["Ben Osei"]]
    facets = {f.dimension: dict(f.values) for f in session.facets("border", state).lists}
    # Authors still counted over every match, so a second one can be chosen...
    assert facets["author"]["Ana Ruiz"] == 2
    # ...while the other lists follow the selection.
    assert facets["lang"] == {"en": 1}


def test_kind_filter_appears_only_when_index_and_library_have_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    columns = {"lang", "author_names", "sort_date"}
    assert [d.name for d in available(DIMENSIONS, columns)] == ["lang", "author"]
    # An index with a `kind` column, a library that counts it: the list appears, its
    # selection applied as a query clause while Filters has no field for it.
    monkeypatch.setitem(explore.FACETS, "kind", "kind")
    dims = available(DIMENSIONS, columns | {"kind"})
    assert [d.name for d in dims] == ["lang", "author", "kind"]
    state = FilterState(selected={"kind": frozenset({"listing", "article"})})
    assert state.query("smart border", dims) == '(smart border) (kind:"article" OR kind:"listing")'
    assert state.query("", dims) == '(kind:"article" OR kind:"listing")'
    assert state.query("smart border", dims, skip="kind") == "smart border"
    assert FilterState(since="2001").filters(dims) == Filters(since="2001")


def test_a_selection_applied_as_a_query_clause_filters(session: BrowseSession) -> None:
    # The query-clause path, on a field every index has: language as a clause.
    session.dimensions = [Dimension("lang", "Language", "no_such_filter", query_field="lang")]
    state = FilterState(selected={"lang": frozenset({"fr"})})
    page = session.search("border", state)
    assert page.query == "border" and [h.lang for h in page.hits] == ["fr"]
    facets = session.facets("border", state)
    assert dict(facets.lists[0].values) == {"en": 3, "fr": 1}  # its own selection ignored
    assert dict(facets.years) == {"2008": 1}  # the year counts follow it
    assert sum(n for _, n in session.facets("", state).years) == 1


def test_export_marks_writes_csv_in_mark_order(session: BrowseSession, tmp_path: Path) -> None:
    hits = session.search("border", FilterState()).hits
    path = tmp_path / "marks.csv"
    assert export_marks([hits[2], hits[0]], path) == 2
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == [hits[2].id, hits[0].id]
    assert [r["rank"] for r in rows] == ["1", "2"]


# The window


def synchronously(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test in its own event loop (no pytest plugin needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def wait(pilot, app: BrowseApp) -> None:  # type: ignore[no-untyped-def]
    """Let the debounce and preview timers fire, the worker threads finish, and the
    window take their answers."""
    await pilot.pause(PREVIEW_DELAY + 0.02)
    for _ in range(500):
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            break
        await pilot.pause(0.01)
    await pilot.pause()


def screen_text(app: BrowseApp) -> str:
    """What the screen shows, as text: the SVG screenshot without its markup."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


@synchronously
async def test_type_move_open_and_jump_between_matches(session: BrowseSession) -> None:
    # A debounce longer than the typing: one search, when the typing stops.
    app = BrowseApp(session, debounce=0.5)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press(*"border")
        await pilot.pause(0.5)
        await wait(pilot, app)
        table = app.query_one(DataTable)
        assert table.row_count == 4
        assert app.query_one("#status").render().plain.startswith("4 articles")
        # Markup in a title is shown literally, never interpreted.
        titles = [table.get_row_at(i)[1].plain for i in range(table.row_count)]
        assert "[bold red]Alert[/] an early border plan" in titles
        await pilot.press("enter")  # from the query box to the list
        row = titles.index("Checkpoints on the border")
        for _ in range(row):
            await pilot.press("down")
        await wait(pilot, app)
        pane = app.query_one("#preview", ArticlePane)
        assert pane.preview is not None
        assert pane.preview.view.article.title == "Checkpoints on the border"
        assert pane.match_count == 3 and pane.current == 0
        await pilot.press("n", "n")
        assert pane.current == 2
        # The last match is far down a long paragraph: the pane scrolled to it.
        assert pane.scroll_y > 0
        await pilot.press("N")
        assert pane.current == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen)
        assert "Checkpoints on the border" in screen_text(app)
        await pilot.press("c")
        assert app.clipboard.endswith("201-may-2003-checkpoints")
        await pilot.press("escape")
        assert not isinstance(app.screen, ArticleScreen)


@synchronously
async def test_filters_narrow_results_with_facet_counts(session: BrowseSession) -> None:
    app = BrowseApp(session, "border", debounce=0.01)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait(pilot, app)
        langs = app.query_one("#facet-lang", SelectionList)
        assert [str(o.prompt) for o in langs.options] == ["en  (3)", "fr  (1)"]
        # Wide: the filters with their counts, the list and the preview side by side.
        text = screen_text(app)
        for shown in ("Years", "Language", "en  (3)", "Ana Ruiz  (2)", "2008      2", "Hits"):
            assert shown in text, shown
        langs.select("fr")
        await wait(pilot, app)
        assert app.query_one(DataTable).row_count == 1
        assert app.state.selected["lang"] == {"fr"}
        langs.deselect("fr")
        await wait(pilot, app)
        app.query_one("#since", Input).value = "2004"
        await wait(pilot, app)
        table = app.query_one(DataTable)
        assert table.row_count == 2
        assert {table.get_row_at(i)[3].plain for i in range(2)} == {"2008-07", "2008-08"}
        # Resizing: narrower drops the filters, then the article pane; wider restores.
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert app.query_one("#filters").has_class("hidden")
        assert not app.screen.has_class("narrow")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.screen.has_class("narrow")
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert not app.screen.has_class("narrow")
        assert not app.query_one("#filters").has_class("hidden")


@synchronously
async def test_mark_and_export_without_colour(
    session: BrowseSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = BrowseApp(session, "border", debounce=0.01, export_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait(pilot, app)
        assert app.no_color
        # Matches in the preview stay visible without colour: bold and underlined.
        svg = app.export_screenshot()
        assert "text-decoration: underline" in svg and "font-weight: bold" in svg
        app.query_one(DataTable).focus()
        await pilot.press("m", "m")  # marks the first two rows (the cursor moves on)
        assert len(app.marks) == 2
        assert "2 marked" in app.query_one("#status").render().plain
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        field = app.screen.query_one(Input)
        field.value = "picked.jsonl"
        await pilot.press("enter")
        await pilot.pause()
    records = [json.loads(line) for line in (tmp_path / "picked.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == list(app.marks)


@synchronously
async def test_similar_errors_and_narrow_screen(session: BrowseSession) -> None:
    app = BrowseApp(session, "border", debounce=0.01)
    async with app.run_test(size=(90, 30)) as pilot:
        await wait(pilot, app)
        # Narrow: no filters, no preview, but the list and the footer keys.
        assert app.screen.has_class("narrow")
        app.query_one(DataTable).focus()
        await pilot.pause()
        text = screen_text(app)
        assert "Checkpoints on the border" in text and "m Mark" in text and "s Similar" in text
        await pilot.press("s")
        await wait(pilot, app)
        assert app.query_one("#status").render().plain.startswith("similar to ")
        await pilot.press("escape")  # back to the query's results
        await wait(pilot, app)
        assert app.query_one(DataTable).row_count == 4
        # A query that cannot run (while being typed, say) is one line in the status bar;
        # the previous results stay, and the next good query clears the message.
        app.query_one("#query", Input).value = "border~3"
        await wait(pilot, app)
        assert app.last_error == "'border'~3: fuzzy terms allow at most 2 edits"
        assert "fuzzy terms allow at most 2 edits" in app.query_one("#status").render().plain
        assert app.query_one(DataTable).row_count == 4
        app.query_one("#query", Input).value = "trucks"
        await wait(pilot, app)
        assert app.last_error is None and app.query_one(DataTable).row_count == 1


def test_browse_command_needs_a_terminal(index_dir: Path) -> None:
    from typer.testing import CliRunner

    from focal_search.cli import app as cli

    result = CliRunner().invoke(cli, ["browse", "border", "--index", str(index_dir)])
    assert result.exit_code == 2
    assert "browse needs a terminal" in result.stderr
