"""FA1 posting lists for many terms at once, with array operations (the bulk writer's).

``codec.encode_postings`` encodes one term; a rebuild writes millions of terms, most
with a posting or two, where numpy's per-call cost dominated the build. Here a
chunk of terms (their postings sorted by term, then document) is encoded in one
pass: per-term widths and weight codes by ``reduceat``, then every value scattered
to its byte offset. The bytes are exactly those of ``encode_postings``, term by
term, and the term statistics those W3's term info records (tested against both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .codec import _W_COUNTS, _W_FLOAT, _W_ONES, MAGIC

if TYPE_CHECKING:
    from numpy.typing import NDArray

# W3TermInfo.to_bytes for a list written apart: flags, total weight, doc frequency,
# min and max length bytes, max weight, first and last id; then offset and length.
TERM_INFO = np.dtype(
    [
        ("flags", "u1"),
        ("weight", ">f4"),
        ("df", ">u4"),
        ("minlen", "u1"),
        ("maxlen", "u1"),
        ("maxweight", ">f4"),
        ("minid", ">u4"),
        ("maxid", ">u4"),
        ("offset", ">i8"),
        ("length", ">i4"),
    ]
)
_HEADER = np.dtype(
    [("magic", "S4"), ("n", "<u4"), ("idw", "u1"), ("code", "u1"), ("cw", "u1"), ("pw", "u1")]
)


def _width(largest: NDArray[Any]) -> NDArray[np.int64]:
    return np.where(largest < 1 << 8, 1, np.where(largest < 1 << 16, 2, 4)).astype(np.int64)


def _scatter(
    out: NDArray[np.uint8],
    values: NDArray[Any],
    dest: NDArray[np.int64],
    widths: NDArray[np.int64],
    floats: NDArray[np.bool_] | None = None,
) -> None:
    """Write each value at its byte offset, little-endian, in its width (4-byte
    floats where ``floats``)."""
    for width in (1, 2, 4):
        mask = widths == width
        if floats is not None:
            mask &= ~floats
        if mask.any():
            raw = values[mask].astype(f"<u{width}").view(np.uint8).reshape(-1, width)
            out[dest[mask][:, None] + np.arange(width)] = raw
    if floats is not None and floats.any():
        raw = values[floats].astype("<f4").view(np.uint8).reshape(-1, 4)
        out[dest[floats][:, None] + np.arange(4)] = raw


def encode_terms(
    bounds: NDArray[Any],
    docs: NDArray[np.int64],
    weights: NDArray[np.float64],
    lbytes: NDArray[np.uint8],
    counts: NDArray[np.int64] | None = None,
    positions: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.uint8], NDArray[np.int64], NDArray[Any]]:
    """The FA1 lists of consecutive terms (term ``t`` has postings ``bounds[t]`` to
    ``bounds[t + 1]``, each with its document, weight, length byte, and positions
    when ``counts`` is given): all their bytes, each term's size, and each term's
    info (``TERM_INFO``; offset and length left for the caller)."""
    nterms = len(bounds) - 1
    n = len(docs)
    starts = np.asarray(bounds[:-1], np.int64)
    df = np.diff(bounds).astype(np.int64)
    term = np.repeat(np.arange(nterms), df)
    within = np.arange(n, dtype=np.int64) - starts[term]

    gaps = docs.copy()
    gaps[1:] -= docs[:-1]
    gaps[starts] = docs[starts]
    idw = _width(np.maximum.reduceat(gaps, starts))

    ones = np.logical_and.reduceat(weights == 1.0, starts)
    if counts is not None:
        same = np.logical_and.reduceat(weights == counts, starts)
    else:
        same = np.zeros(nterms, bool)
    whole = (weights == np.floor(weights)) & (weights >= 0) & (weights < 2.0**32)
    integral = np.logical_and.reduceat(whole, starts)
    wmax = np.maximum.reduceat(weights, starts)
    code = np.where(
        ones, _W_ONES, np.where(same, _W_COUNTS, np.where(integral, _width(wmax), _W_FLOAT))
    )
    wbytes = np.where(
        (code == _W_ONES) | (code == _W_COUNTS), 0, np.where(code == _W_FLOAT, 4, code)
    )

    if counts is not None and positions is not None:
        cw = _width(np.maximum.reduceat(counts, starts))
        npos = np.add.reduceat(counts, starts)
        pos_starts = np.cumsum(counts) - counts
        pos_gaps = positions.copy()
        pos_gaps[1:] -= positions[:-1]
        firsts = pos_starts[counts > 0]
        pos_gaps[firsts] = positions[firsts]
        term_pos_starts = np.cumsum(npos) - npos
        pw = _width(np.maximum.reduceat(pos_gaps, term_pos_starts))
    else:
        cw = pw = npos = np.zeros(nterms, np.int64)

    sizes = len(MAGIC) + 8 + df * (idw + cw + wbytes) + npos * pw
    term_start = np.cumsum(sizes) - sizes
    ids_at = term_start + len(MAGIC) + 8
    counts_at = ids_at + df * idw
    weights_at = counts_at + df * cw
    positions_at = weights_at + df * wbytes
    out = np.zeros(int(sizes.sum()), np.uint8)

    header = np.zeros(nterms, _HEADER)
    header["magic"] = MAGIC
    header["n"] = df
    header["idw"] = idw
    header["code"] = code
    header["cw"] = cw
    header["pw"] = pw
    out[term_start[:, None] + np.arange(_HEADER.itemsize)] = header.view(np.uint8).reshape(
        nterms, _HEADER.itemsize
    )
    _scatter(out, gaps, ids_at[term] + within * idw[term], idw[term])
    if counts is not None and positions is not None:
        _scatter(out, counts, counts_at[term] + within * cw[term], cw[term])
        pterm = np.repeat(term, counts)
        pwithin = np.arange(len(positions), dtype=np.int64) - term_pos_starts[pterm]
        _scatter(out, pos_gaps, positions_at[pterm] + pwithin * pw[pterm], pw[pterm])
    stored = wbytes[term] > 0
    if stored.any():
        _scatter(
            out,
            weights[stored],
            (weights_at[term] + within * wbytes[term])[stored],
            wbytes[term][stored],
            floats=(code[term] == _W_FLOAT)[stored],
        )

    return out, sizes, term_infos(bounds, docs, weights, lbytes)


def term_infos(
    bounds: NDArray[Any], docs: NDArray[np.int64], weights: NDArray[Any], lbytes: NDArray[np.uint8]
) -> NDArray[Any]:
    """The statistics of consecutive terms (as in ``encode_terms``) that W3's term
    info records (``TERM_INFO``; offset and length left for the caller)."""
    starts = np.asarray(bounds[:-1], np.int64)
    infos = np.zeros(len(starts), TERM_INFO)
    infos["weight"] = np.add.reduceat(weights, starts)
    infos["df"] = np.diff(bounds)
    known = np.where(lbytes > 0, lbytes.astype(np.int64), 256)
    minlen = np.minimum.reduceat(known, starts)
    infos["minlen"] = np.where(minlen == 256, 0, minlen)
    infos["maxlen"] = np.maximum.reduceat(lbytes, starts)
    infos["maxweight"] = np.maximum.reduceat(weights, starts)
    infos["minid"] = docs[starts]
    infos["maxid"] = docs[np.asarray(bounds[1:], np.int64) - 1]
    return infos
