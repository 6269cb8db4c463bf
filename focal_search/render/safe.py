"""Making archive text inert before it reaches a terminal, a script or a spreadsheet.

Extraction already strips escape sequences; this is the last line of defence for
anything else (stored by an older version, or from metadata: URLs, file names).
Every output format passes every archive string through here. Each control
character becomes one space, so character offsets into the text stay valid.
"""

from __future__ import annotations

import math
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The same, but tab and newline stay: JSON escapes them (\t, \n), and a body keeps
# its paragraphs.
_CONTROL_BUT_LINES = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def inert(text: str) -> str:
    return _CONTROL.sub(" ", text)


def inert_data(value: Any) -> Any:
    """``value`` (JSON-shaped: dicts, lists, strings, numbers) with control characters
    in every string (keys too) made spaces, except tab and newline; and numbers that
    JSON cannot carry (infinity, NaN) made null."""
    if isinstance(value, str):
        return _CONTROL_BUT_LINES.sub(" ", value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {inert_data(k): inert_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [inert_data(v) for v in value]
    return value
