"""`focal-search browse`: an interactive full-screen view of the archive (Textual).

Imported only by the browse command, so that the other commands never load Textual.
``session`` holds the library calls (testable without a terminal), ``app`` and
``article`` the widgets.
"""

from __future__ import annotations

from pathlib import Path

from ..search import Searcher


def browse(searcher: Searcher, query: str = "", corpus: Path | None = None) -> None:
    """Run the window until the user quits."""
    from .app import BrowseApp
    from .session import BrowseSession

    BrowseApp(BrowseSession(searcher, corpus), query).run()
