"""Booleans per coordinate held in less than a byte each: a check of n coordinates keeps two
(whether each element was consistent on the first pass, whether its row was lengthened), a
quarter of theta's bytes as numpy bool arrays.

``BitMatrix`` packs an (n, m) boolean array eight to a byte; ``RowSet`` keeps the rows that
are true as their sorted indices while they are few, as bits once they are not. Both are
read and written like the arrays they replace (``flags[rows]``, ``flags[rows] = values``),
so the stages index them as before.
"""

from __future__ import annotations

import numpy as np

Rows = slice | np.ndarray | list[int]
UNPACKED_AT_ONCE = 1 << 15  # elements unpacked at once when reducing rows
DENSE = 64  # a RowSet holds indices (8 bytes each) while under one row in this many


def row_indices(rows: Rows | int, size: int) -> np.ndarray:
    """Row indices (int64) of a slice, an index, an index array or a boolean mask over
    ``size`` rows (negative indices count from the end)."""
    if isinstance(rows, slice):
        return np.arange(*rows.indices(size), dtype=np.int64)
    rows = np.atleast_1d(np.asarray(rows))
    if rows.dtype == bool:
        return np.flatnonzero(rows)
    return np.where(rows < 0, rows + size, rows).astype(np.int64, copy=False)


def _scalar(rows: Rows | int) -> bool:
    return not isinstance(rows, slice) and np.ndim(rows) == 0


class BitMatrix:
    """An (n, m) boolean array, eight elements to a byte (C order). Rows written are
    distinct (as the stages write them): a row given twice in one write is or-ed."""

    def __init__(self, n: int, m: int) -> None:
        self.shape = (n, m)
        self.bits = np.zeros((n * m + 7) // 8, dtype=np.uint8)

    def _positions(self, rows: Rows) -> np.ndarray:
        """The flat bit positions of ``rows``' elements, (rows, m)."""
        m = self.shape[1]
        return row_indices(rows, self.shape[0])[:, None] * m + np.arange(m)

    def __getitem__(self, rows: Rows | int) -> np.ndarray:
        at = self._positions(rows)
        out = ((self.bits[at >> 3] >> (7 - (at & 7)).astype(np.uint8)) & 1).astype(bool)
        return out[0] if _scalar(rows) else out

    def __setitem__(self, rows: Rows, values: np.ndarray | bool) -> None:
        if self._aligned(rows, values):
            return
        at = self._positions(rows)
        values = np.broadcast_to(np.asarray(values, dtype=bool), at.shape)
        masks = (np.uint8(1) << (7 - (at & 7)).astype(np.uint8)).astype(np.uint8)
        np.bitwise_and.at(self.bits, at >> 3, ~masks)
        np.bitwise_or.at(self.bits, at[values] >> 3, masks[values])

    def _aligned(self, rows: Rows, values: np.ndarray | bool) -> bool:
        """Write a slice of rows whose bits start on a byte (the first pass's chunks) with
        whole bytes, no bit positions computed; False (nothing written) for any other."""
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            return False
        (n, m), (start, stop, _) = self.shape, rows.indices(self.shape[0])
        first, count = start * m, max(0, stop - start) * m
        if first % 8 or (count % 8 and stop != n):  # a byte shared with other rows
            return False
        values = np.broadcast_to(np.asarray(values, dtype=bool), (count // m, m))
        packed = np.packbits(values.ravel())
        self.bits[first // 8 : first // 8 + packed.size] = packed
        return True

    def copy(self) -> BitMatrix:
        out = BitMatrix.__new__(BitMatrix)
        out.shape, out.bits = self.shape, self.bits.copy()
        return out


def rows_in_doubt(consistent: np.ndarray | BitMatrix) -> np.ndarray:
    """The rows with an element not consistent, ``flatnonzero(~consistent.all(axis=1))``,
    unpacked a chunk of rows at a time."""
    if not isinstance(consistent, BitMatrix):
        return np.flatnonzero(~consistent.all(axis=1))
    n, m = consistent.shape
    step = max(8, (UNPACKED_AT_ONCE // m) // 8 * 8)  # whole bytes per chunk when m == 1
    found = [
        start + np.flatnonzero(~consistent[slice(start, min(n, start + step))].all(axis=1))
        for start in range(0, n, step)
    ]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


class RowSet:
    """A boolean per row: the sorted indices of the rows that are true while they are few
    (under one in DENSE), else a BitMatrix of one column."""

    def __init__(self, size: int) -> None:
        self.size, self.shape = size, (size,)
        self.rows: np.ndarray | None = np.zeros(0, dtype=np.int64)
        self.bits: BitMatrix | None = None

    def __getitem__(self, rows: Rows | int) -> np.ndarray:
        if self.bits is not None:
            return self.bits[rows][..., 0]
        out = np.isin(row_indices(rows, self.size), self.rows)
        return out[0] if _scalar(rows) else out

    def __setitem__(self, rows: Rows, values: np.ndarray | bool) -> None:
        index = row_indices(rows, self.size)
        values = np.broadcast_to(np.asarray(values, dtype=bool), index.shape)
        if self.bits is not None:
            self.bits[index] = values[:, None]
            return
        kept = self.rows[~np.isin(self.rows, index[~values])]
        self.rows = np.union1d(kept, index[values])
        if self.rows.size * DENSE > self.size:  # 8 bytes a row beyond an eighth of one
            self.bits = BitMatrix(self.size, 1)
            self.bits[self.rows] = True
            self.rows = None
