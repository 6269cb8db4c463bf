"""The browse window: a query box that searches as you type, the results, filters
with facet counts, and the selected article with its matches.

Searches, previews and similar-article lists run in worker threads through one
``BrowseSession`` (which serialises access to the index); a generation number
drops the answer to a query that has since been retyped. Every key is listed in
the footer; the mouse works as in any Textual app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from ..errors import FocalSearchError
from ..render.safe import inert
from ..search import Hit
from .article import ArticlePane
from .session import BrowseSession, Facets, FilterState, Page, Preview, export_marks

DEBOUNCE = 0.25  # seconds of quiet typing before a search starts
PREVIEW_DELAY = 0.08  # seconds on a row before its article is loaded
_YEAR = r"[0-9-]*"


def _plain(value: str, style: str = "") -> Text:
    """Archive text for a widget: inert, never markup."""
    return Text(inert(value), style=style, no_wrap=True, overflow="ellipsis")


class ResultsTable(DataTable[Text]):
    """The result list; its keys act on the highlighted article."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open"),  # DataTable's own: posts RowSelected
        Binding("n", "app.match(1)", "Next match"),
        Binding("N", "app.match(-1)", "Prev match", key_display="N"),
        Binding("m,space", "app.mark", "Mark"),
        Binding("e", "app.export", "Export marks"),
        Binding("s", "app.similar", "Similar"),
        Binding("c", "app.copy_url", "Copy URL"),
        Binding("o", "app.open_url", "Open URL"),
        Binding("escape", "app.leave_list", "Back", show=False),
    ]


class ArticleScreen(Screen[None]):
    """One article, full screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("n", "match(1)", "Next match"),
        Binding("N", "match(-1)", "Prev match", key_display="N"),
        Binding("c", "app.copy_url", "Copy URL"),
        Binding("o", "app.open_url", "Open URL"),
    ]

    def __init__(self, preview: Preview) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        yield ArticlePane(id="full")
        yield Footer()

    def on_mount(self) -> None:
        pane = self.query_one(ArticlePane)
        pane.show(self.preview)
        pane.focus()

    def action_match(self, step: int) -> None:
        self.query_one(ArticlePane).jump(step)


class ExportScreen(ModalScreen[str | None]):
    """Asks where to export the marked articles."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 60; height: auto; border: round $accent; padding: 0 1; }
    """

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Export {self.count} marked article(s) to (.csv or .jsonl):")
            yield Input(value="marks.csv", id="export-path")
            yield Label("Enter to export, Escape to cancel", classes="hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class BrowseApp(App[None]):
    TITLE = "focal-search browse"
    CSS = """
    #top { height: 3; }
    #query { width: 1fr; }
    #status { width: auto; max-width: 50%; padding: 1 1 0 1; color: $text-muted; }
    #filters { width: 30; border-right: solid $primary-background; padding: 0 1; }
    #filters.hidden { display: none; }
    #filters Label { margin-top: 1; text-style: bold; }
    #filters SelectionList { height: auto; max-height: 14; border: none; padding: 0; }
    #filters Horizontal { height: 3; }
    #filters Input { width: 1fr; }
    #years { color: $text-muted; }
    #results { width: 78; }
    #preview { width: 1fr; border-left: solid $primary-background; }
    Screen.narrow #results { width: 1fr; }
    Screen.narrow #preview { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_query", "Search", key_display="/"),
        Binding("f", "toggle_filters", "Filters"),
        Binding("down", "focus_results", "Results", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        session: BrowseSession,
        query: str = "",
        *,
        debounce: float = DEBOUNCE,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.initial_query = query
        self.debounce = max(0.001, debounce)  # a zero-second Textual timer divides by zero
        self.export_dir = export_dir or Path.cwd()
        self.state = FilterState()
        self.page: Page | None = None
        self.marks: dict[str, Hit] = {}
        self.last_error: str | None = None
        self._generation = 0
        self._search_timer: Timer | None = None
        self._preview_timer: Timer | None = None
        self._showing_similar = False
        self._laid_out = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter keys type into the query box: hide their actions while it has focus."""
        typing = isinstance(self.focused, Input)
        return not (typing and action in ("focus_query", "toggle_filters"))

    # Layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Input(
                value=self.initial_query,
                placeholder='Search: words, "a phrase", OR, -word, author:…, year:…',
                id="query",
            )
            yield Static("", id="status")
        with Horizontal(id="main"):
            with VerticalScroll(id="filters"):
                yield Label("Years")
                with Horizontal(classes="years"):
                    yield Input(placeholder="from", restrict=_YEAR, max_length=7, id="since")
                    yield Input(placeholder="to", restrict=_YEAR, max_length=7, id="until")
                yield Static("", id="years")
                for d in self.session.dimensions:
                    yield Label(d.label)
                    yield SelectionList[str](id=f"facet-{d.name}")
            yield ResultsTable(id="results", cursor_type="row", zebra_stripes=True)
            yield ArticlePane(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self._table = table = self._main.query_one(ResultsTable)
        self._pane = self._main.query_one("#preview", ArticlePane)
        for label, width in (("", 1), ("Title", 32), ("Authors", 16), ("Date", 7)):
            table.add_column(label, width=width, key=label or "mark")
        table.add_column("Score", width=5, key="score")
        table.add_column("Hits", width=4, key="hits")
        self._laid_out = True
        self._fit(self.size.width)
        self._main.query_one("#query", Input).focus()
        self.run_search()

    @property
    def _main(self) -> Screen[Any]:
        """The window's own screen (self.query_one would search an article screen on top)."""
        return self.screen_stack[0]

    def on_resize(self, event: Any) -> None:
        if self._laid_out:
            self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Narrow terminals drop the filters, then the preview (Enter still opens)."""
        self._main.query_one("#filters").set_class(width < 140, "hidden")
        self._main.set_class(width < 100, "narrow")

    # Searching

    @on(Input.Changed, "#query")
    def _query_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(self.debounce, self.run_search)

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        waiting = self._search_timer is not None  # cleared when its search starts
        if waiting or self.page is None or self.page.query != event.value:
            self.run_search()  # now, rather than after the typing pause
        self.action_focus_results()

    @on(Input.Changed, "#since")
    @on(Input.Changed, "#until")
    def _years_changed(self) -> None:
        since, until = (
            self._main.query_one(f"#{n}", Input).value.strip() for n in ("since", "until")
        )
        if any(v and len(v) not in (4, 7) for v in (since, until)):
            return  # still typing a year
        self._set_state(since=since or None, until=until or None)

    @on(SelectionList.SelectedChanged)
    def _facet_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        name = (event.selection_list.id or "").removeprefix("facet-")
        chosen = frozenset(event.selection_list.selected)
        if chosen != self.state.selected.get(name, frozenset()):
            self._set_state(selected={**self.state.selected, name: chosen})

    def _set_state(self, **changes: Any) -> None:
        state = FilterState(**{**self.state.__dict__, **changes})
        if state != self.state:
            self.state = state
            self.run_search()

    def run_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self._generation += 1
        self._showing_similar = False
        query = self._main.query_one("#query", Input).value
        self._search(self._generation, query, self.state)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, generation: int, query: str, state: FilterState) -> None:
        try:
            page = self.session.search(query, state)
        except FocalSearchError as err:
            self.call_from_thread(self._show_error, generation, err)
        else:
            self.call_from_thread(self._show_page, generation, page)

    def _show_error(self, generation: int, err: FocalSearchError) -> None:
        if generation != self._generation:
            return
        self.last_error = err.message
        self._status(Text(inert(f"⚠ {err.message}"), style="bold"))

    def _show_page(self, generation: int, page: Page) -> None:
        if generation != self._generation:
            return  # the query changed while this one ran
        self.last_error = None
        self.page = page
        table = self._table
        table.clear()
        for hit in page.hits:
            table.add_row(*self._cells(hit), key=hit.id)
        self._status(self._summary(page))
        if not page.title:  # a query's results (not a similar-articles list)
            self._facets(generation, page.query, self.state)
        preview = self._pane
        if page.hits:
            table.move_cursor(row=0)
            self._load_preview()
        elif page.query.strip():
            preview.show_message("No article matches.")
        else:
            preview.show_message("Type a query above; / comes back here.")

    def _cells(self, hit: Hit) -> list[Text]:
        count = self.page.hit_counts.get(hit.id) if self.page else None
        return [
            Text("●" if hit.id in self.marks else " ", style="bold"),
            _plain(hit.title or hit.id, "bold"),
            _plain(", ".join(hit.authors)),
            _plain(hit.date or ""),
            Text("" if hit.score is None else f"{hit.score:.2f}", justify="right"),
            Text("" if count is None else str(count), justify="right"),
        ]

    def _summary(self, page: Page) -> Text:
        marked = f" · {len(self.marks)} marked" if self.marks else ""
        if page.title:
            what = f"{inert(page.title)}: {page.total} articles"
        elif not page.query.strip():
            what = "no query"
        else:
            what = f"{page.total} article{'s' if page.total != 1 else ''}"
            if page.total > len(page.hits):
                what += f" (first {len(page.hits)})"
            if page.did_you_mean:
                what += f" · did you mean {inert(page.did_you_mean)}?"
        return Text(f"{what} · {page.elapsed_ms:.0f} ms{marked}")

    def _status(self, text: Text) -> None:
        self._main.query_one("#status", Static).update(text)

    @work(thread=True, exclusive=True, group="facets")
    def _facets(self, generation: int, query: str, state: FilterState) -> None:
        try:
            facets = self.session.facets(query, state)
        except FocalSearchError as err:
            self.call_from_thread(self._show_error, generation, err)
        else:
            self.call_from_thread(self._show_facets, generation, facets)

    def _show_facets(self, generation: int, facets: Facets) -> None:
        if generation != self._generation:
            return
        years = "\n".join(f"{year}  {count:>5}" for year, count in facets.years)
        self._main.query_one("#years", Static).update(Text(years))
        for facet in facets.lists:
            widget = self._main.query_one(f"#facet-{facet.dimension}", SelectionList)
            chosen = self.state.selected.get(facet.dimension, frozenset())
            widget.clear_options()
            widget.add_options(
                [
                    Selection(_plain(f"{value}  ({count})"), value, value in chosen)
                    for value, count in facet.values
                ]
            )

    # The selected article

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._load_preview)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open()

    def current_hit(self) -> Hit | None:
        table = self._table
        if self.page is None or not self.page.hits or table.row_count == 0:
            return None
        row = min(table.cursor_row, len(self.page.hits) - 1)
        return self.page.hits[row]

    def _load_preview(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            query = "" if self._showing_similar else self.page.query if self.page else ""
            self._preview(self._generation, hit.id, query)

    @work(thread=True, exclusive=True, group="preview")
    def _preview(self, generation: int, ref: str, query: str) -> None:
        try:
            preview = self.session.preview(ref, query)
        except FocalSearchError as err:
            self.call_from_thread(self._show_error, generation, err)
        else:
            self.call_from_thread(self._show_preview, generation, preview)

    def _show_preview(self, generation: int, preview: Preview) -> None:
        hit = self.current_hit()
        if generation == self._generation and hit is not None and hit.id == preview.view.article.id:
            self._pane.show(preview)

    # Actions

    def action_focus_query(self) -> None:
        self._main.query_one("#query", Input).focus()

    def action_focus_results(self) -> None:
        self._table.focus()

    def action_toggle_filters(self) -> None:
        self._main.query_one("#filters").toggle_class("hidden")

    def action_leave_list(self) -> None:
        """From a similar-articles list back to the query's results; else to the query."""
        if self._showing_similar:
            self.run_search()
        else:
            self.action_focus_query()

    def action_open(self) -> None:
        preview = self._pane.preview
        hit = self.current_hit()
        if preview is not None and hit is not None and preview.view.article.id == hit.id:
            self.push_screen(ArticleScreen(preview))

    def action_match(self, step: int) -> None:
        self._pane.jump(step)

    def action_mark(self) -> None:
        hit = self.current_hit()
        if hit is None:
            return
        if hit.id in self.marks:
            del self.marks[hit.id]
        else:
            self.marks[hit.id] = hit
        table = self._table
        table.update_cell(hit.id, "mark", Text("●" if hit.id in self.marks else " ", "bold"))
        if self.page is not None:
            self._status(self._summary(self.page))
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_export(self) -> None:
        if not self.marks:
            self.notify("Nothing marked yet: m marks the highlighted article.", markup=False)
            return
        self.push_screen(ExportScreen(len(self.marks)), self._export_to)

    def _export_to(self, name: str | None) -> None:
        if not name:
            return
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = self.export_dir / path
        try:
            rows = export_marks(list(self.marks.values()), path)
        except (FocalSearchError, OSError) as err:
            message = err.message if isinstance(err, FocalSearchError) else str(err)
            self.notify(f"Export failed: {message}", severity="error", markup=False)
            return
        self.notify(f"Exported {rows} article(s) to {path}", markup=False)

    def action_similar(self) -> None:
        hit = self.current_hit()
        if hit is None:
            return
        self._generation += 1
        self._showing_similar = True
        self._similar(self._generation, hit.id)

    @work(thread=True, exclusive=True, group="search")
    def _similar(self, generation: int, ref: str) -> None:
        try:
            page = self.session.similar(ref, self.state)
        except FocalSearchError as err:
            self.call_from_thread(self._show_error, generation, err)
        else:
            self.call_from_thread(self._show_page, generation, page)

    def _url(self) -> str | None:
        screen = self.screen
        if isinstance(screen, ArticleScreen):
            article = screen.preview.view.article
            return article.url or article.path
        hit = self.current_hit()
        return hit.location if hit else None

    def action_copy_url(self) -> None:
        url = self._url()
        if url:
            self.copy_to_clipboard(url)
            self.notify(f"Copied {inert(url)}", markup=False)

    def action_open_url(self) -> None:
        url = self._url()
        if url and "://" in url:
            self.open_url(url)
        elif url:
            self.notify(f"No URL known; the file is {inert(url)}", markup=False)
