"""Jacobian checks, and what every derivative check shares: options, modes, blocks.

A check of more than a gradient is a function f: params -> outputs and a derivative matrix;
the report has one row per (output, parameter) block, and the scalar loss of ``check`` is
the case of one output.

Jacobian blocks follow ``jax.jacobian``'s layout: for each output leaf, a structure like
``params`` whose leaves have shape ``output.shape + parameter.shape`` (a bare array when
both are single arrays). A dense (outputs, coordinates) matrix is accepted too.
Complex outputs and parameters: a holomorphic f's complex derivative f'(z) is read as the
real map [[Re f', -Im f'], [Im f', Re f']] on (real, imaginary) coordinates.

``options`` are those of ``check``: h, scheme, margin, band_scale, promote, seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.engine import make_settings, restores_rng, run_check
from ..core.evaluate import guard_parameters
from ..core.flatten import ParameterVector, flatten, leaf_at, leaves
from ..core.judge import DEFAULT_MARGIN
from ..core.outputs import OutputSpec
from ..errors import InvalidProblemError
from ..report import Report
from .gradient import derivative_eps
from .structural import nondeterminism

DEFAULT_DIRECTIONS = 3
MODES = ("full", "random")


def settings_of(options: dict[str, Any]):
    known = {
        "h": "auto",
        "scheme": "central",
        "margin": DEFAULT_MARGIN,
        "band_scale": 1.0,
        "promote": True,
        "seed": 0,
    }
    unknown = set(options) - set(known)
    if unknown:
        raise InvalidProblemError(
            f"unknown option(s) {sorted(unknown)}; the options are {', '.join(known)}."
        )
    return make_settings(**{**known, **options})


def _real_block(block: np.ndarray, out_complex: bool, param_complex: bool) -> np.ndarray:
    """One Jacobian block (out elements, param elements) as a real map on coordinates."""
    re, im = block.real, block.imag if np.iscomplexobj(block) else np.zeros_like(block.real)
    if out_complex and param_complex:  # holomorphic: d(u + iv)/d(x + iy) from f'
        real = np.empty((2 * block.shape[0], 2 * block.shape[1]))
        real[0::2, 0::2], real[0::2, 1::2] = re, -im
        real[1::2, 0::2], real[1::2, 1::2] = im, re
        return real
    if out_complex:
        real = np.empty((2 * block.shape[0], block.shape[1]))
        real[0::2], real[1::2] = re, im
        return real
    if param_complex:  # a real output of complex parameters: d/dRe + i d/dIm per element
        real = np.empty((block.shape[0], 2 * block.shape[1]))
        real[:, 0::2], real[:, 1::2] = re, im
        return real
    return re


def jacobian_matrix(blocks: Any, spec: OutputSpec, vector: ParameterVector) -> np.ndarray:
    """Jacobian blocks (jax.jacobian's layout, or a dense matrix) as one real (m, n) matrix."""
    if (
        isinstance(blocks, np.ndarray)
        and blocks.shape == (spec.size, vector.size)
        and blocks.dtype.kind == "f"
    ):
        return np.asarray(blocks, dtype=np.float64)
    matrix = np.empty((spec.size, vector.size))
    for out in spec.blocks:
        for slot in vector.slots:
            try:
                leaf = leaf_at(leaf_at(blocks, out.path), slot.path)
            except (KeyError, IndexError, TypeError):
                raise InvalidProblemError(
                    f"`jacobian` has no block for output `{out.name}` and parameter "
                    f"`{slot.name}`. Give blocks like jax.jacobian: per output, a structure "
                    "like `params`."
                ) from None
            leaf = np.asarray(leaf)
            if leaf.shape != out.shape + slot.shape or leaf.dtype.kind not in "fc":
                raise InvalidProblemError(
                    f"`jacobian` block for output `{out.name}` and parameter `{slot.name}` has "
                    f"shape {leaf.shape} and dtype {leaf.dtype}; expected floats of shape "
                    f"{out.shape + slot.shape} (output shape + parameter shape)."
                )
            flat = leaf.reshape(int(np.prod(out.shape)), int(np.prod(slot.shape)))
            matrix[out.offset : out.stop, slot.offset : slot.stop] = _real_block(
                flat, out.is_complex, slot.is_complex
            )
    return matrix


@restores_rng
def check_jacobian(
    f: Callable[[Any], Any], params: Any, jacobian: Any, *, nondet_tol: float = 0.0, **options: Any
) -> Report:
    """Check the Jacobian of an array- or structure-valued ``f`` at ``params``.

    Every perturbation evaluates all outputs at once: 2n + 1 evaluations of f (plus the
    probes) for n parameter elements, whatever the number of outputs.

    Example:
        >>> import numpy as np
        >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> report = check_jacobian(lambda x: np.tanh(A @ x), np.array([0.1, -0.2]),
        ...                         lambda x: (1 - np.tanh(A @ x) ** 2)[:, None] * A)
        >>> report.ok, [row.block for row in report.parameters]
        (True, ['out / params'])
    """
    settings = settings_of(options)
    problems, spread = [], 0.0
    if callable(jacobian):
        with guard_parameters(params, flatten(params), "`jacobian`"):
            problems, spread = nondeterminism(
                lambda: _dense(jacobian(params)), nondet_tol, "jacobian"
            )

    def analytic(spec: OutputSpec, directions: np.ndarray | None):
        given = jacobian(params) if callable(jacobian) else jacobian
        matrix = jacobian_matrix(given, spec, flatten(params))
        return project(matrix, directions), derivative_eps(given)

    return run_check(
        f,
        params,
        analytic,
        settings,
        kind="jacobian",
        scalar=False,
        what="f",
        problems=tuple(problems),
        analytic_noise=spread,
    )


def _dense(structure: Any) -> np.ndarray:
    return np.concatenate(
        [np.ravel(np.asarray(v, dtype=complex)).view(float) for _, _, v in leaves(structure)]
    )


def project(matrix: np.ndarray, directions: np.ndarray | None) -> np.ndarray:
    return matrix if directions is None else matrix @ directions.T


def mode_directions(mode: str, directions: int) -> int | None:
    if mode not in MODES:
        raise InvalidProblemError(f"`mode` is {mode!r}; choose 'full' or 'random'.")
    if mode == "random" and (not isinstance(directions, int) or directions < 1):
        raise InvalidProblemError(f"`directions` must be a positive int; got {directions!r}.")
    return directions if mode == "random" else None
