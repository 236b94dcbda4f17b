"""The parameters as the function sees them: perturbed in place, and always put back.

The function receives a *live* structure. Writable, C-contiguous float64 (and complex128)
arrays are the user's own objects, perturbed in place one element at a time: the exact
saved value is written back in a ``finally``, never ``x + h - h``, which does not
round-trip. Other leaves (Python floats, read-only or non-contiguous arrays, and low
precision arrays when promoting to float64) are working copies, so the user's objects are
never written. On exit every in-place array is restored bitwise from a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import InvalidProblemError, LossError, StepError
from .flatten import ParameterVector, Slot, leaf_at, real_view, rebuild

_PROMOTE = {
    np.dtype(np.float16): np.float64,
    np.dtype(np.float32): np.float64,
    np.dtype(np.complex64): np.complex128,
}


def _in_place(value: Any, promote: bool) -> bool:
    return (
        isinstance(value, np.ndarray)
        and value.flags.c_contiguous
        and value.flags.writeable
        and not (promote and value.dtype in _PROMOTE)
    )


PIECE_ROWS = 1024  # perturbed points converted to Python floats at once by the hot loop


class Workspace:
    """The parameters as the function sees them while a check perturbs them.

    Use as a context manager: leaving it (normally or by any exception, KeyboardInterrupt
    included) restores every parameter bitwise.
    """

    def __init__(self, params: Any, vector: ParameterVector, promote: bool = True) -> None:
        self.vector = vector
        self.promoted = False
        self._leaves: dict[tuple, Any] = {}
        self.views: list[np.ndarray | None] = []
        self._scalar_type: dict[tuple, type] = {}  # how a scalar leaf is handed to f
        self.eval_dtypes: list[np.dtype] = []
        for slot in vector.slots:
            value = leaf_at(params, slot.path)
            dtype = np.dtype(_PROMOTE.get(slot.dtype, slot.dtype) if promote else slot.dtype)
            self.promoted |= dtype != slot.dtype
            if slot.is_scalar:
                kind = slot.scalar_type if dtype == slot.dtype else dtype.type
                self._scalar_type[slot.path] = kind
                self._leaves[slot.path] = kind(value)
                self.views.append(None)
                self.eval_dtypes.append(np.dtype(np.finfo(dtype).dtype))  # its real part
                continue
            leaf = (
                value
                if _in_place(value, promote)
                else np.array(value, dtype=dtype, order="C", copy=True)
            )
            self._leaves[slot.path] = leaf
            self.views.append(real_view(leaf))
            self.eval_dtypes.append(self.views[-1].dtype)
        _refuse_shared_memory(vector.slots, self.views)
        # The function gets containers of our own (holding the user's arrays where they are
        # perturbed in place), so a function that rebinds an entry cannot change the user's.
        self._base_live = rebuild(params, lambda path, _: self._leaves[path])
        self.live = self._base_live
        self._snapshot = [
            None if v is None else saved_values(v, vector.theta[s.offset : s.stop])
            for s, v in zip(vector.slots, self.views, strict=True)
        ]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def restore(self) -> None:
        """Put every parameter back, bitwise, as it was when the workspace was made."""
        for view, saved in zip(self.views, self._snapshot, strict=True):
            if view is not None:
                view[...] = saved
        self.live = self._base_live

    def replaced_slots(self) -> list[Slot]:
        """Parameters the function replaced in the containers it was given (rebinding an
        entry of the live structure rather than writing into the array)."""
        return [
            slot
            for slot in self.vector.slots
            if leaf_at(self.live, slot.path) is not self._leaves[slot.path]
        ]

    def changed_slots(self) -> list[Slot]:
        """Parameters whose current values differ from the snapshot (the function wrote them)."""
        out = []
        for slot, view, saved in zip(self.vector.slots, self.views, self._snapshot, strict=True):
            if view is not None and not bitwise_equal(view, saved):
                out.append(slot)
        return out

    def values_at(self, coordinates: np.ndarray) -> np.ndarray:
        """``values()[coordinates]`` without building the whole vector."""
        offsets = np.fromiter((s.offset for s in self.vector.slots), dtype=np.int64)
        slot_of = np.searchsorted(offsets, coordinates, side="right") - 1
        out = self.vector.theta[coordinates]
        for index in np.unique(slot_of):
            view = self.views[index]
            if view is not None:
                rows = slot_of == index
                out[rows] = view[coordinates[rows] - offsets[index]]
        return out

    def values(self, out: np.ndarray | None = None) -> np.ndarray:
        """theta as the function sees it: the live values, in the evaluation dtype, as float64
        (written into ``out``, an (n,) float64 array, when given)."""
        if out is None:
            out = self.vector.theta.copy()
        else:
            out[...] = self.vector.theta
        for slot, view in zip(self.vector.slots, self.views, strict=True):
            if view is not None:
                out[slot.offset : slot.stop] = view
        return out

    def centre_values(self) -> np.ndarray:
        """``values()`` at the centre, read-only: theta itself (no copy) where every parameter's
        snapshot is theta's own slice (float64 parameters, and Python scalars)."""
        theta = self.vector.theta
        if all(saved is None or np.may_share_memory(saved, theta) for saved in self._snapshot):
            centre = theta.view()
        else:
            centre = self.values()
        centre.flags.writeable = False
        return centre

    def slot_eval_dtypes(self) -> np.ndarray:
        """The evaluation dtype's machine epsilon for every coordinate of theta."""
        eps = np.empty(self.vector.size)
        for slot, dtype in zip(self.vector.slots, self.eval_dtypes, strict=True):
            eps[slot.offset : slot.stop] = np.finfo(dtype).eps
        return eps

    def stored(self, coordinates: np.ndarray, points: np.ndarray) -> np.ndarray:
        """``points`` (one row per coordinate) rounded to each coordinate's evaluation dtype."""
        points = np.array(points, dtype=np.float64)
        for slot, dtype in zip(self.vector.slots, self.eval_dtypes, strict=True):
            if dtype != np.float64:
                rows = (coordinates >= slot.offset) & (coordinates < slot.stop)
                points[rows] = points[rows].astype(dtype).astype(np.float64)
        return points

    def realised_steps(
        self, coordinates: np.ndarray, steps: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """theta_i and the step actually taken, fl(|theta_i| + h_i) - |theta_i|.

        Dividing by the realised step rather than the nominal one removes the error of
        representing theta_i + h_i (Numerical Recipes' trick). The step is rounded on the
        side away from zero, where floats are coarser, so theta_i - h and theta_i + h are
        both exact: rounded on the finer side, at theta_i = -2 say, theta_i - h would round
        and the two steps differ by an ulp, an O(ulp x f'') error in every central difference.
        """
        theta = self.values_at(np.asarray(coordinates))
        magnitude = np.abs(theta)
        realised = self.stored(coordinates, (magnitude + steps)[:, None])[:, 0] - magnitude
        vanished = np.flatnonzero(realised == 0)
        if vanished.size:
            i = int(coordinates[vanished[0]])
            dtype = self.eval_dtypes[self.vector.slots.index(self.vector.slot_of(i))]
            raise StepError(
                f"the step h = {steps[vanished[0]]:.3g} vanishes at `{self.vector.label(i)}` = "
                f"{theta[vanished[0]]:.6g} in {dtype}: theta + h rounds to theta. "
                "Use a larger `h`, or h=gradient_check.relative(r) to scale it to theta."
            )
        return theta, realised

    def evaluate_points(
        self,
        f: Callable[[Any], Any],
        coordinates: np.ndarray,
        stored: np.ndarray,
        read_output: Callable[[Any], Any],
        out: np.ndarray,
    ) -> None:
        """out[k, q] = read_output(f(theta with coordinate k set to stored[k, q])).

        The hot loop of every check: one element write, one call, one store per point;
        the points are read as Python floats PIECE_ROWS rows at a time (few objects held).
        """
        for start in range(0, len(coordinates), PIECE_ROWS):
            piece = slice(start, start + PIECE_ROWS)
            self._evaluate_piece(f, coordinates[piece], stored[piece], read_output, out[piece])

    def _evaluate_piece(
        self,
        f: Callable[[Any], Any],
        coordinates: np.ndarray,
        stored: np.ndarray,
        read_output: Callable[[Any], Any],
        out: np.ndarray,
    ) -> None:
        offsets = np.fromiter((s.offset for s in self.vector.slots), dtype=np.int64)
        slot_of = np.searchsorted(offsets, coordinates, side="right") - 1
        local = (coordinates - offsets[slot_of]).tolist()
        values = stored.tolist()
        n_points = stored.shape[1]
        starts = [*np.flatnonzero(np.diff(slot_of, prepend=-1)).tolist(), len(coordinates)]
        for start, stop in zip(starts[:-1], starts[1:], strict=True):
            view = self.views[slot_of[start]]
            if view is None:
                slot = self.vector.slots[slot_of[start]]
                self._evaluate_scalar(f, slot, values, local, range(start, stop), read_output, out)
                continue
            for k in range(start, stop):
                j = local[k]
                saved = view[j]
                try:
                    for q in range(n_points):
                        value = values[k][q]
                        view[j] = value
                        y = f(self.live)
                        if view[j] != value:
                            self._written(slot_of[start], j)
                        try:
                            out[k, q] = read_output(y)
                        except (TypeError, ValueError) as error:
                            self._unreadable(y, error, slot_of[start], j)
                finally:
                    view[j] = saved

    def _written(self, slot_index: int, local: int) -> None:
        slot = self.vector.slots[slot_index]
        raise LossError(
            f"the function changed parameter `{slot.label(local)}` in place while being "
            "evaluated. A function under check must not modify its parameters: copy before "
            "writing."
        )

    def _unreadable(self, y: Any, error: Exception, slot_index: int, local: int) -> None:
        where = f"with `{self.vector.slots[slot_index].label(local)}` perturbed"
        raise unreadable_output(y, error, where) from error

    def _evaluate_scalar(
        self,
        f: Callable[[Any], Any],
        slot: Slot,
        values: list[list[float]],
        local: list[int],
        rows: range,
        read_output: Callable[[Any], Any],
        out: np.ndarray,
    ) -> None:
        """The slow path for a Python scalar leaf: rebuild the containers around a new value."""
        old = self._leaves[slot.path]
        for k in rows:
            for q in range(len(values[k])):
                value = values[k][q]
                if slot.is_complex:  # coordinate 0 is the real part, 1 the imaginary part
                    value = complex(value, old.imag) if local[k] == 0 else complex(old.real, value)
                new = self._scalar_type[slot.path](value)
                self.live = rebuild(self._base_live, lambda p, o, v=new: v if p == slot.path else o)
                try:
                    y = f(self.live)
                    try:
                        out[k, q] = read_output(y)
                    except (TypeError, ValueError) as error:
                        self._unreadable(y, error, self.vector.slots.index(slot), local[k])
                finally:
                    self.live = self._base_live

    def evaluate_theta(
        self,
        f: Callable[[Any], Any],
        theta: np.ndarray,
        read: Callable[[Any], Any] = lambda y: y,
    ) -> Any:
        """``read`` of f at a whole new theta (every coordinate moved at once), then restore:
        read before restoring, since f may return a view of its parameters."""
        leaves = {}
        try:
            for slot, view in zip(self.vector.slots, self.views, strict=True):
                block = theta[slot.offset : slot.stop]
                if view is None:
                    kind = self._scalar_type[slot.path]
                    leaves[slot.path] = kind(complex(*block) if slot.is_complex else block[0])
                else:
                    view[...] = block
            if leaves:
                self.live = rebuild(self._base_live, lambda p, old: leaves.get(p, old))
            return read(f(self.live))
        finally:
            self.restore()


def bitwise_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays of one dtype and shape hold the same bits (-0.0 is not 0.0),
    compared in place: no copy of either."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    kind = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.itemsize in (1, 2, 4, 8) else None
    if kind is None:
        return a.tobytes() == b.tobytes()
    return bool(np.array_equal(a.view(kind), b.view(kind)))


def saved_values(view: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """A snapshot of ``view`` to restore it from: ``theta``'s own slice where it holds the
    same bits (a float64 parameter, whose flattened copy is theta), else a copy."""
    if bitwise_equal(view, theta):
        return theta
    return view.copy()


def _refuse_shared_memory(slots: tuple[Slot, ...], views: list[np.ndarray | None]) -> None:
    arrays = [(s, v) for s, v in zip(slots, views, strict=True) if v is not None]
    for i, (slot_a, a) in enumerate(arrays):
        for slot_b, b in arrays[i + 1 :]:
            if np.may_share_memory(a, b) and np.shares_memory(a, b):
                raise InvalidProblemError(
                    f"parameters `{slot_a.name}` and `{slot_b.name}` share memory, so perturbing "
                    "one moves the other. Pass separate arrays (np.copy), or one parameter for "
                    "tied weights."
                )


def unreadable_output(y: Any, error: Exception, where: str) -> LossError:
    """The error for an output that is not what the function returned at the centre."""
    kind = f"an array of shape {np.shape(y)}" if np.ndim(y) else type(y).__name__
    return LossError(
        f"the function returned {kind} {where}, unlike at the given parameters ({error}). It "
        "must return the same kind of value (a real scalar, for a loss) at every point."
    )
