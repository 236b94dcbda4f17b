"""What every derivative check shares: options, modes, conventions, the derivative's own
precision, and the opening steps of the VJP, JVP and Hessian checks.

A check of more than a gradient is a function f: params -> outputs and a derivative matrix
dF/dtheta; the engine in ``core`` compares the two. The checks here only build the matrix,
each from what its user gives (a gradient, Jacobian blocks, a VJP, a JVP, a Hessian or HVP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.engine import Settings, make_settings
from ..core.evaluate import AUTO_PROGRESS, guard_parameters
from ..core.flatten import ParameterVector, flatten, leaves
from ..core.judge import DEFAULT_MARGIN
from ..core.outputs import OutputSpec, read_like, vector_spec
from ..core.settings import DEFAULT_SAMPLES
from ..errors import InvalidProblemError
from .calls import UserFunction, require_callable
from .structural import nondeterminism, nonlinearity

# The products' and Hessian's modes: every coordinate, or random directions per tensor
# (DEFAULT_DIRECTIONS: one direction misses a wrong block only when it is nearly orthogonal
# to the error; three make that unlikely, at two evaluations each). "directional" is
# check's name for "random".
MODES = ("full", "random", "directional")
CONVENTIONS = ("pytorch", "jax")  # complex gradients: dL/dRe + i dL/dIm, or its conjugate
# The structural probes draw from a generator of their own (seed + 1), so their random
# cotangents and tangents are not the very numbers the engine (seed) draws its probes from.
PROBE_SEED_OFFSET = 1
FLOAT64_EPS = float(np.finfo(np.float64).eps)
NONDETERMINISM = "the nondeterminism probe: two calls at the same point"

OPTION_DEFAULTS = {
    "h": "auto",
    "scheme": "central",
    "margin": DEFAULT_MARGIN,
    "band_scale": 1.0,
    "promote": True,
    "seed": 0,
    "mode": "full",
    "directions": None,
    "samples": DEFAULT_SAMPLES,
    "budget": None,
    "executor": None,
    "progress": AUTO_PROGRESS,
}


def settings_of(options: dict[str, Any]) -> Settings:
    """The engine's Settings from ``check``'s keyword options, naming any unknown one."""
    unknown = set(options) - set(OPTION_DEFAULTS)
    if unknown:
        raise InvalidProblemError(
            f"unknown option(s) {sorted(unknown)}; the options are {', '.join(OPTION_DEFAULTS)}."
        )
    merged = {**OPTION_DEFAULTS, **options}
    return make_settings(**merged)


def mode_directions(mode: str, directions: int) -> int | None:
    """Random directions per tensor for ``mode="random"`` (or "directional"); None for
    ``mode="full"``."""
    if not isinstance(mode, str) or mode not in MODES:
        raise InvalidProblemError(
            f"`mode` is {mode!r}; choose 'full' or 'random' ('directional' is the same)."
        )
    whole = isinstance(directions, (int, np.integer)) and not isinstance(directions, bool)
    if mode != "full" and (not whole or directions < 1):
        raise InvalidProblemError(f"`directions` must be a positive int; got {directions!r}.")
    return int(directions) if mode != "full" else None


def check_tolerance(nondet_tol: Any) -> float:
    """``nondet_tol`` as a float: a finite number >= 0 (a negative one would call every
    derivative nondeterministic)."""
    number = isinstance(nondet_tol, (int, float, np.integer, np.floating))
    if isinstance(nondet_tol, bool) or not number or not 0 <= nondet_tol < np.inf:
        raise InvalidProblemError(
            f"`nondet_tol` must be a finite number >= 0; got {nondet_tol!r}. It is how far two "
            "calls of the derivative at the same point may differ (0: not at all)."
        )
    return float(nondet_tol)


def check_convention(convention: str) -> None:
    """Refuse a complex-gradient convention other than "pytorch" and "jax"."""
    if convention not in CONVENTIONS:
        raise InvalidProblemError(f"`convention` is {convention!r}; choose 'pytorch' or 'jax'.")


def conjugate_imaginary(flat: np.ndarray, vector: ParameterVector) -> np.ndarray:
    """Negate the imaginary coordinates of complex parameters: JAX's gradient of a real
    loss, dL/dRe - i dL/dIm, as PyTorch's dL/dRe + i dL/dIm, the one the engine compares."""
    flat = flat.copy()
    for slot in vector.slots:
        if slot.is_complex:
            flat[..., slot.offset + 1 : slot.stop : 2] *= -1
    return flat


def project(matrix: np.ndarray, directions: np.ndarray | None) -> np.ndarray:
    """dF/dtheta as the engine asks for it: whole, or along the rows of ``directions`` (a
    plan's Directions, projected block by block, or a dense array)."""
    if directions is None:
        return matrix
    if hasattr(directions, "project"):
        return directions.project(matrix)
    return matrix @ np.asarray(directions).T


def derivative_eps(structure: Any) -> float:
    """The machine epsilon of a derivative as the user's code returned it.

    The largest among its float (and complex) leaves, since its coarsest leaf rounds the
    most; float64's when it has none. The engine reads every derivative as float64, so this
    is the only record that a float32 backward rounded at 1.2e-7 rather than 2.2e-16.
    """
    eps = [
        np.finfo(np.asarray(v).dtype).eps
        for _, _, v in leaves(structure)
        if np.asarray(v).dtype.kind in "fc"
    ]
    return float(max(eps, default=FLOAT64_EPS))


class Precision:
    """The coarsest precision among everything one check's derivative returned.

    A VJP, JVP or HVP is called many times and read as float64 each time; ``seen`` notes
    each result's ``derivative_eps`` on the way, and ``eps`` is the largest. It sets the
    derivative's rounding in the error estimate and the linearity and symmetry tolerances.
    """

    def __init__(self) -> None:
        self.largest = 0.0

    def seen(self, given: Any) -> Any:
        """Note the precision of ``given`` (what the user's derivative returned); return it."""
        self.largest = max(self.largest, derivative_eps(given))
        return given

    @property
    def eps(self) -> float:
        return self.largest or FLOAT64_EPS


def repeatability(
    params: Any,
    vector: ParameterVector,
    call: Callable[[], np.ndarray],
    tol: float,
    user: UserFunction,
) -> tuple[list[str], float]:
    """The nondeterminism probe of the derivative ``user``: two calls at ``params``, guarded
    against writes to them."""
    what = user.call.split("(")[0]
    with guard_parameters(params, vector, f"`{what}`"), user.during(NONDETERMINISM):
        return nondeterminism(call, tol, what)


@dataclass(frozen=True)
class Opening:
    """What a VJP, JVP or Hessian check knows before it calls the derivative under check."""

    params: Any
    settings: Settings
    vector: ParameterVector
    directions: int | None  # random directions per tensor; None in full mode
    spec: OutputSpec  # the outputs of the function whose derivative is checked, at params
    rng: np.random.Generator  # the structural probes' generator
    precision: Precision  # of everything the derivative under check returns
    nondet_tol: float  # how far two calls of the derivative at one point may differ

    def tangent_map(self, product: UserFunction, like: str) -> Callable[[np.ndarray], np.ndarray]:
        """A JVP or HVP ``product(params, v)`` as a real map: v as real coordinates in,
        its result, which is shaped ``like`` the function's outputs, as float64 out."""

        def apply(tangent: np.ndarray) -> np.ndarray:
            given = self.precision.seen(product(self.params, self.vector.unflatten(tangent)))
            return read_like(self.spec, given, product.call, like)

        return apply

    def probe(
        self,
        apply: Callable[[np.ndarray], np.ndarray],
        size: int,
        user: UserFunction,
        argument: str,
    ) -> tuple[tuple[str, ...], float]:
        """The structural checks of a linear map ``apply`` of a real ``argument`` of length
        ``size`` (a VJP's cotangent, a JVP's tangent), which calls ``user``: linearity, then
        two calls at the same point. Returns the problems found and the two calls' spread."""
        what = user.call.split("(")[0]
        with guard_parameters(self.params, self.vector, f"`{what}`"):
            with user.during(f"the linearity probe: zero, random, scaled and summed {argument}s"):
                problems = nonlinearity(
                    apply, size, self.rng, what, argument, lambda: self.precision.eps
                )
            with user.during(NONDETERMINISM):
                found, spread = nondeterminism(lambda: apply(np.ones(size)), self.nondet_tol, what)
        return (*problems, *found), spread


def open_check(
    function: Callable[[Any], Any],
    params: Any,
    options: dict[str, Any],
    mode: str,
    directions: int,
    nondet_tol: float,
    what: str = "f",
    root: str = "out",
) -> Opening:
    """Validate a VJP, JVP or Hessian check's options, then read ``function``'s outputs at
    ``params`` (a bare array output is named ``root``). Options come first, so a mistyped
    one is named before any user code runs."""
    settings = settings_of(options)
    vector = flatten(params)
    k = mode_directions(mode, directions)
    tolerance = check_tolerance(nondet_tol)
    require_callable(function, f"{what}(params)")
    with guard_parameters(params, vector, f"`{what}`"):
        spec = vector_spec(function(params), what, root=root)
    rng = np.random.default_rng(settings.seed + PROBE_SEED_OFFSET)
    return Opening(params, settings, vector, k, spec, rng, Precision(), tolerance)


def columns(
    apply: Callable[[np.ndarray], np.ndarray], size: int, plan: np.ndarray | None
) -> np.ndarray:
    """dF/dtheta column by column from a JVP-like map: one-hot tangents e_i (full mode), or
    the plan's random directions v (random mode, giving J v^T). The tangents are made one
    at a time (never an identity matrix): memory is the (outputs, columns) result."""
    count = size if plan is None else len(plan)
    tangents = one_hots(size) if plan is None else iter(plan)
    first = np.asarray(apply(next(tangents)), dtype=np.float64)
    out = np.empty((first.size, count))
    out[:, 0] = first
    for j, v in enumerate(tangents, start=1):
        out[:, j] = apply(v)
    return out


def one_hots(size: int) -> Iterator[np.ndarray]:
    """e_0, e_1, ... e_{size-1}, one at a time, in one reused buffer."""
    e = np.zeros(size)
    for i in range(size):
        e[i] = 1.0
        yield e
        e[i] = 0.0
