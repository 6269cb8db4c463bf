"""Cheap checks and repairs on HTML text before a parser sees it.

The HTML parsers (lxml, then trafilatura) take time that grows with the square of
some shapes of markup (measured: one tag with 20,000 attributes, 2.8 s; with 100,000,
minutes), so pages of such shapes are refused first, in one linear pass. A few
harmless references that make the parsers give up on a whole page are removed.
"""

from __future__ import annotations

import re

from .text import SkipFile

# Real tags carry a few dozen attributes at most; parsing time grows with the square
# of this number, so the page is refused rather than read.
MAX_ATTRIBUTES = 1000
# Every element costs a tree node; html_page refuses trees over MAX_TREE_NODES after
# parsing. Two '<' per element (open and close), refused before parsing.
MAX_TAGS = 400_000

# Only a tag this long can hold MAX_ATTRIBUTES attributes (each takes two characters
# at least), so only such tags are counted one by one.
_LONG_TAG = re.compile(rf"<[^<>]{{{2 * MAX_ATTRIBUTES},}}")
# In a tag: a quoted value (skipped whole, whatever spaces it holds), or the start of
# an attribute name after a separator.
_TAG_PART = re.compile(r"\"[^\"]*\"|'[^']*'|[\s/]+[^\s=/>\"']")
# Numeric references to C0 control characters other than tab, newline and CR:
# libxml2 stops at them and the page loses its text. A plain NUL is harmless.
_CONTROL_REF = re.compile(
    r"&#(?:0*(?:[1-8]|1[124-9]|2\d|3[01])(?![0-9])"
    r"|[xX]0*(?:[1-8bBcCeEfF]|1[0-9a-fA-F])(?![0-9a-fA-F]));?"
)


def check_markup(text: str) -> None:
    """SkipFile with the reason when the markup would take the parsers too long."""
    tags = text.count("<")
    if tags > MAX_TAGS:
        raise SkipFile(f"HTML too large to read (over {MAX_TAGS:,} tags)")
    for tag in _LONG_TAG.finditer(text):
        names = 0
        for part in _TAG_PART.finditer(text, tag.start() + 1, tag.end()):
            if part.group()[0] not in "\"'":
                names += 1
                if names > MAX_ATTRIBUTES:  # stop counting: a huge tag costs no more
                    raise SkipFile(f"HTML with a tag of over {MAX_ATTRIBUTES:,} attributes")


def without_control_refs(text: str) -> str:
    """The page without ``&#1;`` … ``&#31;`` (but tab, newline and CR) references."""
    return _CONTROL_REF.sub("", text) if "&#" in text else text
