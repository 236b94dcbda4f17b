"""Pytrees as the core sees them: leaves named by key path, as numpy copies, and back.

Every leaf of a pytree (nested dicts, lists, tuples, NamedTuples, registered dataclasses
and nodes: whatever ``jax.tree_util`` flattens) is named by its key path, as
``jax.tree_util.keystr`` writes it after a root: ``params['dense']['kernel']``,
``params.w``, ``x[0]``. The core gets a flat dict of numpy copies of the floating-point
(and complex) leaves keyed by those names (so its rows are named by them) and the function
gets a pytree rebuilt from that dict, or, inside traced code, from theta, the real
coordinates (a complex element is two: real part, then imaginary part, as the core lays
them out). Every other leaf (an integer step count, a function an equinox-style module
holds, None) is held fixed, as ``equinox.filter_grad`` does, and named in a note.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.tree_util import keystr

from ...errors import InvalidProblemError


@dataclass(frozen=True)
class Leaf:
    """One leaf: its name, shape, the dtype the check evaluates it in, and its slice of
    theta (real coordinates: a complex element takes two)."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int
    size: int

    @property
    def stop(self) -> int:
        return self.offset + self.size

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"


@dataclass(frozen=True)
class Layout:
    """The floating leaves of a pytree, in ``jax.tree_util`` order, and how to rebuild it:
    ``template`` holds all of its leaves (the fixed ones as given), ``positions`` the place
    of each floating one among them (empty: every leaf is one)."""

    treedef: Any
    leaves: tuple[Leaf, ...]
    template: tuple[Any, ...] = ()
    positions: tuple[int, ...] = ()
    fixed: tuple[str, ...] = ()  # the names of the leaves held fixed (None not among them)

    def full(self, values: Sequence[Any]) -> list[Any]:
        """Every leaf of the tree: ``values`` for the floating ones, the rest as given."""
        if not self.positions:
            return list(values)
        out = list(self.template)
        for position, value in zip(self.positions, values, strict=True):
            out[position] = value
        return out

    @property
    def size(self) -> int:
        """n, the real coordinates of theta."""
        return self.leaves[-1].stop if self.leaves else 0

    @property
    def names(self) -> list[str]:
        return [leaf.name for leaf in self.leaves]

    def owner(self, coordinate: int) -> Leaf:
        """The leaf holding real coordinate ``coordinate`` of theta."""
        for leaf in self.leaves:
            if leaf.offset <= coordinate < leaf.stop:
                return leaf
        raise IndexError(coordinate)

    @property
    def real_dtype(self) -> np.dtype:
        """theta's dtype inside traced code: the widest real dtype among the leaves, so that
        every leaf's values are exact in it."""
        return np.result_type(*(np.finfo(leaf.dtype).dtype for leaf in self.leaves))


def is_none(value: Any) -> bool:
    return value is None


def key_names(
    tree: Any, root: str | Sequence[str], nones: bool = False
) -> tuple[list[tuple[str, Any]], Any]:
    """(name, leaf) for every leaf, and the tree's structure. ``root`` names the whole tree
    (``params`` + ``['dense']['kernel']``), or, for a tuple of arguments, each of its items
    (``x`` + ``['w']``). ``nones``: None is a leaf (where a gradient holds nothing)."""
    found, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=is_none if nones else None)
    named = []
    for path, value in found:
        if isinstance(root, str):
            named.append((root + keystr(path), value))
        else:
            named.append((root[path[0].idx] + keystr(path[1:]), value))
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise InvalidProblemError(
            f"two leaves of the pytree are both named `{twice}` by their key paths; give them "
            "distinct keys so that a report can tell them apart."
        )
    return named, treedef


def inexact_dtype(value: Any) -> np.dtype | None:
    """A leaf's own dtype (a Python float's as numpy reads it) if it is a floating-point or
    complex number or array; None for anything else (integers, booleans, functions)."""
    if value is None or isinstance(value, (bool, int, np.bool_)):
        return None
    own = getattr(value, "dtype", None)
    try:
        dtype = np.dtype(own if own is not None else np.result_type(value))
    except TypeError:
        return None
    return dtype if jnp.issubdtype(dtype, jnp.inexact) else None


def layout_of(
    tree: Any,
    root: str | Sequence[str],
    dtype_of: Callable[[np.dtype, str], np.dtype],
    what: str,
) -> tuple[Layout, dict[str, np.ndarray]]:
    """The layout of ``tree`` and a numpy copy of every leaf, keyed by name, in the dtype
    ``dtype_of(its own dtype, its name)`` the check evaluates it in. The user's leaves are
    only read."""
    named, treedef = key_names(tree, root, nones=True)
    leaves, copies, positions, fixed, offset = [], {}, [], [], 0
    for position, (name, value) in enumerate(named):
        own = inexact_dtype(value)
        if own is None:
            fixed += [] if value is None else [name]
            continue
        dtype = np.dtype(dtype_of(own, name))
        copy = np.array(value, dtype=dtype, order="C", copy=True)
        size = copy.size * (2 if dtype.kind == "c" else 1)
        leaves.append(Leaf(name, copy.shape, dtype, offset, size))
        copies[name] = copy
        positions.append(position)
        offset += size
    if not leaves:
        held = f" (only {', '.join(f'`{n}`' for n in fixed[:3])})" if fixed else ""
        raise InvalidProblemError(
            f"the {what}s hold no floating-point leaves{held}: nothing to differentiate. "
            "Pass the float arrays to check."
        )
    template = tuple(value for _, value in named)
    layout = Layout(treedef, tuple(leaves), template, tuple(positions), tuple(fixed))
    return layout, copies


def numpy_array(value: Any) -> np.ndarray:
    """An output leaf as numpy holds it: a float numpy lacks (bfloat16, float8) as the
    float32 array of the same values, exactly."""
    array = np.asarray(value)
    if array.dtype.kind not in "fciub" and jnp.issubdtype(array.dtype, jnp.floating):
        return array.astype(np.float32)
    return array


def output_layout(y: Any, root: str) -> Layout:
    """The layout of a function's output, each leaf in its own dtype (the core reads and
    judges them: integers and non-numbers are its to refuse)."""
    named, treedef = key_names(y, root)
    leaves, offset = [], 0
    for name, value in named:
        array = numpy_array(value)
        size = array.size * (2 if array.dtype.kind == "c" else 1)
        leaves.append(Leaf(name, array.shape, array.dtype, offset, size))
        offset += size
    return Layout(treedef, tuple(leaves))


def rebuild(layout: Layout, arrays: Sequence[Any]) -> Any:
    """The pytree from one array per floating leaf, as fresh JAX arrays (the function never
    holds memory the check perturbs), and the fixed leaves as given."""
    return assemble(layout, [jnp.array(a) for a in arrays])


def assemble(layout: Layout, values: Sequence[Any]) -> Any:
    """The pytree with ``values`` (traced or not) as its floating leaves."""
    return jax.tree_util.tree_unflatten(layout.treedef, layout.full(values))


def flat_leaves(layout: Layout, tree: Any, what: str) -> list[Any]:
    """The floating leaves of ``tree``, a derivative given like the parameters (what
    jax.grad returns, or equinox.filter_grad with None where a leaf is held fixed), in
    layout order."""
    values, treedef = jax.tree_util.tree_flatten(tree, is_leaf=is_none)
    if treedef != layout.treedef:
        raise InvalidProblemError(
            f"`{what}` has the structure {treedef}, but the parameters have {layout.treedef}; "
            "give it the parameters' structure (what jax.grad returns)."
        )
    chosen = [values[p] for p in layout.positions] if layout.positions else values
    for leaf, value in zip(layout.leaves, chosen, strict=True):
        if value is None:
            raise InvalidProblemError(f"`{what}` holds None for `{leaf.name}`; give its gradient.")
    return chosen


def tree_of(layout: Layout, theta: jax.Array) -> Any:
    """Traced: the pytree whose leaves are theta's slices, each in its leaf's dtype."""
    values = []
    for leaf in layout.leaves:
        part = theta[leaf.offset : leaf.stop]
        if leaf.is_complex:
            part = part.reshape(-1, 2)
            part = jax.lax.complex(part[:, 0], part[:, 1])
        values.append(part.reshape(leaf.shape).astype(leaf.dtype))
    return assemble(layout, values)


def real_vector(values: Sequence[jax.Array], dtype: Any) -> jax.Array:
    """Traced: arrays as one real vector of ``dtype``, complex elements as (real, imaginary)
    pairs: the order in which the core reads outputs and lays out theta."""
    parts = []
    for value in values:
        value = jnp.ravel(value)
        if jnp.iscomplexobj(value):
            value = jnp.stack([value.real, value.imag], axis=-1).ravel()
        parts.append(value.astype(dtype))
    return jnp.concatenate(parts) if parts else jnp.zeros(0, dtype)


def real_numpy(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Arrays as one float64 vector of real coordinates (complex as real, imaginary)."""
    parts = []
    for array in arrays:
        flat = np.ascontiguousarray(array).reshape(-1)
        parts.append(flat.view(flat.real.dtype) if flat.dtype.kind == "c" else flat)
    return np.concatenate(parts).astype(np.float64)


def from_real(layout: Layout, real: np.ndarray) -> list[np.ndarray]:
    """The leaves' arrays (each in its dtype) from float64 real coordinates."""
    out = []
    for leaf in layout.leaves:
        part = np.asarray(real[leaf.offset : leaf.stop], dtype=np.float64)
        if leaf.is_complex:
            part = part.view(np.complex128)
        out.append(part.astype(leaf.dtype).reshape(leaf.shape))
    return out


def said(error: BaseException) -> str:
    """An exception in one line for a note: its type and the first line of its message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:160]}" if lines else type(error).__name__
