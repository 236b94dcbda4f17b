"""Flatten a nesting of arrays into one real vector theta with named slices, and back.

Order, stable and documented: dicts in insertion order (the texts' W1, B1, W2, B2, ...),
lists and tuples by index, each array's elements in C (row-major) order. A complex element
takes two real coordinates, real part then imaginary part. Names read like Python:
``W1``, ``layers[0].W``, ``[2]`` for the third item of a top-level list, ``params`` for a
bare array.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidProblemError

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Slot:
    """One leaf of the structure: where it sits, what it is, and its slice of theta."""

    name: str
    path: Path
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int
    size: int  # real coordinates: the element count, doubled for complex leaves
    scalar_type: type | None = None  # float, complex or a numpy scalar type; None for arrays
    # the shape its elements are named in, when not ``shape``: the first elements of a
    # tensor (an interrupted check's), flat, still named as the tensor's
    named_in: tuple[int, ...] | None = None

    @property
    def is_scalar(self) -> bool:
        return self.scalar_type is not None

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def stop(self) -> int:
        return self.offset + self.size

    def index_of(self, local: int) -> tuple[int, ...] | tuple[tuple[int, ...], str]:
        """The array index of real coordinate ``local`` (with "real"/"imag" for complex)."""
        shape = self.shape if self.named_in is None else self.named_in
        if self.is_complex:
            index = tuple(int(i) for i in np.unravel_index(local // 2, shape))
            return index, ("real" if local % 2 == 0 else "imag")
        return tuple(int(i) for i in np.unravel_index(local, shape))

    def label(self, local: int) -> str:
        """A readable name of one real coordinate: ``W1[3, 2]`` or ``z[1].imag``."""
        if self.is_complex:
            index, part = self.index_of(local)
            return f"{self.name}{_format_index(index)}.{part}"
        return f"{self.name}{_format_index(self.index_of(local))}"


def _format_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]" if index else ""


def child_name(parent: str, key: Any, in_mapping: bool) -> str:
    if in_mapping:
        return f"{parent}.{key}" if parent else str(key)
    return f"{parent}[{key}]"


def _leaf_error(name: str, what: str, fix: str) -> InvalidProblemError:
    return InvalidProblemError(f"parameter `{name}` {what}. {fix}")


def _refuse_extended(dtype: np.dtype, name: str) -> np.dtype:
    """Refuse long double leaves: theta is float64, so a check cannot restore their bits."""
    if dtype.itemsize > (8 if dtype.kind == "f" else 16):
        raise _leaf_error(
            name,
            f"is {dtype} (extended precision)",
            "A check measures in float64 at most: pass x.astype(np.float64) (np.complex128 "
            "for a complex parameter).",
        )
    return dtype


def _as_leaf(value: Any, name: str) -> tuple[tuple[int, ...], np.dtype, type | None]:
    """Validate a leaf; return its shape, dtype and its scalar type (None for an array)."""
    if isinstance(value, (bool, np.bool_)):
        raise _leaf_error(
            name, "is a boolean", "Booleans have no derivative: keep them out of `params`."
        )
    if isinstance(value, (int, np.integer)):
        raise _leaf_error(
            name,
            f"is an integer ({value!r})",
            "Finite differences need floating point: pass it as a float, or keep it out of "
            "`params` and close over it in the function.",
        )
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return (), _refuse_extended(np.asarray(value).dtype, name), type(value)
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if kind in "fc":
            _refuse_extended(value.dtype, name)
            if value.size == 0:
                raise _leaf_error(
                    name, f"has no elements (shape {value.shape})", "Remove it from `params`."
                )
            return value.shape, value.dtype, None
        what = {
            "b": "a boolean array",
            "i": "an integer array",
            "u": "an unsigned integer array",
            "O": "an object array",
        }.get(kind, f"an array of dtype {value.dtype}")
        raise _leaf_error(
            name,
            f"is {what} ({value.dtype})",
            "Finite differences need floating point: pass np.asarray(x, dtype=float), or keep it "
            "out of `params` and close over it in the function.",
        )
    raise _leaf_error(
        name,
        "is None" if value is None else f"is a {type(value).__name__}",
        "Parameters are numpy float arrays or floats, nested in dicts, lists and tuples: "
        "leave out what is not one.",
    )


def leaves(structure: Any) -> list[tuple[Path, str, Any]]:
    """Every leaf of a nesting of dicts, lists and tuples as (path, name, value), in the
    order theta lays them out: dicts in insertion order, sequences by index."""
    out: list[tuple[Path, str, Any]] = []
    _walk(structure, (), "", out)
    return out


def leaf_at(structure: Any, path: Path) -> Any:
    """The leaf of ``structure`` at ``path`` (a tuple of keys and indices)."""
    for key in path:
        structure = structure[key]
    return structure


def _walk(node: Any, path: Path, name: str, out: list[tuple[Path, str, Any]]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _walk(value, (*path, key), child_name(name, key, True), out)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            _walk(value, (*path, i), child_name(name, i, False), out)
    else:
        out.append((path, name or "params", node))


@dataclass(frozen=True)
class ParameterVector:
    """A structure of parameters seen as one float64 vector ``theta`` of real coordinates.

    ``slots`` names every leaf with its slice of theta; ``unflatten`` is the exact inverse
    of ``flatten`` (bitwise, for float64 and complex128 leaves).

    >>> import numpy as np
    >>> vec = flatten({"W1": np.ones((2, 2)), "B1": np.zeros(2)})
    >>> vec.theta.shape, [s.name for s in vec.slots], vec.label(5)
    ((6,), ['W1', 'B1'], 'B1[1]')
    """

    theta: np.ndarray
    slots: tuple[Slot, ...]
    template: Any  # the structure itself, kept for rebuilding containers

    @property
    def size(self) -> int:
        return int(self.theta.size)

    def slot_of(self, coordinate: int) -> Slot:
        """The slot holding real coordinate ``coordinate`` of theta."""
        offsets = np.fromiter((s.offset for s in self.slots), dtype=np.int64)
        return self.slots[int(np.searchsorted(offsets, coordinate, side="right")) - 1]

    def label(self, coordinate: int) -> str:
        """The name of one coordinate of theta, e.g. ``layers[0].W[3, 2]``."""
        slot = self.slot_of(coordinate)
        return slot.label(coordinate - slot.offset)

    def unflatten(self, theta: np.ndarray) -> Any:
        """Rebuild the structure from a vector, each leaf in its original dtype and type."""
        theta = np.asarray(theta)
        if theta.shape != self.theta.shape:
            raise InvalidProblemError(
                f"`theta` has shape {theta.shape}; this structure needs ({self.size},)."
            )
        leaves = {s.path: _leaf_from_real(theta[s.offset : s.stop], s) for s in self.slots}
        return rebuild(self.template, lambda path, _old: leaves[path])


def _leaf_from_real(real: np.ndarray, slot: Slot) -> Any:
    values = real.astype(np.float64).view(np.complex128) if slot.is_complex else real
    values = values.astype(slot.dtype).reshape(slot.shape)
    return slot.scalar_type(values[()]) if slot.is_scalar else values


def real_view(values: np.ndarray) -> np.ndarray:
    """The elements of an array as real coordinates (complex: real, imag interleaved)."""
    flat = np.ascontiguousarray(values).reshape(-1)
    return flat.view(flat.real.dtype) if flat.dtype.kind == "c" else flat


def flatten(params: Any) -> ParameterVector:
    """Flatten any nesting of dicts, lists and tuples of float arrays and floats into theta."""
    leaves: list[tuple[Path, str, Any]] = []
    _walk(params, (), "", leaves)
    if not leaves:
        raise InvalidProblemError(
            "`params` holds no parameters. Pass an array, or a dict/list/tuple of arrays."
        )
    slots, offset = [], 0
    for path, name, value in leaves:
        shape, dtype, scalar_type = _as_leaf(value, name)
        size = real_view(np.asarray(value)).size
        slots.append(Slot(name, path, shape, dtype, offset, size, scalar_type))
        offset += size
    theta = np.empty(offset)  # filled leaf by leaf: theta is the only copy made
    for slot, (_, _, value) in zip(slots, leaves, strict=True):
        real = theta[slot.offset : slot.stop]
        real[...] = real_view(np.asarray(value))
        finite = np.isfinite(real)
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise InvalidProblemError(
                f"parameter `{slot.label(bad)}` is {real[bad]}: a check needs finite "
                "parameters. Replace NaN and infinite values before checking."
            )
    return ParameterVector(theta, tuple(slots), params)


def rebuild(template: Any, leaf: Callable[[Path, Any], Any], path: Path = ()) -> Any:
    """Copy the containers of ``template``, replacing each leaf by ``leaf(path, old)``."""
    if isinstance(template, Mapping):
        items = {k: rebuild(v, leaf, (*path, k)) for k, v in template.items()}
        try:
            return type(template)(items)
        except TypeError:
            return items
    if isinstance(template, tuple) and hasattr(template, "_fields"):  # namedtuple
        return type(template)(*(rebuild(v, leaf, (*path, i)) for i, v in enumerate(template)))
    if isinstance(template, (list, tuple)):
        return type(template)(rebuild(v, leaf, (*path, i)) for i, v in enumerate(template))
    return leaf(path, template)
