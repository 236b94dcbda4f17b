"""What a report row needs from one (output, parameter) block, a few thousand rows at a time.

A block of a million coordinates would otherwise hold its residual |a - d| (or its gaps,
or its best numeric values) whole while the row is built. Here every quantity is computed
for a chunk of rows (BLOCK_CHUNK elements) and reduced on the spot: its norm, its
largest element, its largest relative error. A block that fits in one chunk is reduced
exactly as before (``euclidean_norm`` of the whole block, bit for bit); a larger one's norm
is the norm of its chunks' norms, as the report's total is the norm of its blocks' norms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .bands import euclidean_norm
from .judge import Judged

BLOCK_CHUNK = 1 << 15  # elements (rows x columns) computed at once

Piece = Callable[[slice], np.ndarray]  # a quantity of a block's rows in a slice (new array)


def row_chunks(rows: slice, width: int) -> Iterator[slice]:
    """Consecutive slices of ``rows``, each of about BLOCK_CHUNK elements of ``width``."""
    step = max(1, BLOCK_CHUNK // max(1, width))
    for start in range(rows.start, rows.stop, step):
        yield slice(start, min(rows.stop, start + step))


def combined_norm(norms: list[float]) -> float:
    """The norm of a block from its chunks' norms (one chunk: its own, unchanged)."""
    return norms[0] if len(norms) == 1 else euclidean_norm(norms)


def chunked_norm(values: Piece, rows: slice, width: int) -> float:
    """||values(rows)||, scaled (``euclidean_norm``), never holding more than a chunk."""
    return combined_norm([euclidean_norm(values(part)) for part in row_chunks(rows, width)])


def best_numeric(judged: Judged, rows: slice, cols: slice) -> np.ndarray:
    """A block's numeric derivative with its refined rows at their refined values."""
    d = judged.first.primary[rows, cols]
    refined = judged.refinement
    inside = (refined.doubt >= rows.start) & (refined.doubt < rows.stop)
    if inside.any():
        d = d.copy()
        d[refined.doubt[inside] - rows.start] = refined.numeric[inside][:, cols]
    return d


@dataclass(frozen=True)
class BlockScan:
    """One pass over a block: its norms, its worst element, its largest errors."""

    norms: dict[str, float]  # a, d, their difference "res", and "best" (``best_numeric``)
    worst: tuple[int, int]  # (row, column) inside the block of the largest |a - d|
    max_abs_error: float  # |a - d| there
    max_rel_error: float  # max |a - d| / max(|a|, |d|) (0 where both are 0)


def scan_block(judged: Judged, rows: slice, cols: slice) -> BlockScan:
    """Norms, the first largest |a - d| (a NaN first of all, as ``np.argmax`` takes it)
    and the largest relative error of a block, chunk by chunk."""
    width = len(range(*cols.indices(judged.analytic.shape[1])))
    norms: dict[str, list[float]] = {"a": [], "d": [], "res": [], "best": []}
    worst, largest, relative = (0, 0), None, []
    for part in row_chunks(rows, width):
        a, d = judged.analytic[part, cols], judged.first.primary[part, cols]
        res = judged.residual(part, cols)
        norms["a"].append(euclidean_norm(a))
        norms["d"].append(euclidean_norm(d))
        norms["res"].append(euclidean_norm(res))
        norms["best"].append(euclidean_norm(best_numeric(judged, part, cols)))
        i, r = np.unravel_index(int(np.argmax(res)), res.shape)
        value = res[i, r]
        if largest is None or (not np.isnan(largest) and (np.isnan(value) or value > largest)):
            worst, largest = (part.start - rows.start + int(i), int(r)), value
        relative.append(largest_relative(a, d, res))
    return BlockScan(
        {key: combined_norm(values) for key, values in norms.items()},
        worst,
        float(largest),
        float(np.max(relative)),  # NaN anywhere stays NaN
    )


def worst_element(residual: np.ndarray) -> tuple[int, int]:
    """The (row, column) of a block's largest |analytic - numeric| (the first, if tied)."""
    i, r = np.unravel_index(int(np.argmax(residual)), residual.shape)
    return int(i), int(r)


def largest_relative(a: np.ndarray, d: np.ndarray, res: np.ndarray) -> float:
    """max |a - d| / max(|a|, |d|) over some rows of a block (0 where both are 0)."""
    scale = np.maximum(np.abs(a), np.abs(d))
    relative = np.divide(res, scale, out=np.zeros_like(scale), where=scale > 0)
    return float(relative.max())
