"""A derivative matched to the parameters' structure, and read as one real vector.

Gradients (and a VJP's results) match by structure or by parameter name. What cannot
match gets an error naming the parameter, or, when the whole structure differs (a flat
vector for a dict of arrays, a list for a dict), both structures and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidProblemError
from . import describe
from .flatten import ParameterVector, Path, Slot, child_name, leaf_at, real_view


def flatten_like(
    derivative: Any, vector: ParameterVector, what: str = "grads", in_place: bool = False
) -> np.ndarray:
    """Flatten a gradient matched to ``vector``'s parameters, by structure or by name.

    Every parameter needs exactly one gradient of its own shape; a missing, extra or
    misshapen one is an error naming the parameter, and one in another structure (a flat
    vector for a dict of arrays, a list for a dict) an error naming both and the fix.
    ``in_place``: one float64 array is returned as a read-only view of itself, not copied
    (for an array the caller holds and nobody rewrites; never for what a function returns,
    which may be a buffer it refills).
    """
    by_name = _by_name(derivative, vector)
    if by_name is None:
        given = _Match(vector, what).walk(derivative, vector.template, (), "")
    else:
        given = {s.path: by_name[s.name] for s in vector.slots}
    if in_place and len(vector.slots) == 1:  # theta itself: no copy of n numbers
        only = _gradient_leaf(given[vector.slots[0].path], vector.slots[0], what)
        return _read_only(only)
    out = np.empty(vector.size)
    for slot in vector.slots:
        out[slot.offset : slot.stop] = _gradient_leaf(given[slot.path], slot, what)
    return out


def unaliased(flat: np.ndarray, params: Any, vector: ParameterVector) -> np.ndarray:
    """``flat``, or a copy of it where it shares memory with a parameter the check will
    perturb in place (``check(loss, w, w)`` for a loss whose gradient is w itself)."""
    for slot in vector.slots:
        leaf = leaf_at(params, slot.path)
        if isinstance(leaf, np.ndarray) and np.may_share_memory(flat, leaf):
            return flat.copy()
    return flat


def _read_only(flat: np.ndarray) -> np.ndarray:
    """A view of ``flat`` that cannot be written (the user's array stays writable)."""
    view = flat.view()
    view.flags.writeable = False
    return view


@dataclass
class _Match:
    """A derivative walked along the parameters' structure, each leaf found by its path."""

    vector: ParameterVector
    what: str
    found: dict[Path, Any] = field(default_factory=dict)
    first: dict[Path, Slot] = field(default_factory=dict)  # the first slot under each path

    def __post_init__(self) -> None:
        for slot in reversed(self.vector.slots):
            for depth in range(len(slot.path) + 1):
                self.first[slot.path[:depth]] = slot

    def walk(self, node: Any, template: Any, path: Path, name: str) -> dict[Path, Any]:
        """Match ``node`` to the parameters' ``template`` at ``path``; return every leaf."""
        if not isinstance(template, (Mapping, list, tuple)):
            if isinstance(node, Mapping) or (
                isinstance(node, (list, tuple)) and describe.numbers(node) is None
            ):
                raise structure_error(node, template, path, name, self.vector, self.what)
            self.found[path] = node  # an array, or nested lists of numbers read as one
            return self.found
        mapping = isinstance(template, Mapping)
        if not isinstance(node, Mapping if mapping else (list, tuple)):
            raise structure_error(node, template, path, name, self.vector, self.what)
        keys = list(template) if mapping else range(len(template))
        for key in node if mapping else range(len(template), len(node)):
            if not mapping or key not in template:
                raise InvalidProblemError(
                    f"`{self.what}` has an entry `{child_name(name, key, mapping)}` that is not "
                    "a parameter. Give exactly one gradient per parameter: "
                    f"{', '.join(s.name for s in self.vector.slots)}."
                )
        for key in keys:
            inner = self.first.get((*path, key))
            if inner is None:
                continue  # an empty container: no parameter, no gradient needed
            if key not in node if mapping else key >= len(node):
                raise InvalidProblemError(
                    f"`{self.what}` has no entry for parameter `{inner.name}`. Give exactly "
                    "one gradient per parameter, in the same structure as `params`."
                )
            self.walk(node[key], template[key], (*path, key), child_name(name, key, mapping))
        return self.found


def structure_error(
    node: Any, template: Any, path: Path, name: str, vector: ParameterVector, what: str
) -> InvalidProblemError:
    """A derivative whose structure is not the parameters': both described, and the fix."""
    if path and not isinstance(template, (Mapping, list, tuple)):
        return InvalidProblemError(
            f"`{what}` for parameter `{name}` is {describe.given(node)}, but the parameter is "
            f"{describe.structure(template, [])}. Give a gradient of its shape "
            f"{np.shape(template)}."
        )
    slots = [s for s in vector.slots if s.path[: len(path)] == path]
    size = sum(s.size for s in slots)
    where = f" at `{name}`" if path else ""
    params = describe.structure(template, [(s.name, s.shape) for s in slots])
    flat = describe.numbers(node)
    flat = flat if flat is not None and flat.ndim == 1 else None
    if flat is not None and flat.size != size:
        params += f", {size} numbers in all"
    fixes = [f"give {what} shaped like params, e.g. {describe.example(template)}"]
    whole = not path and not any(s.is_complex for s in slots)
    if whole and flat is not None and flat.size == size:
        fixes.append("or unflatten it with gradient_check.flatten(params).unflatten(vector)")
    pairs = isinstance(template, Mapping) and isinstance(node, (list, tuple))
    if pairs and not path and len(node) == len(template):
        fixes.append(f"or, if its entries follow params' keys, dict(zip(params, {what}))")
    return InvalidProblemError(
        f"`{what}`{where} is {describe.given(node)} but `params`{where} is {params}; "
        f"{', '.join(fixes)}."
    )


def _by_name(derivative: Any, vector: ParameterVector) -> Mapping[str, Any] | None:
    """``derivative`` as a flat name -> array mapping, when it is keyed by parameter names."""
    if not isinstance(derivative, Mapping):
        return None
    names = {s.name for s in vector.slots}
    keys = set(derivative)
    if keys == names and any(s.path != (s.name,) for s in vector.slots):
        return derivative
    return None


def _gradient_leaf(value: Any, slot: Slot, what: str) -> np.ndarray:
    if value is None:
        raise InvalidProblemError(
            f"`{what}` for parameter `{slot.name}` is None. Give an array of shape {slot.shape} "
            "(zeros for a parameter the function does not use)."
        )
    try:
        array = np.asarray(value)
    except ValueError:  # a ragged nesting of lists
        raise InvalidProblemError(
            f"`{what}` for parameter `{slot.name}` is a ragged nesting of sequences. Give an "
            f"array of shape {slot.shape}."
        ) from None
    if array.dtype.kind not in "fc":
        raise InvalidProblemError(
            f"`{what}` for parameter `{slot.name}` has dtype {array.dtype}; a gradient is a "
            "float array. Return np.asarray(g, dtype=float)."
        )
    if array.shape != slot.shape:
        raise InvalidProblemError(
            f"`{what}` for parameter `{slot.name}` has shape {array.shape}, but the parameter "
            f"has shape {slot.shape}. A gradient has its parameter's shape."
        )
    if array.dtype.kind == "c" and not slot.is_complex:
        raise InvalidProblemError(
            f"`{what}` for real parameter `{slot.name}` is complex ({array.dtype}). Return its "
            "real part, or make the parameter complex."
        )
    if slot.is_complex:
        return real_view(array.astype(np.complex128, copy=False))
    return np.ascontiguousarray(array.reshape(-1), dtype=np.float64)  # a view when it can be
