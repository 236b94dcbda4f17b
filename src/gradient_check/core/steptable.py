"""Every coordinate's scale, nominal step and realised step, computed when read.

A full check of n coordinates needs three numbers per coordinate besides theta: its scale
(``steps.element_scales``), the nominal step h_i and the step actually taken, fl(|theta_i|
+ h_i) - |theta_i| (``Workspace.realised_steps``). Each is a function of theta_i and a few
numbers of its tensor (its typical magnitude, eps, the automatic step's factor), so the
table stores those numbers and computes any rows on demand, a chunk at a time, instead of
holding three arrays the size of theta. The few rows whose steps a stage changed (a domain
retry's shorter step, a longer step where rounding dominates) are kept as a sparse override:
their indices and values.

``StepTable.nominal`` and ``.realised`` are ``Column``s, read and written like arrays
(``table.realised[rows]``, ``table.nominal[rows] = longer``), so the stages index them as
they would an array. Values are bitwise those of the whole-array computation: each element
goes through the same floating-point operations, whatever the chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .estimate import NOISE_POINTS
from .noise import table_spacing
from .schemes import Scheme
from .steps import Step, per_tensor, typical_magnitude
from .workspace import Workspace

ROWS_AT_ONCE = 1 << 15  # rows computed at once: their temporaries stay cache-sized

Rows = slice | np.ndarray | list[int]


class Sparse:
    """Values for a few rows (sorted indices and their values), laid over computed ones."""

    def __init__(self) -> None:
        self.rows = np.zeros(0, dtype=np.int64)
        self.values = np.zeros(0)

    def set(self, rows: np.ndarray, values: np.ndarray | float) -> None:
        """Rows ``rows`` (distinct) take ``values`` from now on."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), rows.shape)
        kept = ~np.isin(self.rows, rows)
        merged = np.concatenate([self.rows[kept], rows])
        order = np.argsort(merged, kind="stable")
        self.rows = merged[order]
        self.values = np.concatenate([self.values[kept], values])[order]

    def lay_over(self, coordinates: np.ndarray, out: np.ndarray) -> None:
        """out[k] = the value set for coordinates[k], where one is set."""
        if self.rows.size == 0:
            return
        at = np.minimum(np.searchsorted(self.rows, coordinates), self.rows.size - 1)
        hit = self.rows[at] == coordinates
        out[hit] = self.values[at[hit]]

    def copy(self) -> Sparse:
        out = Sparse()
        out.rows, out.values = self.rows.copy(), self.values.copy()
        return out


class Column:
    """One quantity of a StepTable for every coordinate, read and written like an array."""

    def __init__(
        self, size: int, compute: Callable[[np.ndarray], np.ndarray], sparse: Sparse | None
    ) -> None:
        self.size, self.shape = size, (size,)
        self._compute, self._sparse = compute, sparse

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, rows: Rows | int) -> np.ndarray:
        if np.ndim(rows) == 0 and not isinstance(rows, slice):
            return self[np.array([rows])][0]
        if isinstance(rows, slice):
            start, stop, stride = rows.indices(self.size)
            if stride != 1:
                return self[np.arange(start, stop, stride)]
            out = np.empty(max(0, stop - start))
            for low in range(start, stop, ROWS_AT_ONCE):
                high = min(stop, low + ROWS_AT_ONCE)
                out[low - start : high - start] = self._at(np.arange(low, high))
            return out
        coordinates = np.asarray(rows)
        if coordinates.dtype == bool:
            coordinates = np.flatnonzero(coordinates)
        coordinates = coordinates.astype(np.int64, copy=False)
        out = np.empty(coordinates.shape)
        for low in range(0, coordinates.size, ROWS_AT_ONCE):
            part = coordinates.ravel()[low : low + ROWS_AT_ONCE]
            out.ravel()[low : low + part.size] = self._at(part)
        return out

    def _at(self, coordinates: np.ndarray) -> np.ndarray:
        out = self._compute(coordinates)
        if self._sparse is not None:
            self._sparse.lay_over(coordinates, out)
        return out

    def __setitem__(self, rows: Rows, values: np.ndarray | float) -> None:
        if self._sparse is None:
            raise TypeError("this column is computed from theta alone and cannot be set")
        if isinstance(rows, slice):
            rows = np.arange(*rows.indices(self.size))
        rows = np.asarray(rows)
        self._sparse.set(np.flatnonzero(rows) if rows.dtype == bool else rows, values)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[slice(None)]
        return whole if dtype is None else whole.astype(dtype)


class StepTable:
    """scale_i, the nominal step h_i and the realised step of every coordinate of theta.

    ``scales``, ``spacings`` (the noise table's, at the planned steps), ``nominal`` and
    ``realised`` are Columns; ``nominal`` and ``realised`` can be set for a few rows (kept
    sparse), and where only the nominal step is set, the realised one follows it.
    ``span`` (when f's noise table was smooth only ``span`` times closer than planned) keeps
    each nominal step within (NOISE_POINTS - 1) table spacings divided by ``span``.
    """

    def __init__(
        self, workspace: Workspace, step: Step, scheme: Scheme, eps: float | np.ndarray
    ) -> None:
        vector = workspace.vector
        self.workspace, self.step, self.scheme, self.span = workspace, step, scheme, 1.0
        self.eps = per_tensor(vector, eps)
        overall = typical_magnitude(vector.theta) or 1.0
        self.typical = np.array(
            [typical_magnitude(vector.theta[s.offset : s.stop]) or overall for s in vector.slots]
        )
        self.floors = np.sqrt(self.eps) * self.typical  # below it, a scale is floored
        self.factors = self.eps ** (1.0 / (scheme.order + 1))  # the automatic step's
        self.offsets = np.fromiter((s.offset for s in vector.slots), dtype=np.int64)
        self._nominal, self._realised = Sparse(), Sparse()

    # Columns are made when read and refer to the table, which refers to none of them: no
    # reference cycle, so theta's copy is freed when the check returns, not at the next
    # garbage collection.
    @property
    def scales(self) -> Column:
        return Column(self.size, self._scales, None)

    @property
    def spacings(self) -> Column:
        """The noise table's spacings, at the planned steps."""
        return Column(self.size, self._spacing, None)

    @property
    def nominal(self) -> Column:
        return Column(self.size, self._nominal_at, self._nominal)

    @property
    def realised(self) -> Column:
        return Column(self.size, self._realised_at, self._realised)

    @property
    def size(self) -> int:
        return self.workspace.vector.size

    def copy(self) -> StepTable:
        """The same table with its own overrides (a stage's changes do not reach the plan's)."""
        out = StepTable.__new__(StepTable)
        out.__dict__.update(self.__dict__)
        out._nominal, out._realised = self._nominal.copy(), self._realised.copy()
        return out

    def within(self, span: float) -> StepTable:
        """The table whose nominal steps stay within the noise table's smooth ``span``."""
        out = self.copy()
        out.span = span
        return out

    def typical_at(self, coordinates: np.ndarray) -> np.ndarray:
        """Each coordinate's tensor's typical magnitude (``steps.tensor_scales``)."""
        return self.typical[np.searchsorted(self.offsets, coordinates, side="right") - 1]

    def _tensors(self, coordinates: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """(tensor index, which of ``coordinates`` are in it) for every tensor they touch."""
        tensor = np.searchsorted(self.offsets, coordinates, side="right") - 1
        if tensor.size and tensor.min() == tensor.max():
            yield int(tensor[0]), slice(None)
            return
        for index in np.unique(tensor):
            yield int(index), tensor == index

    def _scales(self, coordinates: np.ndarray) -> np.ndarray:
        """element_scales at these coordinates: |theta_i| floored, a zero at its typical."""
        out = np.abs(self.workspace.vector.theta[coordinates])
        for tensor, which in self._tensors(coordinates):
            part = out[which]
            zero = part == 0
            np.maximum(part, self.floors[tensor], out=part)
            part[zero] = self.typical[tensor]
            out[which] = part
        return out

    def _planned(self, coordinates: np.ndarray) -> np.ndarray:
        """The nominal steps as ``steps.step_sizes`` chooses them."""
        if self.step.kind == "absolute":
            return np.full(coordinates.size, self.step.value)
        out = self._scales(coordinates)
        if self.step.kind == "relative":
            out *= self.step.value
            return out
        for tensor, which in self._tensors(coordinates):
            out[which] *= self.factors[tensor]
        return out

    def _spacing(self, coordinates: np.ndarray) -> np.ndarray:
        """The noise table's spacing at these coordinates (``noise.table_spacing``)."""
        theta = self.workspace.vector.theta[coordinates]
        steps, scales = self._planned(coordinates), self._scales(coordinates)
        out = np.empty(coordinates.size)
        for tensor, which in self._tensors(coordinates):
            eps = self.eps[tensor : tensor + 1]  # an array: its cube root as theta's would be
            out[which] = table_spacing(theta[which], steps[which], scales[which], eps)
        return out

    def _nominal_at(self, coordinates: np.ndarray) -> np.ndarray:
        out = self._planned(coordinates)
        if self.span != 1.0:
            np.minimum(out, (NOISE_POINTS - 1) * self._spacing(coordinates) / self.span, out=out)
        return out

    def _realised_at(self, coordinates: np.ndarray) -> np.ndarray:
        return self.workspace.realised_steps(coordinates, self.nominal[coordinates])[1]
