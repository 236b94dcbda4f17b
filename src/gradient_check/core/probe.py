"""Probe f before differencing it: at theta, again, a sub-ulp away, and along a short line.

A few dozen evaluations at most, whatever the size of theta: the centre f0 (refused if not
finite), REPEATS more at theta (a random function is refused; one that seeds the global
generator itself is not), one to six for the precision f really computes in (precision.py:
measured, with the evidence it rests on), and a noise table of NOISE_POINTS - 1 along a
fixed line (ECnoise; taken again the other way or closer where it left f's domain,
crossed a jump, or showed f varying on a shorter scale than the step). Steps and noise
floors follow what was found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import LossError, StochasticLossError
from .evaluate import Evaluator, check_unchanged, read_output
from .flatten import ParameterVector
from .noise import POOL_OUTPUTS, noise, noise_from_table
from .outputs import OutputSpec, scalar_spec, vector_spec
from .precision import Precision, dtype_name, measure_precision
from .rng import RngGuard
from .settings import Settings
from .steptable import Column, StepTable
from .workspace import Workspace

__all__ = [
    "POOL_OUTPUTS",
    "Centre",
    "Probes",
    "centred",
    "dtype_name",
    "noise",
    "noise_from_table",
    "probe",
]

REPEATS = 2  # extra evaluations at theta, to catch a random function
# Two calls at the same theta may differ by reordered sums (threaded BLAS): this many ulps
# of f0 are allowed before a function counts as random.
STOCHASTIC_ULPS = 16
LOW_PRECISION_EPS = 1e-15  # a resolution coarser than this is not float64's (2.2e-16)
FLOAT64_EPS = 2.3e-16  # outputs whose dtype's eps is at most this are float64 values
NOISY = 100  # noise this many times f0's rounding at its resolution: a noisy function
# Noise above this fraction of |f0| means f0 is about 0 against it: said in absolute terms.
RELATIVE_NOISE_MEANINGFUL = 1e-2
TABLE_SEED = 0x7AB1E  # the noise table's line: fixed, not the check's seed (see ``probe``)
# A deterministic f whose table "noise" is above this many ulps of |f| (at the precision
# found) may not be noisy at all: it may vary
# on a scale shorter than the table's spacing (sin(1000 x), a Bessel function at 1e8), and
# a step 64 spacings long would average over its features. The table is taken SHORTER
# times closer (and the steps with it) while that lowers sigma STRUCTURE_DROP-fold or more:
# structure shrinks with the spacing (as spacing^3 and faster), noise does not.
STRUCTURE_ULPS = 1e4
SHORTER = 64.0
STRUCTURE_DROP = 16.0
MAX_SHORTENINGS = 3


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
    rejects them with any exception (a float32 PyTorch model raises RuntimeError: mat1 and
    mat2 must have the same dtype) is evaluated in the parameters' own precision, with a
    note; KeyboardInterrupt and SystemExit are not exceptions of f's and propagate. Leaving
    the context (by any exception too) restores every parameter bitwise.
    """
    notes: list[str] = []
    for attempt in (True, False) if promote else (False,):
        with Workspace(params, vector, promote=attempt) as workspace:
            try:
                y0 = f(workspace.live)
            except Exception as error:  # anything f raises; not KeyboardInterrupt/SystemExit
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
    eps: np.ndarray  # (tensors,) per tensor: its evaluation dtype's eps, or the resolution
    table: StepTable  # every coordinate's scale and nominal step h_i for that precision
    sigma: np.ndarray  # (outputs,) f's noise: the noise table's, never below rounding
    notes: tuple[str, ...]
    evaluations: tuple[tuple[str, int], ...]  # (identifier, count) of f's evaluations
    flat: bool = False  # f did not change under any probe move: locally constant
    unseen: np.ndarray | None = None  # (outputs,) bool: the table could not see its grain

    @property
    def steps(self) -> Column:
        """(n,) the nominal step h_i of every coordinate, computed when read."""
        return self.table.nominal

    @property
    def scales(self) -> Column:
        """(n,) each coordinate's element_scales at ``eps``, computed when read."""
        return self.table.scales

    @property
    def low_precision(self) -> bool:
        """f computes in less than float64: rounding in low precision limits the check."""
        return self.resolution > LOW_PRECISION_EPS

    def noisy(self, f0: np.ndarray, sigma: np.ndarray | None = None) -> bool:
        """f's noise (``sigma``, the probes' unless given) is far above the rounding of f0 at
        its resolution (for some output)."""
        sigma = self.sigma if sigma is None else sigma
        return bool(np.any(sigma > NOISY * self.resolution * np.abs(f0)))


def probe(
    f: Callable[[Any], Any],
    centre: Centre,
    evaluator: Evaluator,
    settings: Settings,
    rng_guard: RngGuard,
) -> Probes:
    """Refuse a random f, then measure its precision, choose the steps, measure its noise.

    ``rng_guard`` says whether f drew from a global generator, and whether f seeds it
    itself. The probes draw from no generator of the check's (its seed is for
    random-direction plans): the noise table's line comes from TABLE_SEED, so that a
    deterministic function's outcome never depends on ``seed``.
    """
    workspace, spec, f0 = centre.workspace, centre.spec, centre.f0
    reseeds = rng_guard.changed()
    repeats, deterministic = rng_guard.repeat(
        lambda: read_output(spec, f(workspace.live), "when evaluated again"), REPEATS
    )
    repeats = np.array(repeats)
    refuse_stochastic(f0, repeats, spec, not deterministic, centre.what)
    found = measure_precision(evaluator, workspace, spec, f0)
    resolution = found.resolution
    dtypes_eps = [float(np.finfo(d).eps) for d in workspace.eval_dtypes]
    eps = np.maximum(np.array(dtypes_eps), resolution)  # one per tensor
    table = StepTable(workspace, settings.h, settings.scheme, eps)
    theta = workspace.centre_values()
    spacing = table.spacings
    line = np.random.default_rng(TABLE_SEED)
    sigma, unseen, tabled, rough, used = noise(
        evaluator, theta, f0, repeats, spacing, line, resolution
    )
    notes = [precision_note(found, spec)]
    if rough and settings.h.kind != "absolute":
        shorter, sigma, unseen, more = _shorter_scale(
            evaluator, theta, f0, repeats, (spacing, used), sigma, unseen, resolution
        )
        shorter *= used if shorter > 1 else 1.0
        tabled += more
        if shorter > 1:
            # no longer than the span over which f's table was seen smooth
            table = table.within(shorter)
            notes.append(
                f"f varies on a scale shorter than the automatic step (its table of values "
                f"was smooth only {shorter:g} times closer): each step kept within that span"
            )
    if reseeds:
        notes.append(
            "the function seeds the global random generator itself: deterministic (each call "
            "leaves the same state whatever the state before); your generator's state is restored"
        )
    made = [("centre", 1), ("repeats", REPEATS), ("precision_probe", found.evaluations)]
    made.append(("noise_table", tabled))
    evaluations = tuple((reason, count) for reason, count in made if count)
    return Probes(
        repeats,
        resolution,
        eps,
        table,
        sigma,
        tuple(notes),
        evaluations,
        found.flat,
        unseen,
    )


def precision_note(found: Precision, spec: OutputSpec) -> str:
    """The report's note on the precision found and what it rests on."""
    if found.resolution > spec.eps:
        return (
            f"{found.evidence}: it computes in lower precision inside than the "
            f"{dtype_name(spec.eps)} it returns; steps and estimates follow it"
        )
    return found.evidence


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
        with np.errstate(over="ignore"):  # an output exactly 0 at theta: inf, still largest
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


def _shorter_scale(
    evaluator: Evaluator,
    theta: np.ndarray,
    f0: np.ndarray,
    repeats: np.ndarray,
    taken: tuple[Column, float],
    sigma: np.ndarray,
    unseen: np.ndarray,
    resolution: float,
) -> tuple[float, np.ndarray, np.ndarray, int]:
    """How many times shorter than planned f's length scale is (1: not shorter), read from
    noise tables taken SHORTER times closer than the table already taken, which was rough
    (``taken``: the planned spacing, and how many times closer it was taken) while sigma
    is above STRUCTURE_ULPS and falls STRUCTURE_DROP-fold with the spacing; the sigma and
    unseen outputs at that spacing, and the evaluations made."""
    spacing, used = taken

    def closer(coordinates: np.ndarray, times: float) -> np.ndarray:
        return spacing[coordinates] / used / times

    magnitude = np.maximum(np.abs(f0), np.max(np.abs(repeats), axis=0))
    shorter, made = 1.0, 0
    for _ in range(MAX_SHORTENINGS):
        if not np.any(sigma > STRUCTURE_ULPS * resolution * magnitude):
            break
        line = np.random.default_rng(TABLE_SEED)
        times = shorter * SHORTER
        table = Column(spacing.size, lambda c, times=times: closer(c, times), None)
        found, seen, tabled, *_ = noise(evaluator, theta, f0, repeats, table, line, resolution)
        made += tabled
        if not np.all(found * STRUCTURE_DROP <= np.maximum(sigma, found)) or np.array_equal(
            found, sigma
        ):
            break
        shorter, sigma, unseen = shorter * SHORTER, found, seen
    return shorter, sigma, unseen, made


def precision_notes(
    centre: Centre, probes: Probes, sigma: np.ndarray | None = None
) -> tuple[str, str]:
    """The report's notes on precision: the dtypes evaluated in, and f's measured noise
    (``sigma``, the probes' unless given; relative to f, or absolute where f is about 0)."""
    dtypes = sorted({str(d) for d in centre.workspace.eval_dtypes})
    returns = "float64" if centre.spec.eps <= FLOAT64_EPS else "lower precision"
    return (
        f"evaluated in {', '.join(dtypes)}; the function returns {returns} values",
        noise_note(centre.f0, probes.sigma if sigma is None else sigma),
    )


def noise_note(f0: np.ndarray, sigma: np.ndarray) -> str:
    """The note on f's measured noise: relative to f ("2.2e-16 relative"), in absolute terms
    for outputs that are about 0 (their noise at least RELATIVE_NOISE_MEANINGFUL of them)."""
    zero = ~(sigma < RELATIVE_NOISE_MEANINGFUL * np.abs(f0))
    parts = []
    if not zero.all():
        relative = float(np.max(sigma[~zero] / np.abs(f0[~zero])))
        parts.append(f"{relative:.1e} relative")
    if zero.any():
        worst = int(np.argmax(np.where(zero, sigma, -np.inf)))
        where = f"f = {float(f0[worst]):.3g}" if zero.all() else "where f is about that size"
        parts.append(f"{float(sigma[worst]):.1e} absolute ({where})")
    return f"measured noise of the function: {'; '.join(parts)}"
