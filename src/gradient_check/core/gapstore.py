"""The first pass's gaps, f(theta + h e_i) + f(theta - h e_i) - 2 f(theta), held in half
the bytes of theta.

A gap is an error estimate (curvature f'' h^2, or a kink's slope jump times h, or noise);
every later use compares it with noise or adds it to an error bound, where its 24th bit is
far below the estimate's own uncertainty. So a gap is kept as a float32 times a power of two
per chunk of rows and output (the chunk's largest gap then reads between 1 and 2, and the
scaling itself is exact): relative error at most 2^-24. A gap the float32 would not hold
to that precision (below the chunk's largest by more than float32's normal range, or, when a
row is measured again, beyond it) is kept exactly, beside, as are zeros (0 is exact in both).

The first pass judges each chunk with its float64 gaps before they are stored; what reads
them later (the rows measured again at longer or shorter steps, a first pass judged again
with a coarser noise floor, the curvature norms) reads the stored ones. A chunk's scale is
an int16 exponent, so even a chunk of one row (a Jacobian of 32,768 outputs) keeps the
store under the float64 array's size.
"""

from __future__ import annotations

import numpy as np

from .flags import Rows, row_indices

TINY = float(np.finfo(np.float32).tiny)  # 2^-126: below it a float32 loses precision
HUGE = 2.0**127  # above it a float32 (scaled gap) could overflow
LARGEST = 2.0**1023  # above it a gap rounded up to float32 could read as inf


class Gaps:
    """An (n, m) float64 array of gaps, stored as float32 x a power of two per chunk of
    ``chunk`` rows and output; read and written like the array (``gaps[rows]``,
    ``gaps[rows, cols]``, ``gaps[rows] = values``)."""

    def __init__(self, n: int, m: int, chunk: int) -> None:
        self.shape, self.chunk = (n, m), chunk
        self.scaled = np.zeros((n, m), dtype=np.float32)
        self.exponents = np.zeros(((n + chunk - 1) // chunk, m), dtype=np.int16)
        self.exact_at = np.zeros(0, dtype=np.int64)  # flat positions held exactly, sorted
        self.exact = np.zeros(0)

    def store(self, block: slice, gaps: np.ndarray) -> None:
        """The gaps of rows ``block`` (starting a chunk): each output's scale set from them."""
        largest = np.max(np.abs(np.where(np.isfinite(gaps), gaps, 0.0)), axis=0, initial=0.0)
        _, exponents = np.frexp(largest)  # largest = f 2^e, 0.5 <= f < 1 (e = 0 for 0)
        self.exponents[block.start // self.chunk] = exponents - 1  # it reads 1 .. 2
        self[block] = gaps

    def _scales(self, index: np.ndarray) -> np.ndarray:
        return np.ldexp(1.0, self.exponents[index // self.chunk])

    def __setitem__(self, rows: Rows, values: np.ndarray) -> None:
        index = row_indices(rows, self.shape[0])
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), (index.size, self.shape[1]))
        ratio = values / self._scales(index)
        size = np.abs(ratio)
        held = ((size < TINY) & (values != 0)) | (size > HUGE) | (np.abs(values) > LARGEST)
        self.scaled[index] = np.where(held, 0.0, ratio).astype(np.float32)
        if not held.any() and not self.exact_at.size:  # the common case: nothing held
            return
        at = index[:, None] * self.shape[1] + np.arange(self.shape[1])
        kept = ~np.isin(self.exact_at, at)
        order = np.argsort(np.concatenate([self.exact_at[kept], at[held]]), kind="stable")
        self.exact_at = np.concatenate([self.exact_at[kept], at[held]])[order]
        self.exact = np.concatenate([self.exact[kept], values[held]])[order]

    def __getitem__(self, key: Rows | tuple[Rows, slice]) -> np.ndarray:
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        index = row_indices(rows, self.shape[0])
        out = self.scaled[index].astype(np.float64)
        out *= self._scales(index)
        if self.exact_at.size:
            at = index[:, None] * self.shape[1] + np.arange(self.shape[1])
            where = np.minimum(np.searchsorted(self.exact_at, at), self.exact_at.size - 1)
            hit = self.exact_at[where] == at
            out[hit] = self.exact[where[hit]]
        return out[:, cols]

    def zero(self) -> np.ndarray:
        """(n, m) bool: which gaps are exactly 0."""
        out = self.scaled == 0
        rows, cols = np.divmod(self.exact_at, self.shape[1])
        out[rows, cols] = False
        return out


def zero_gaps(gaps: np.ndarray | Gaps) -> np.ndarray:
    """``gaps == 0``, for a Gaps store or an array."""
    return gaps.zero() if isinstance(gaps, Gaps) else gaps == 0
