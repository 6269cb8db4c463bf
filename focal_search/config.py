"""Where the corpus and the index live: command-line flag, then env var, then default.

No hidden config files: the three sources are checked in that fixed order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CORPUS_ENV = "FOCAL_SEARCH_CORPUS"
INDEX_ENV = "FOCAL_SEARCH_INDEX"
DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path("index")


@dataclass(frozen=True)
class Locations:
    corpus: Path
    index: Path
    # The index as an OpenSearch URL (http(s)://host:port/name), when it is one; kept
    # as typed, since a Path would fold its "//".
    url: str | None = None


def resolve(corpus: Path | None = None, index: Path | str | None = None) -> Locations:
    """Resolve both locations; an empty env var counts as unset."""
    raw = str(index) if index is not None else os.environ.get(INDEX_ENV, "").strip()
    url = raw if raw.lower().startswith(("http://", "https://")) else None
    return Locations(
        corpus=_pick(corpus, CORPUS_ENV, DEFAULT_CORPUS),
        index=_pick(Path(index) if index is not None else None, INDEX_ENV, DEFAULT_INDEX),
        url=url,
    )


def _pick(flag: Path | None, env: str, default: Path) -> Path:
    if flag is not None:
        return flag
    value = os.environ.get(env, "").strip()
    return Path(value) if value else default
