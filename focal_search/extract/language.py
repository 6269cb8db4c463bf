"""Which language an article is written in: declared hints first, then detection.

Detection uses py3langid restricted to the languages an Americas archive holds;
short or mixed texts that it cannot call with confidence are ``und``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

UNDETERMINED = "und"
CANDIDATES = ("en", "fr", "es", "pt", "de", "it", "nl")
MIN_PROBABILITY = 0.9
MIN_CHARS = 40  # below this, detection is guesswork
SAMPLE_CHARS = 3000

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


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # (0.4 renamed from_pickled_model to from_model_file.)
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier
