"""The article pane: one article with the query's matches marked, and keys to step
from match to match (the current one reversed, scrolled into view).

Archive text only ever enters Rich ``Text`` objects (never markup), after control
characters are made inert. Matches are marked bold and underlined as well as
coloured, so they stay visible with NO_COLOR.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..highlight import Span
from ..render.safe import inert
from .session import Preview

MATCH = "bold underline yellow"
CURRENT = "bold reverse"


@dataclass
class _Paragraph:
    text: str
    style: str
    spans: list[Span]  # relative to ``text``
    widget: Static | None = None


class ArticlePane(VerticalScroll, can_focus=True):
    """Shows a Preview; ``jump(+1/-1)`` moves to the next or previous match."""

    DEFAULT_CSS = """
    ArticlePane { padding: 0 1; }
    ArticlePane > Static { margin-bottom: 1; }
    ArticlePane > Static.meta { margin-bottom: 0; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.preview: Preview | None = None
        self._paragraphs: list[_Paragraph] = []
        self._matches: list[tuple[int, int]] = []  # (paragraph, span index) in reading order
        self.current = -1

    @property
    def match_count(self) -> int:
        return len(self._matches)

    def show_message(self, message: str) -> None:
        self.preview = None
        self._set([_Paragraph(message, "dim", [])])

    def show(self, preview: Preview) -> None:
        """Lay the article out, and scroll to its first match (if any)."""
        self.preview = preview
        article = preview.view.article
        spans = preview.spans
        parts = [_Paragraph(article.title or article.id, "bold", spans.get("title", []))]
        meta = [", ".join(article.authors)] if article.authors else []
        meta += [v for v in (article.date, article.lang) if v]
        if meta:
            parts.append(_Paragraph(" · ".join(meta), "dim", []))
        parts.append(_Paragraph(article.url or article.path, "underline", []))
        for other in preview.view.translations:
            parts.append(_Paragraph(f"also in {other.lang}: {other.title}", "dim", []))
        parts += _split(article.body, spans.get("body", []))
        if article.bio:
            parts.append(_Paragraph("About the author", "bold", []))
            parts += _split(article.bio, spans.get("bio", []))
        self._set(parts)
        if self._matches:
            self.current = 0
            self._restyle(0)
            self.call_after_refresh(self._scroll_to_current)

    def jump(self, step: int) -> None:
        if not self._matches:
            return
        before = self._matches[self.current][0] if self.current >= 0 else None
        self.current = (self.current + step) % len(self._matches)
        if before is not None:
            self._restyle(before)
        self._restyle(self._matches[self.current][0])
        self._scroll_to_current()

    def _set(self, parts: list[_Paragraph]) -> None:
        self.remove_children()
        self._paragraphs = parts
        self._matches = [(i, k) for i, p in enumerate(parts) for k in range(len(p.spans))]
        self.current = -1
        widgets = []
        for index, part in enumerate(parts):
            part.widget = Static(self._paragraph_text(index), classes="meta" if index < 3 else "")
            widgets.append(part.widget)
        self.mount_all(widgets)
        self.scroll_home(animate=False)

    def _paragraph_text(self, index: int) -> Text:
        part = self._paragraphs[index]
        text = Text(inert(part.text), style=part.style)
        current = self._matches[self.current] if self.current >= 0 else None
        for k, (start, end) in enumerate(part.spans):
            text.stylize(CURRENT if current == (index, k) else MATCH, start, end)
        return text

    def _restyle(self, index: int) -> None:
        widget = self._paragraphs[index].widget
        if widget is not None:
            widget.update(self._paragraph_text(index))

    def _scroll_to_current(self) -> None:
        if self.current < 0:
            return
        index, k = self._matches[self.current]
        part = self._paragraphs[index]
        if part.widget is None:
            return
        # The line of the match inside its paragraph, as wrapped at the pane's width.
        width = max(1, part.widget.content_region.width)
        line = part.spans[k][0] // width
        target = part.widget.virtual_region.y + line
        self.scroll_to(y=max(0, target - 2), animate=False)


def _split(text: str, spans: list[Span]) -> list[_Paragraph]:
    """Paragraphs of a field (one per line), each with its own matches."""
    parts = []
    offset = 0
    for line in text.split("\n"):
        end = offset + len(line)
        inside = [(s - offset, e - offset) for s, e in spans if s >= offset and e <= end]
        if line.strip():
            parts.append(_Paragraph(line, "", inside))
        offset = end + 1
    return parts
