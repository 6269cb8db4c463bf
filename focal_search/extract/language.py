"""Which language an article is written in: declared hints first, then detection.

Detection uses py3langid restricted to the languages an Americas archive holds;
short or mixed texts that it cannot call with confidence are ``und`` — and then, at
indexing, take the archive's main language (``MainLanguage``): the one set in
``FOCAL_SEARCH_LANG``, else the language most of the archive's articles are in.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any

UNDETERMINED = "und"
CANDIDATES = ("en", "fr", "es", "pt", "de", "it", "nl")
MIN_PROBABILITY = 0.9
MIN_CHARS = 40  # below this, detection is guesswork
SAMPLE_CHARS = 3000

MAIN_LANG_ENV = "FOCAL_SEARCH_LANG"  # the archive's main language, when set

_ALIASES = {"sp": "es", "esp": "es", "eng": "en", "fre": "fr", "fra": "fr", "spa": "es"}


def normalize(code: str | None) -> str | None:
    """ "fr-CA", "FR", "fra" -> "fr"; None for empty or unknown shapes."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    primary = _ALIASES.get(primary, primary)
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def detect(text: str) -> str:
    sample = " ".join(text[:SAMPLE_CHARS].split())
    if len(sample) < MIN_CHARS:
        return UNDETERMINED
    lang, probability = _identifier().classify(sample)
    return str(lang) if probability >= MIN_PROBABILITY else UNDETERMINED


def configured() -> str | None:
    """The main language the user set in ``FOCAL_SEARCH_LANG`` ("fr", "FR", "fra")."""
    return normalize(os.environ.get(MAIN_LANG_ENV))


class MainLanguage:
    """The language an undetermined article is indexed in: the configured one, else
    the majority language of the archive (``seed``, asked when first needed: the
    index's articles and the path hints of the files to read; plus the articles of
    this run as they are read). A short title that
    detection cannot call would otherwise get no stemming and no stop words."""

    def __init__(self, seed: Callable[[], Counter[str]] | None = None) -> None:
        self._seed = seed
        self._counts: Counter[str] = Counter()
        self._configured = configured()

    def resolve(self, lang: str) -> str:
        if lang != UNDETERMINED:
            self._counts[lang] += 1
            return lang
        if self._configured:
            return self._configured
        if self._seed is not None:
            self._counts.update(self._seed())
            self._seed = None
        known = [(n, code) for code, n in self._counts.items() if code != UNDETERMINED]
        # The most articles, then the code: the same archive always gives the same answer.
        return max(known, key=lambda item: (item[0], _reverse(item[1])))[1] if known else lang


def _reverse(code: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in code)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # (0.4 renamed from_pickled_model to from_model_file.)
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier
