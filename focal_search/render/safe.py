"""Making archive text inert before it reaches a terminal.

Extraction already strips escape sequences; this is the last line of defence for
anything else (stored by an older version, or from metadata). Each control
character becomes one space, so character offsets into the text stay valid.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    return _CONTROL.sub(" ", text)
