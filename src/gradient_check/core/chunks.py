"""Sums, minima and maxima over rows computed a chunk at a time, bitwise numpy's own.

A quantity of every coordinate (1 / h_i, say) need not be held whole to be summed: it is
computed for a range of rows at a time. Minima and maxima do not depend on the order;
``chunked_sum`` splits the rows exactly as numpy's pairwise summation splits a contiguous
float64 array (halves rounded down to a multiple of 8, down to blocks it sums itself), so
its result is the bits ``np.sum`` of the whole array would give, and the verdicts that rest
on it do not move.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SUMMED_AT_ONCE = 1 << 15  # rows a leaf of the pairwise split computes and sums itself
PAIRWISE_UNROLL = 8  # numpy's pairwise summation splits at multiples of this

Rows = Callable[[slice], np.ndarray]  # the values of the rows in a slice (a new 1-D array)


def chunked_sum(values: Rows, rows: slice) -> np.float64:
    """``np.sum(values(rows))`` for a contiguous slice, never computing more than
    SUMMED_AT_ONCE rows at once."""
    start, stop = rows.start, rows.stop
    size = stop - start
    if size <= SUMMED_AT_ONCE:
        return np.sum(values(slice(start, stop)))
    half = size // 2
    half -= half % PAIRWISE_UNROLL
    return chunked_sum(values, slice(start, start + half)) + chunked_sum(
        values, slice(start + half, stop)
    )


def chunked_extremes(values: Rows, rows: slice) -> tuple[float, float]:
    """(min, max) of ``values(rows)`` (NaN if any value is NaN), a chunk at a time."""
    lows, highs = [], []
    for low in range(rows.start, rows.stop, SUMMED_AT_ONCE):
        part = values(slice(low, min(rows.stop, low + SUMMED_AT_ONCE)))
        lows.append(part.min())
        highs.append(part.max())
    return float(np.min(lows)), float(np.max(highs))
