"""Everything an index holds, as plain data: for comparing two indexes built apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def index_content(folder: Path) -> dict[str, Any]:
    """Doc counts, stored fields, columns, field lengths and every posting list
    (ids, weights, positions, term statistics) of the live generation at ``folder``."""
    from whoosh import index as whoosh_index

    generation = folder / (folder / "CURRENT").read_text(encoding="utf-8").strip()
    ix = whoosh_index.open_dir(str(generation))
    try:
        with ix.reader() as reader:
            schema = ix.schema
            total = reader.doc_count_all()
            content: dict[str, Any] = {
                "doc_count": reader.doc_count(),
                "doc_count_all": total,
                "stored": [reader.stored_fields(n) for n in range(total)],
            }
            columns = {}
            lengths = {}
            for name in schema.names():
                fieldobj = schema[name]
                if fieldobj.column_type:
                    columns[name] = _column(reader, name)
                if fieldobj.scorable:
                    # None and 0 both mean "no length" (which one depends on whether
                    # the document's segment has the field's length column at all).
                    lengths[name] = (
                        [reader.doc_field_length(n, name) or 0 for n in range(total)],
                        reader.field_length(name),
                    )
            content["columns"] = columns
            content["lengths"] = lengths
            postings = {}
            for fieldname, btext in reader.all_terms():
                fieldobj = schema[fieldname]
                info = reader.term_info(fieldname, btext)
                matcher = reader.postings(fieldname, btext)
                entries = []
                while matcher.is_active():
                    positions = (
                        tuple(matcher.value_as("positions"))
                        if fieldobj.format.supports("positions")
                        else None
                    )
                    entries.append((matcher.id(), round(matcher.weight(), 6), positions))
                    matcher.next()
                postings[(fieldname, btext)] = (
                    entries,
                    info.doc_frequency(),
                    info.weight(),
                    info.min_length(),
                    info.max_length(),
                    info.max_weight(),
                    info.min_id(),
                    info.max_id(),
                )
            content["postings"] = postings
    finally:
        ix.close()
    return content


def _column(reader: Any, name: str) -> list[Any]:
    """A column's values, segment by segment (Whoosh's multi-segment column reader
    misplaces values when a segment lacks the column; a segment's gives the default)."""
    values: list[Any] = []
    for leaf, _ in reader.leaf_readers():
        col = leaf.column_reader(name)
        values.extend(col[n] for n in range(leaf.doc_count_all()))
    return values
