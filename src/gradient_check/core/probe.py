"""Probe f before differencing it: at theta, again, a sub-ulp away, and along a short line.

Ten evaluations at most, whatever the size of theta: the centre f0 (refused if not
finite), REPEATS more at theta (a random function is refused), one or two with every
element moved by less than half a float32 (float16) ulp (does f really compute in lower
precision than it returns?), and a noise table of NOISE_POINTS - 1 along a random line
(ECnoise). Steps and noise floors follow the precision found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import LossError, StochasticLossError
from .estimate import NOISE_POINTS, noise_level
from .evaluate import Evaluator, check_unchanged, read_output
from .flatten import ParameterVector
from .outputs import OutputSpec, scalar_spec, vector_spec
from .rng import RngGuard
from .settings import Settings
from .steps import step_sizes
from .workspace import Workspace

REPEATS = 2  # extra evaluations at theta, to catch a random function
# Two calls at the same theta may differ by reordered sums (threaded BLAS): this many ulps
# of f0 are allowed before a function counts as random.
STOCHASTIC_ULPS = 16
SUB_ULP = 1 / 8  # the precision probe moves theta by eps_d x this: under half an ulp of d
NOISE_SPACING = 1 / 64  # the noise table's spacing, as a fraction of each element's step
POOL_OUTPUTS = 8  # from this many outputs on, their noise estimates are pooled
POOLED_QUANTILE = 0.9  # pooled: no output's relative noise below this quantile of them all
LOW_PRECISION_EPS = 1e-15  # a resolution coarser than this is not float64's (2.2e-16)
FLOAT64_EPS = 2.3e-16  # outputs whose dtype's eps is at most this are float64 values
NOISY = 100  # noise this many times f0's rounding at its resolution: a noisy function
# what a function raises that cannot take float64 copies of low-precision parameters
REJECTED_COPY = (TypeError, ValueError, OverflowError, FloatingPointError)


@dataclass(frozen=True)
class Centre:
    """f at theta, read as outputs, in the workspace that will perturb theta."""

    workspace: Workspace
    spec: OutputSpec  # how f's outputs are named and read
    f0: np.ndarray  # (outputs,) f at theta, float64
    what: str  # what f is called in messages ("loss", "f", "grad")
    notes: tuple[str, ...]


@contextmanager
def centred(
    f: Callable[[Any], Any],
    params: Any,
    vector: ParameterVector,
    promote: bool,
    what: str,
    scalar: bool,
) -> Iterator[Centre]:
    """Evaluate f at theta in a workspace held open for the whole check.

    Low-precision parameters are first handed to f as float64 copies; a function that
    rejects them is evaluated in the parameters' own precision, with a note. Leaving the
    context (by any exception too) restores every parameter bitwise.
    """
    notes: list[str] = []
    for attempt in (True, False) if promote else (False,):
        with Workspace(params, vector, promote=attempt) as workspace:
            try:
                y0 = f(workspace.live)
            except REJECTED_COPY as error:
                if not workspace.promoted:
                    raise
                notes.append(
                    f"the function rejected float64 copies ({type(error).__name__}: "
                    f"{error}); evaluated in the parameters' own precision"
                )
                continue
            check_unchanged(workspace)
            root = what if what != "f" else "out"
            spec = scalar_spec(y0, what) if scalar else vector_spec(y0, what, root=root)
            f0 = np.atleast_1d(np.asarray(spec.read(y0), dtype=np.float64))
            refuse_nonfinite(f0, spec, what, "at the given parameters")
            if workspace.promoted:
                notes.append("low-precision parameters were evaluated as float64 copies")
            yield Centre(workspace, spec, f0, what, tuple(notes))
            return
    raise AssertionError("unreachable: the unpromoted attempt returns or raises")


@dataclass(frozen=True)
class Probes:
    """What the probes found: f's repeat values, its real precision, steps and noise."""

    repeats: np.ndarray  # (REPEATS, outputs) f at theta again
    resolution: float  # the machine epsilon f really computes with
    eps: np.ndarray  # (n,) per coordinate: its evaluation dtype's eps, or the resolution
    steps: np.ndarray  # (n,) the nominal step h_i for that precision
    sigma: np.ndarray  # (outputs,) f's noise: the noise table's, never below rounding
    notes: tuple[str, ...]
    evaluations: tuple[tuple[str, int], ...]  # (identifier, count) of f's evaluations

    @property
    def low_precision(self) -> bool:
        """f computes in less than float64: rounding in low precision limits the check."""
        return self.resolution > LOW_PRECISION_EPS

    def noisy(self, f0: np.ndarray) -> bool:
        """f's noise is far above the rounding of f0 at its resolution (for some output)."""
        return bool(np.any(self.sigma > NOISY * self.resolution * np.abs(f0)))


def probe(
    f: Callable[[Any], Any],
    centre: Centre,
    evaluator: Evaluator,
    settings: Settings,
    rng: np.random.Generator,
    rng_guard: RngGuard,
) -> Probes:
    """Refuse a random f, then measure its precision, choose the steps, measure its noise.

    ``rng`` is the check's private generator (the probes' random signs); ``rng_guard``
    says whether f drew from a global one.
    """
    workspace, spec, f0 = centre.workspace, centre.spec, centre.f0
    repeats = np.array(
        [read_output(spec, f(workspace.live), "when evaluated again") for _ in range(REPEATS)]
    )
    refuse_stochastic(f0, repeats, spec, rng_guard.changed(), centre.what)
    resolution, tries = precision(evaluator, workspace, spec, f0, rng)
    eps = np.maximum(workspace.slot_eval_dtypes(), resolution)
    steps = step_sizes(settings.h, workspace.vector, settings.scheme, eps)
    sigma = noise(evaluator, workspace.values(), f0, repeats, steps, rng, resolution)
    notes = ()
    if resolution > spec.eps:
        notes = (
            f"the function resolves nothing finer than {dtype_name(resolution)} "
            "(it computes in lower precision inside): steps and estimates follow it",
        )
    made = [("centre", 1), ("repeats", REPEATS), ("precision_probe", tries)]
    made.append(("noise_table", NOISE_POINTS - 1))
    evaluations = tuple((reason, count) for reason, count in made if count)
    return Probes(repeats, resolution, eps, steps, sigma, notes, evaluations)


def precision(
    evaluator: Evaluator,
    workspace: Workspace,
    spec: OutputSpec,
    f0: np.ndarray,
    rng: np.random.Generator,
) -> tuple[float, int]:
    """The machine epsilon the function really computes with, which may be coarser than the
    dtype it returns (a float32 model whose loss is returned with .item() looks float64),
    and the number of evaluations that took.

    Moves every nonzero theta_i by a random-signed eps_d x SUB_ULP relative, less than half
    an ulp in dtype d: a function that computes in d (or coarser) cannot see it and returns
    f0 bit for bit. Tries float32, then float16; one evaluation for a float64 function.
    """
    theta = workspace.values()
    coarsest = max(float(np.finfo(d).eps) for d in workspace.eval_dtypes)
    base = max(spec.eps, coarsest)
    if base > np.finfo(np.float64).eps or not np.any(theta):
        return base, 0  # already judged at its own low precision, or nothing to move
    sign = rng.choice([-1.0, 1.0], size=theta.size)
    resolution, tries = base, 0
    for dtype in (np.float32, np.float16):
        eps = float(np.finfo(dtype).eps)
        moved = theta * (1 + sign * eps * SUB_ULP)
        tries += 1
        y = evaluator.at_thetas(moved[None], lambda _: "with every element moved by a sub-ulp")
        if not np.array_equal(y[0], f0):
            break
        resolution = eps
    return resolution, tries


def noise(
    evaluator: Evaluator,
    theta: np.ndarray,
    f0: np.ndarray,
    repeats: np.ndarray,
    steps: np.ndarray,
    rng: np.random.Generator,
    resolution: float,
) -> np.ndarray:
    """sigma per output from a noise table: f at theta + k delta v, k = 0 .. NOISE_POINTS - 1,
    v random signs, delta = NOISE_SPACING x each element's step (inf if f is not finite)."""
    direction = rng.choice([-1.0, 1.0], size=theta.size) * steps * NOISE_SPACING
    points = theta + np.arange(1, NOISE_POINTS)[:, None] * direction
    where = "with every element moved slightly (noise table)"
    table = np.vstack([f0[None], evaluator.at_thetas(points, lambda _: where)])
    if not np.all(np.isfinite(table)):
        return np.full(f0.size, np.inf)
    return noise_from_table(table, f0, repeats, resolution)


def noise_from_table(
    table: np.ndarray, f0: np.ndarray, repeats: np.ndarray, resolution: float
) -> np.ndarray:
    """sigma per output: the largest of the table's noise estimate, the repeats' spread and
    the rounding at ``resolution`` of the table's largest magnitude.

    From POOL_OUTPUTS outputs on, seven points estimate each output's noise only roughly:
    outputs computed alike share their relative noise, so none is judged below the
    POOLED_QUANTILE of the relative noises, times its own magnitude.
    """
    spread = np.max(np.abs(repeats - f0), axis=0)
    magnitude = np.maximum(np.abs(f0), np.max(np.abs(table), axis=0))
    sigma = np.maximum.reduce([noise_level(table), spread, resolution * magnitude])
    if sigma.size >= POOL_OUTPUTS:
        relative = sigma / np.maximum(magnitude, np.finfo(float).tiny)
        sigma = np.maximum(sigma, np.quantile(relative, POOLED_QUANTILE) * magnitude)
    return sigma


def refuse_nonfinite(values: np.ndarray, spec: OutputSpec, what: str, where: str) -> None:
    """Raise LossError naming the first non-finite output among ``values`` (one per output)."""
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        name = "" if spec.scalar else f" (output {spec.label(int(bad[0]))})"
        raise LossError(
            f"`{what}` returned {values[bad[0]]}{name} {where}. A check needs finite values: "
            "look for log(0), division by zero or overflow, or use a smaller step `h`."
        )


def refuse_stochastic(
    f0: np.ndarray, repeats: np.ndarray, spec: OutputSpec, rng_used: bool, what: str
) -> None:
    """Raise StochasticLossError if f drew from a global generator or its repeats differ
    from f0 by more than STOCHASTIC_ULPS of its own precision."""
    spreads = np.max(np.abs(repeats - f0), axis=0)
    tolerance = STOCHASTIC_ULPS * spec.eps * np.maximum(np.abs(f0), np.finfo(float).tiny)
    if rng_used or np.any(spreads > tolerance):
        r = int(np.argmax(spreads / tolerance))  # the output that varies most
        seen = ", ".join(f"{float(v[r]):.17g}" for v in [f0, *repeats])
        output = "" if spec.scalar else f" (output {spec.label(r)})"
        cause = (
            "it draws from the global random generator"
            if rng_used
            else f"three evaluations at the same parameters gave {seen}{output}"
        )
        raise StochasticLossError(
            f"`{what}` is random: {cause}. A check of a random function is meaningless. Likely "
            "causes: dropout, sampling, data shuffling, a global RNG. Fix: set dropout's keep "
            "probability to 1 or freeze its mask, fix the seed inside the function, and use a "
            "fixed batch."
        )


def precision_notes(centre: Centre, probes: Probes) -> tuple[str, str]:
    """The report's notes on precision: the dtypes evaluated in, and f's measured noise."""
    dtypes = sorted({str(d) for d in centre.workspace.eval_dtypes})
    returns = "float64" if centre.spec.eps <= FLOAT64_EPS else "lower precision"
    f0 = centre.f0
    relative = float(np.max(probes.sigma / np.maximum(np.abs(f0), np.finfo(float).tiny)))
    return (
        f"evaluated in {', '.join(dtypes)}; the function returns {returns} values",
        f"measured noise of the function: {relative:.1e} relative",
    )


def dtype_name(eps: float) -> str:
    """The float dtype whose machine epsilon is ``eps``, by name."""
    for dtype in (np.float16, np.float32, np.float64):
        if eps == np.finfo(dtype).eps:
            return np.dtype(dtype).name
    return f"eps {eps:.1e}"
