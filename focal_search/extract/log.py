"""What reading one corpus file skipped or noticed, short of skipping the whole file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ReadLog:
    # Records inside a multi-article file that were not articles, by reason
    # ("redirect", "revisit", "non-HTML", ...).
    skipped: Counter[str] = field(default_factory=Counter)
    # Problems that stopped reading part of a file (truncation, a bomb): the articles
    # read before them are kept.
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def warn(self, message: str) -> None:
        self.warnings.append(message)
