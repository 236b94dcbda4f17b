"""Check more than a gradient: Jacobians, VJPs, JVPs and Hessians, on the same engine.

Each is a function f: params -> outputs and a derivative matrix; the report has one row per
(output, parameter) block, and the scalar loss of ``check`` is the case of one output.

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

from .check import conjugate_imaginary, derivative_eps
from .engine import make_settings, restores_rng, run_check
from .errors import InvalidProblemError
from .evaluate import _leaf, guard_parameters
from .flatten import ParameterVector, flatten, flatten_like
from .judge import DEFAULT_MARGIN
from .outputs import OutputSpec
from .report import Report
from .structure import nondeterminism, nonlinearity

DEFAULT_DIRECTIONS = 3
SYMMETRY_ULPS = 64  # a Hessian asymmetric by less than this, relatively, is symmetric
MODES = ("full", "random")


def _settings(options: dict[str, Any]):
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
                leaf = _leaf(_leaf(blocks, out.path), slot.path)
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
    settings = _settings(options)
    problems, spread = [], 0.0
    if callable(jacobian):
        with guard_parameters(params, flatten(params), "`jacobian`"):
            problems, spread = nondeterminism(
                lambda: _dense(jacobian(params)), nondet_tol, "jacobian"
            )

    def analytic(spec: OutputSpec, directions: np.ndarray | None):
        given = jacobian(params) if callable(jacobian) else jacobian
        matrix = jacobian_matrix(given, spec, flatten(params))
        return _project(matrix, directions), derivative_eps(given)

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
    from .flatten import _walk

    leaves: list = []
    _walk(structure, (), "", leaves)
    return np.concatenate(
        [np.ravel(np.asarray(v, dtype=complex)).view(float) for _, _, v in leaves]
    )


def _project(matrix: np.ndarray, directions: np.ndarray | None) -> np.ndarray:
    return matrix if directions is None else matrix @ directions.T


def _mode(mode: str, directions: int) -> int | None:
    if mode not in MODES:
        raise InvalidProblemError(f"`mode` is {mode!r}; choose 'full' or 'random'.")
    if mode == "random" and (not isinstance(directions, int) or directions < 1):
        raise InvalidProblemError(f"`directions` must be a positive int; got {directions!r}.")
    return directions if mode == "random" else None


@restores_rng
def check_vjp(
    f: Callable[[Any], Any],
    params: Any,
    vjp: Callable[[Any, Any], Any],
    *,
    mode: str = "full",
    directions: int = DEFAULT_DIRECTIONS,
    nondet_tol: float = 0.0,
    convention: str = "pytorch",
    **options: Any,
) -> Report:
    """Check a vector-Jacobian product ``vjp(params, cotangent) -> structure like params``.

    ``mode="full"`` builds J row by row from one-hot cotangents (m VJP calls) and compares it
    with the finite-difference Jacobian. ``mode="random"`` draws ``directions`` random
    cotangents u and tangents v per tensor (seeded) and compares <vjp(u), v> with
    u . (J v) by finite differences, the way jax's check_grads does: cheap, and it still
    names the (output, parameter) block. Also tests that the VJP is linear in the cotangent.
    """
    settings = _settings(options)
    vector = flatten(params)
    k = _mode(mode, directions)
    rng = np.random.default_rng(settings.seed + 1)

    def row(spec: OutputSpec, cotangent: np.ndarray) -> np.ndarray:
        flat = flatten_like(vjp(params, spec.unflatten(cotangent)), vector, "vjp")
        return conjugate_imaginary(flat, vector) if convention == "jax" else flat

    with guard_parameters(params, vector, "`f`"):
        y0 = f(params)
    from .outputs import vector_spec

    spec0 = vector_spec(y0, "f")
    with guard_parameters(params, vector, "`vjp`"):
        problems = nonlinearity(lambda u: row(spec0, u), spec0.size, rng, "vjp", "cotangent")
        found, spread = nondeterminism(lambda: row(spec0, np.ones(spec0.size)), nondet_tol, "vjp")
    problems += found
    if k is None:

        def analytic(spec: OutputSpec, _directions: None):
            matrix = np.array([row(spec, e) for e in np.eye(spec.size)])
            return matrix, float(np.finfo(np.float64).eps)

        return run_check(
            f,
            params,
            analytic,
            settings,
            kind="vjp",
            scalar=False,
            what="f",
            problems=tuple(problems),
            analytic_noise=spread,
        )

    cotangents = _block_cotangents(spec0, k, rng)  # (k * blocks, m)

    def projected(p: Any) -> dict[str, np.ndarray]:
        values = spec0.read(f(p))
        return {
            f"{b.name}·u": cotangents[i :: len(spec0.blocks)] @ values
            for i, b in enumerate(spec0.blocks)
        }

    def analytic_random(spec: OutputSpec, plan: np.ndarray):
        rows = np.array([row(spec0, u) for u in cotangents])
        ordered = np.concatenate([rows[i :: len(spec0.blocks)] for i in range(len(spec0.blocks))])
        return ordered @ plan.T, float(np.finfo(np.float64).eps)

    return run_check(
        projected,
        params,
        analytic_random,
        settings,
        kind="vjp",
        scalar=False,
        what="f",
        directions=k,
        problems=tuple(problems),
        analytic_noise=spread,
        extra={"cotangents": k, "seed": settings.seed},
    )


def _block_cotangents(spec: OutputSpec, k: int, rng: np.random.Generator) -> np.ndarray:
    """k random cotangents per output block, each zero outside its block, interleaved."""
    rows = []
    for _ in range(k):
        for block in spec.blocks:
            u = np.zeros(spec.size)
            u[block.offset : block.stop] = rng.standard_normal(block.size)
            rows.append(u)
    return np.array(rows)


@restores_rng
def check_jvp(
    f: Callable[[Any], Any],
    params: Any,
    jvp: Callable[[Any, Any], Any],
    *,
    mode: str = "full",
    directions: int = DEFAULT_DIRECTIONS,
    nondet_tol: float = 0.0,
    **options: Any,
) -> Report:
    """Check a Jacobian-vector product ``jvp(params, tangent) -> structure like f's output``.

    ``mode="full"`` builds J column by column from one-hot tangents (n JVP calls);
    ``mode="random"`` compares jvp(v) with finite differences along ``directions`` random
    tangents per tensor (2 evaluations each). Also tests linearity in the tangent.
    """
    settings = _settings(options)
    vector = flatten(params)
    k = _mode(mode, directions)
    rng = np.random.default_rng(settings.seed + 1)
    from .outputs import vector_spec

    with guard_parameters(params, vector, "`f`"):
        spec0 = vector_spec(f(params), "f")

    def column(tangent: np.ndarray) -> np.ndarray:
        return np.asarray(spec0.read(jvp(params, vector.unflatten(tangent))), dtype=np.float64)

    with guard_parameters(params, vector, "`jvp`"):
        problems = nonlinearity(column, vector.size, rng, "jvp", "tangent")
        found, spread = nondeterminism(lambda: column(np.ones(vector.size)), nondet_tol, "jvp")
    problems += found

    def analytic(_spec: OutputSpec, plan: np.ndarray | None):
        tangents = np.eye(vector.size) if plan is None else plan
        return np.array([column(v) for v in tangents]).T, float(np.finfo(np.float64).eps)

    return run_check(
        f,
        params,
        analytic,
        settings,
        kind="jvp",
        scalar=False,
        what="f",
        directions=k,
        problems=tuple(problems),
        analytic_noise=spread,
    )


@restores_rng
def check_hessian(
    loss: Callable[[Any], Any] | None,
    params: Any,
    grad: Callable[[Any], Any],
    *,
    hessian: Any = None,
    hvp: Callable[[Any, Any], Any] | None = None,
    mode: str = "full",
    directions: int = DEFAULT_DIRECTIONS,
    nondet_tol: float = 0.0,
    **options: Any,
) -> Report:
    """Check a Hessian (blocks) or a Hessian-vector product against differences of ``grad``.

    The Hessian is the Jacobian of the gradient, so this is ``check_jacobian(grad, ...)``;
    its blocks follow jax.hessian's layout (per parameter, a structure like ``params`` of
    shape p_out.shape + p_in.shape). ``hvp(params, v)`` returns a structure like params.
    The report's ``extra["asymmetry"]`` is ||H - H^T|| / ||H|| of the given Hessian (of the
    sampled block V H V^T in random mode). ``loss`` is accepted for symmetry with ``check``
    and may be None; check ``grad`` against it with ``check`` first.
    """
    if (hessian is None) == (hvp is None):
        raise InvalidProblemError("Give exactly one of `hessian` and `hvp`.")
    settings = _settings(options)
    vector = flatten(params)
    k = _mode(mode, directions)
    problems: list[str] = []
    spread = 0.0
    from .outputs import vector_spec

    with guard_parameters(params, vector, "`grad`"):
        spec0 = vector_spec(grad(params), "grad", root="grad")

    if hessian is not None:

        def matrix() -> np.ndarray:
            given = hessian(params) if callable(hessian) else hessian
            return jacobian_matrix(given, spec0, vector)

        if callable(hessian):
            with guard_parameters(params, vector, "`hessian`"):
                found, spread = nondeterminism(matrix, nondet_tol, "hessian")
            problems += found
        full = matrix()
        extra = {"asymmetry": _asymmetry(full)}

        def analytic(_spec: OutputSpec, plan: np.ndarray | None):
            return _project(full, plan), float(np.finfo(np.float64).eps)
    else:

        def column(v: np.ndarray) -> np.ndarray:
            return np.asarray(spec0.read(hvp(params, vector.unflatten(v))), dtype=np.float64)

        rng = np.random.default_rng(settings.seed + 1)
        with guard_parameters(params, vector, "`hvp`"):
            problems += nonlinearity(column, vector.size, rng, "hvp", "vector")
            found, spread = nondeterminism(lambda: column(np.ones(vector.size)), nondet_tol, "hvp")
        problems += found
        extra = {}

        def analytic(_spec: OutputSpec, plan: np.ndarray | None):
            tangents = np.eye(vector.size) if plan is None else plan
            columns = np.array([column(v) for v in tangents]).T
            extra["asymmetry"] = _asymmetry(columns if plan is None else plan @ columns)
            return columns, float(np.finfo(np.float64).eps)

    report = run_check(
        grad,
        params,
        analytic,
        settings,
        kind="hessian",
        scalar=False,
        what="grad",
        directions=k,
        problems=tuple(problems),
        extra=extra,
        analytic_noise=spread,
    )
    asymmetry = report.extra["asymmetry"]
    symmetric = asymmetry <= SYMMETRY_ULPS * np.finfo(np.float64).eps
    note = (
        f"the given Hessian is {'symmetric' if symmetric else 'NOT symmetric'}: "
        f"||H - H^T|| / ||H|| = {asymmetry:.2e}"
    )
    from dataclasses import replace

    return replace(report, notes=(*report.notes, note))


def _asymmetry(matrix: np.ndarray) -> float:
    norm = float(np.linalg.norm(matrix))
    return float(np.linalg.norm(matrix - matrix.T)) / norm if norm else 0.0
