"""Jacobians of g: theta -> outputs (real vectors) from JAX's three modes, and where two
of them disagree.

``rev`` builds the Jacobian by rows, one VJP per output (``jax.vjp``); ``fwd`` by
columns, one JVP per coordinate (``jax.jvp``); ``lin`` by columns of ``jax.linearize``'s
linear map. Each is batched with ``jax.vmap`` over chunks of one-hot cotangents or
tangents (compiled once per mode), and computed one by one where that fails. Forward and
reverse mode of a correct rule agree to rounding; a ``custom_vjp`` function has no forward
mode at all, said so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from ...errors import InvalidProblemError
from .pytree import Layout, said

MODES = ("rev", "fwd", "lin")
NAMES = {"rev": "jax.vjp", "fwd": "jax.jvp", "lin": "jax.linearize"}
BASIS_CHUNK = 256  # one-hot vectors per vmapped call: bounds the basis and the results
# Two modes sum the same products in another order: their results differ by roundings,
# hundreds at most through a deep computation, each of about eps x the derivative's size;
# a wrong rule is off by the size of the derivative itself.
MODE_ROUNDINGS = 1024.0


def linear_map(g: Callable[[Any], Any], theta: Any, mode: str) -> Callable[[Any], Any]:
    """The map one mode applies to a basis vector: a VJP (cotangent -> row) or a JVP /
    linearized map (tangent -> column)."""
    if mode == "rev":
        _, pullback = jax.vjp(g, theta)
        return lambda cotangent: pullback(cotangent)[0]
    if mode == "lin":
        _, linear = jax.linearize(g, theta)
        return linear
    return lambda tangent: jax.jvp(g, (theta,), (tangent,))[1]


class Jacobians:
    """dg/dtheta at one theta by each mode, each mode's chunks by one compiled
    ``jax.jit(jax.vmap(map))`` (every chunk padded to the same shape: one compilation),
    or vector by vector, uncompiled, where that fails."""

    def __init__(self, g: Callable[[Any], Any], theta: np.ndarray, outputs: int) -> None:
        self.g, self.theta, self.outputs = g, theta, outputs
        self.compiled: dict[str, Callable[[Any, Any], Any] | None] = {}

    def of(self, mode: str, directions: Any = None) -> np.ndarray:
        """dg/dtheta (outputs, n) by ``mode``, or projected on the rows of ``directions``
        (k, n): (outputs, k)."""
        theta = self.theta
        if mode == "rev":
            rows = self.applied(mode, np.eye(self.outputs, dtype=theta.dtype))
            return rows if directions is None else rows @ np.asarray(directions).T
        basis = np.eye(theta.size, dtype=theta.dtype) if directions is None else directions
        return self.applied(mode, np.asarray(basis, dtype=theta.dtype)).T

    def applied(self, mode: str, basis: np.ndarray) -> np.ndarray:
        """The mode's map applied to each row of ``basis``, as rows in the dtype JAX
        computed them in (the core reads a float32 derivative's rounding from it)."""
        if mode not in self.compiled:
            g = self.g

            def batch(theta: Any, vectors: Any) -> Any:
                return jax.vmap(linear_map(g, theta, mode))(vectors)

            self.compiled[mode] = jax.jit(batch)
        chunk = max(1, min(BASIS_CHUNK, basis.shape[0]))
        rows = []
        for start in range(0, basis.shape[0], chunk):
            part = basis[start : start + chunk]
            if self.compiled[mode] is not None:
                padded = np.zeros((chunk, basis.shape[1]), dtype=basis.dtype)
                padded[: len(part)] = part
                try:
                    found = self.compiled[mode](self.theta, padded)
                    rows.append(np.asarray(found)[: len(part)])
                    continue
                except Exception:  # not traceable or not vmappable: vector by vector
                    self.compiled[mode] = None
            apply = linear_map(self.g, self.theta, mode)
            rows.append(np.array([np.asarray(apply(v)) for v in part]))
        return np.concatenate(rows).reshape(basis.shape[0], -1)


def coordinate_label(layout: Layout, coordinate: int) -> str:
    """A coordinate of theta by name: ``params['w'][2, 1]``, ``z[0].imag``."""
    leaf = layout.owner(coordinate)
    local, part = coordinate - leaf.offset, ""
    if leaf.is_complex:
        part, local = (".real" if local % 2 == 0 else ".imag"), local // 2
    index = np.unravel_index(local, leaf.shape) if leaf.shape else ()
    where = "[" + ", ".join(str(int(i)) for i in index) + "]" if index else ""
    return f"{leaf.name}{where}{part}"


def disagreement(
    checked: np.ndarray,
    other: np.ndarray,
    row_scale: np.ndarray,
    column_scale: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, float]:
    """Where two modes' (outputs, directions) derivatives differ beyond MODE_ROUNDINGS
    roundings of the derivative's size (the output's row norm times the direction's
    norm), and the largest difference in those units of eps."""
    scale = np.maximum(np.outer(row_scale, column_scale), np.finfo(float).tiny)
    gap = np.abs(checked - other)
    gap[np.isnan(gap)] = np.inf
    return gap > MODE_ROUNDINGS * eps * scale, float(np.max(gap / scale, initial=0.0) / eps)


def agreement(worst: float) -> str:
    """How closely two modes agreed, in roundings of the derivative's size."""
    if worst == 0:
        return "exactly"
    return f"within {worst:.2g} roundings of its size (allowed {MODE_ROUNDINGS:g})"


def mode_choice(modes: Any) -> tuple[str, ...]:
    """``modes`` as a tuple of distinct names among MODES, the checked one first: "rev"
    where it is asked for (the mode a gradient takes), else the first given."""
    listed = (modes,) if isinstance(modes, str) else tuple(modes)
    if not listed or any(m not in MODES for m in listed) or len(set(listed)) != len(listed):
        raise InvalidProblemError(
            f"`modes` is {modes!r}; give distinct modes among {', '.join(MODES)}, e.g. "
            "('fwd', 'rev')."
        )
    checked = "rev" if "rev" in listed else listed[0]
    return (checked, *(m for m in listed if m != checked))


def compare_modes(
    checked: np.ndarray,
    modes: tuple[str, ...],
    others: Callable[[str], np.ndarray],
    outputs: Layout,
    params: Layout,
    eps: float,
    faulted: set[str],
) -> tuple[tuple[str, ...], tuple[str, ...], dict]:
    """The Jacobian of modes[0] (``checked``) against each other mode's (``others(mode)``):
    a note where they agree or the mode is missing, a problem naming the elements where
    they differ beyond rounding (a note where they differ only inside blocks the finite
    differences found wrong, ``faulted``: the headline names those); (notes, problems, facts)."""
    notes, problems, facts = [], [], {}
    for mode in modes[1:]:
        try:
            other = others(mode)
        except Exception as error:  # a custom_vjp function has no forward mode
            notes.append(f"{NAMES[mode]} not compared: it raised {said(error)}")
            facts[mode] = None
            continue
        rows = np.maximum(np.linalg.norm(checked, axis=1), np.linalg.norm(other, axis=1))
        wrong, worst = disagreement(checked, other, rows, np.ones(checked.shape[1]), eps)
        facts[mode] = {"disagree": int(wrong.sum()), "roundings": worst}
        if not wrong.any():
            notes.append(
                f"{NAMES[mode]} agrees with {NAMES[modes[0]]} (the Jacobian checked) "
                f"{agreement(worst)}"
            )
            continue
        where = np.argwhere(wrong)
        named = [
            f"{coordinate_label(outputs, int(i))} / {coordinate_label(params, int(j))} "
            f"({mode} {other[i, j]:.6g}, {modes[0]} {checked[i, j]:.6g})"
            for i, j in where[:3]
        ]
        more = f" and {len(where) - 3} more" if len(where) > 3 else ""
        text = (
            f"{NAMES[mode]} and {NAMES[modes[0]]} disagree at {len(where)} Jacobian elements: "
            f"{'; '.join(named)}{more}. A custom rule is wrong in one mode"
        )
        blocks = {f"{outputs.owner(int(i)).name} / {params.owner(int(j)).name}" for i, j in where}
        (notes if blocks <= faulted else problems).append(text)
    return tuple(notes), tuple(problems), facts
