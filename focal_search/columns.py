"""Reading column values (sortable fields) without loading stored documents.

Whoosh's multi-segment column reader fails (IndexError) when a column is missing
from one of the segments — e.g. no article of that segment has a date — so the
values are read segment by segment here, with "" where a segment lacks the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def column_rows(
    reader: Any, names: tuple[str, ...], docnums: Iterable[int] | None = None
) -> Iterator[tuple[str, ...]]:
    """For each live document (or each of ``docnums``), its values of ``names``."""
    leaves = reader.leaf_readers()
    wanted = None if docnums is None else sorted(docnums)
    for index, (leaf, offset) in enumerate(leaves):
        end = leaves[index + 1][1] if index + 1 < len(leaves) else offset + leaf.doc_count_all()
        columns = [leaf.column_reader(n) if leaf.has_column(n) else None for n in names]
        if wanted is None:
            local: Iterable[int] = leaf.all_doc_ids()
        else:
            local = (n - offset for n in wanted if offset <= n < end)
        for docnum in local:
            yield tuple("" if col is None else _text(col[docnum]) for col in columns)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
