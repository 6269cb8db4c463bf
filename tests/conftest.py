"""Shared fixtures: FOCAL-shaped pages written into temporary corpora."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

BANNER = (
    "Welcome to the FOCAL archive\n\n"
    "The Canadian Foundation for the Americas (FOCAL) is no longer in operation. This website "
    "documents FOCAL's activities and accomplishments throughout its existence. Thank you for "
    "your interest in the work of FOCAL.\n\n"
)
FOOTER = (
    "\n\nblog comments powered by Disqus\nComments Policy\n\n"
    "Comments displayed in the Disqus forum are not the opinion of FOCAL, but of the commenter.\n\n"
    'Click "Flag" to report abuse to the moderator.\n\n'
    "disqus_logo Privacy Policy\n\naddthis AddThis Privacy Policy"
)


def focal_page(
    title: str,
    authors: str | None,
    body: list[str],
    bio: str | None = None,
    *,
    end_mark: bool = True,
    extra_top: str = "",
) -> str:
    """A page in the archive's shape: banner, title, authors, body, bio, footer."""
    parts = [BANNER + extra_top + title]
    if authors:
        parts.append(authors)
    paragraphs = list(body)
    if end_mark:
        paragraphs[-1] += "blue square"
    parts.extend(paragraphs)
    if bio:
        parts.append(bio)
    return "\n\n".join(parts) + FOOTER


WriteCorpus = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture(autouse=True)
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No colour, location or debug variables from the caller's shell, and a fixed
    terminal width: every test's output is deterministic."""
    for var in (
        "NO_COLOR",
        "FORCE_COLOR",
        "TERM",
        "FOCAL_SEARCH_CORPUS",
        "FOCAL_SEARCH_INDEX",
        "FOCAL_SEARCH_DEBUG",
        "FOCAL_SEARCH_LANG",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture
def write_corpus(tmp_path: Path) -> WriteCorpus:
    """Write {relative path: text or bytes} under tmp_path/corpus and return the folder."""
    root = tmp_path / "corpus"

    def write(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return write


# A small archive with known answers, shared by the search and CLI tests.
SMALL_ARCHIVE: dict[str, str | bytes] = {
    "www.focal.ca/en/publications/focalpoint/433-april-2011-border.txt": focal_page(
        "Smart borders after 2001",
        "Jane Doe and Raúl Benítez Manaut",
        [
            "Canada signed the Smart Border Agreement in December 2001, and Mexico followed.",
            "Border security became the centre of the relationship with the United States.",
        ],
        "Jane Doe is a researcher at FOCAL.",
    ),
    "www.focal.ca/en/publications/focalpoint/400-march-2009-merida.txt": focal_page(
        "Drug cartels and the state",
        "John Smith",
        [
            "Mexico negotiated with the U.S. government the launch of the Mérida Initiative.",
            "The Summit of the Americas discussed security, and NORAD was not on the agenda.",
        ],
        "John Smith is an analyst in Ottawa.",
    ),
    "notes/quebec.txt": focal_page(
        "Québec and the hemisphere",
        "Marie Tremblay",
        [
            "Quebec trade missions to Latin America grew during the decade.",
            "A summit for the Americas was held, and the border was mentioned once.",
        ],
    ),
    "notes/haiti.txt": focal_page(
        "Reconstruction in Haiti",
        "Peter Brown",
        [
            "After the earthquake, the reconstruction of Haiti relied on donors.",
            "Mérida was not discussed; the focus was on housing and NORAD was irrelevant.",
        ],
    ),
    "www.focal.ca/fr/publications/300-mai-2006-frontiere.txt": focal_page(
        "La frontière intelligente | FR",
        "Luc Roy",
        ["La frontière entre le Canada et les États-Unis après 2001.", "Le Québec et la sécurité."],
    ),
}


@pytest.fixture
def small_archive(write_corpus: WriteCorpus) -> Path:
    return write_corpus(SMALL_ARCHIVE)
