"""The one path every check takes: flatten, probe, plan, evaluate, estimate, judge, report.

A check of anything (a gradient, a Jacobian, a VJP, a JVP, a Hessian) is a function
f: params -> outputs and an analytic derivative matrix dF/dtheta of shape (outputs,
coordinates). The engine evaluates f at 10 probe points (the centre, a repeat pair for
stochasticity, one or two sub-ulp points for the precision it really computes in, a noise
table of six), 2n points for the central differences, and 2 more (at 2h or h/2) for each
coordinate whose verdict is in doubt.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidProblemError, LossError, StochasticLossError
from ..report import Report
from . import judge
from .estimate import NOISE_POINTS, noise_level, one_sided_slopes
from .evaluate import Workspace, check_unchanged, guard_parameters, unreadable_output
from .flatten import flatten
from .outputs import OutputSpec, scalar_spec, vector_spec
from .plan import random_directions
from .schemes import CENTRAL, Scheme, apply_scheme, get_scheme, rounding_weight
from .steps import Step, as_step, element_scales, step_sizes
from .summarise import build_report

NOISE_SPACING = 1 / 64  # the noise table's spacing, as a fraction of each element's step
REPEATS = 2  # extra evaluations at theta, to catch a random function
POOL_OUTPUTS = 8  # from this many outputs on, their noise estimates are pooled


@dataclass(frozen=True)
class Settings:
    """How a check measures and judges; every field has a documented default."""

    h: Step
    scheme: Scheme
    margin: float = judge.DEFAULT_MARGIN
    band_scale: float = 1.0
    promote: bool = True
    seed: int = 0


def make_settings(
    h: Any, scheme: Any, margin: float, band_scale: float, promote: bool, seed: int
) -> Settings:
    """Validate a check's options into Settings, naming any that is unusable."""
    for name, value in (("margin", margin), ("band_scale", band_scale)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.number))
            or not (np.isfinite(value) and value > 0)
        ):
            raise InvalidProblemError(f"`{name}` must be a positive finite number; got {value!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidProblemError(f"`seed` must be an integer; got {seed!r}.")
    return Settings(
        as_step(h), get_scheme(scheme), float(margin), float(band_scale), bool(promote), int(seed)
    )


# analytic(spec, directions) -> (dF/dtheta as (outputs, coordinates), or projected on the
# directions as (outputs, directions); the machine epsilon of the derivative's dtype)
AnalyticFn = Callable[[OutputSpec, np.ndarray | None], tuple[np.ndarray, float]]


def restores_rng(function: Callable) -> Callable:
    """Run a public check so that the global numpy and Python RNG states come back as they
    were, whatever the user's code (loss, derivative, VJP) drew from them."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _RngGuard():
            return function(*args, **kwargs)

    return wrapper


class _RngGuard:
    """Save the global numpy and Python RNG states and put them back, whatever happens."""

    def __enter__(self) -> _RngGuard:
        self.numpy_state = np.random.get_state()
        self.python_state = random.getstate()
        return self

    def changed(self) -> bool:
        state = np.random.get_state()
        same = state[0] == self.numpy_state[0] and np.array_equal(state[1], self.numpy_state[1])
        same = same and state[2:] == self.numpy_state[2:]
        return not same or random.getstate() != self.python_state

    def __exit__(self, *exc: object) -> None:
        np.random.set_state(self.numpy_state)
        random.setstate(self.python_state)


@dataclass(frozen=True)
class _Task:
    """What run_check was asked to check, carried through its stages."""

    f: Callable[[Any], Any]
    params: Any
    analytic: AnalyticFn
    settings: Settings
    kind: str
    scalar: bool
    what: str
    extra: dict | None
    directions: int | None
    problems: tuple[str, ...]
    analytic_noise: float


def run_check(
    f: Callable[[Any], Any],
    params: Any,
    analytic: AnalyticFn,
    settings: Settings,
    kind: str,
    scalar: bool,
    what: str = "loss",
    extra: dict | None = None,
    directions: int | None = None,
    problems: tuple[str, ...] = (),
    analytic_noise: float = 0.0,
) -> Report:
    """Check ``analytic``'s derivative matrix of ``f`` at ``params`` by finite differences."""
    task = _Task(
        f,
        params,
        analytic,
        settings,
        kind,
        scalar,
        what,
        extra,
        directions,
        problems,
        analytic_noise,
    )
    vector = flatten(params)
    notes: list[str] = []
    with _RngGuard() as rng_guard:
        for promote in (True, False) if settings.promote else (False,):
            with Workspace(params, vector, promote=promote) as workspace:
                try:
                    y0 = f(workspace.live)
                except (TypeError, ValueError, OverflowError, FloatingPointError) as error:
                    if not workspace.promoted:
                        raise
                    notes.append(
                        f"the function rejected float64 copies ({type(error).__name__}: "
                        f"{error}); evaluated in the parameters' own precision"
                    )
                    continue
                check_unchanged(workspace)
                return _run(task, vector, workspace, y0, rng_guard, notes)
    raise AssertionError("unreachable: the unpromoted attempt returns or raises")


def _run(task: _Task, vector, workspace, y0, rng_guard, notes) -> Report:
    """The stages after the first evaluation: probes, steps, differences, judgement."""
    f, settings, what, directions = task.f, task.settings, task.what, task.directions
    spec = (
        scalar_spec(y0, what)
        if task.scalar
        else vector_spec(y0, what, root=what if what != "f" else "out")
    )
    f0 = np.atleast_1d(np.asarray(spec.read(y0), dtype=np.float64))
    _refuse_nonfinite(f0, spec, what, "at the given parameters")
    counts = {"centre": 1}
    if workspace.promoted:
        notes.append("low-precision parameters were evaluated as float64 copies")
    repeats = [_read(spec, f(workspace.live), "when evaluated again") for _ in range(REPEATS)]
    counts["repeats (stochasticity)"] = REPEATS
    _refuse_stochastic(f0, repeats, spec, rng_guard.changed(), what)

    scheme = settings.scheme
    rng = np.random.default_rng(settings.seed)
    resolution = _resolution(f, workspace, spec, f0, rng, counts)
    if resolution > spec.eps:
        notes.append(
            f"the function resolves nothing finer than {_dtype_name(resolution)} "
            "(it computes in lower precision inside): steps and estimates follow it"
        )
    coord_eps = np.maximum(workspace.slot_eval_dtypes(), resolution)
    steps = step_sizes(settings.h, vector, scheme, coord_eps)
    sigma = _noise(f, workspace, spec, f0, repeats, steps, rng, counts, resolution)

    if directions is None:
        plan, probes = None, vector
        probe_steps = steps

        def measure(index, step):
            return _differences(f, workspace, spec, scheme, index, step, f0, what)
    else:
        plan = random_directions(
            vector, directions, settings.h, rng, scheme.order, float(np.max(coord_eps))
        )
        probes = plan.probes
        probe_steps = np.full(plan.matrix.shape[0], plan.step)
        notes.append(f"{directions} random direction(s) per parameter, seed {settings.seed}")

        def measure(index, step):
            return _directional(f, workspace, spec, scheme, plan.matrix[index], step, f0, what)

    with guard_parameters(task.params, vector, "the derivative"):
        a_matrix, analytic_eps = task.analytic(spec, None if plan is None else plan.matrix)
    analytic_t = np.ascontiguousarray(np.asarray(a_matrix, dtype=np.float64).T)  # (probes, outputs)
    check_unchanged(workspace, "the derivative")

    # The backward's own rounding, per output: its dtype's eps at the scale of the largest
    # derivative of that output, plus the spread of two calls of a nondeterministic one.
    largest = np.maximum(analytic_t.max(axis=0, initial=0), -analytic_t.min(axis=0, initial=0))
    arnd = judge.ANALYTIC_ROUNDING * analytic_eps * largest + task.analytic_noise
    # each output's typical slope: the rms of its derivatives (einsum: no squared copy)
    typical = np.sqrt(np.einsum("ij,ij->j", analytic_t, analytic_t) / max(len(analytic_t), 1))
    judged = judge.Judged(
        analytic_t,
        None,
        None,
        sigma * rounding_weight(scheme),
        None,
        arnd,
        settings.margin,
        None,
        typical,
    )
    original_steps = probe_steps
    if plan is None and scheme == CENTRAL:
        scales = element_scales(vector)
        consistent, gap_h = _central_first_pass(
            f, workspace, spec, judged, probe_steps, f0, sigma, scales, what
        )
        counts[f"{scheme.name} differences"] = 2 * probes.size
        if settings.h.kind != "absolute":  # an absolute h is the user's (the texts' figures)
            probe_steps = _lengthen(
                f,
                workspace,
                spec,
                judged,
                consistent,
                gap_h,
                probe_steps,
                f0,
                sigma,
                scales,
                what,
                counts,
            )
    else:
        d1, values1, h1 = measure(np.arange(probes.size), probe_steps)
        gap_h = None
        if scheme == CENTRAL:  # h * (one-sided slopes' difference) = f+ - 2 f0 + f-
            gap_h = values1[:, 0] + values1[:, 1]
            gap_h -= 2 * f0
        judged.primary, judged.steps, judged.relative_steps = d1, h1, h1.copy()
        judged.residual = np.abs(analytic_t - d1)
        consistent = judge.first_pass(judged, gap_h, sigma)
    d1, h1 = judged.primary, judged.steps
    counts.setdefault(f"{scheme.name} differences", probes.size * scheme.evaluations_per_element)

    doubt = np.flatnonzero(~consistent.all(axis=1))
    if doubt.size:
        quiet = judge.curvature_negligible(
            None if gap_h is None else gap_h[doubt], sigma, settings.margin
        )
        up = np.zeros(doubt.size, dtype=bool) if quiet is None else quiet
        up &= probe_steps[doubt] == original_steps[doubt]  # never lengthen a row twice
        d2, values2, h2 = measure(doubt, probe_steps[doubt] * np.where(up, 2.0, 0.5))
        counts["refinement at 2h or h/2"] = values2.shape[0] * values2.shape[1]
        slopes1 = slopes2 = None
        if scheme == CENTRAL:
            slopes1 = judge.slopes_from(d1[doubt], gap_h[doubt], h1[doubt])
            slopes2 = one_sided_slopes(values2[:, 0], f0, values2[:, 1], h2)
        gap_doubt = None if gap_h is None else gap_h[doubt]
        judged.refine(
            doubt, consistent[doubt], d2, h2, up, scheme.order, slopes1, slopes2, gap_doubt
        )
    check_unchanged(workspace)

    low_precision = resolution > 1e-15
    noisy = bool(np.any(sigma > 100 * resolution * np.abs(f0)))
    return build_report(
        kind=task.kind,
        vector=probes,
        spec=spec,
        judged=judged,
        settings=settings,
        counts=counts,
        low_precision=low_precision,
        noisy=noisy,
        notes=_precision_notes(workspace, spec, sigma, f0, notes),
        extra=task.extra,
        problems=task.problems,
    )


LARGER_STEP = 8.0  # how much longer a step is taken where rounding alone limits a row
LONGEST_RELATIVE_STEP = 0.05  # but never beyond 5 % of the element's scale (float16's would)
CHUNK_ELEMENTS = 1 << 15  # (coordinates x outputs) judged at once: small enough for cache


def _lengthen(
    f, workspace, spec, judged, consistent, gap_h, steps, f0, sigma, scales, what, counts
) -> np.ndarray:
    """Measure again, at a step LARGER_STEP times longer, the rows whose first difference
    cannot resolve a 0.1 % error for rounding while showing no curvature; keep the longer
    step only where its slope gap grew no more than curvature allows (a kink within the
    longer step would), since rounding then falls by LARGER_STEP and truncation stays
    negligible. Returns the steps now in use."""
    rows = judge.rounding_limited(judged, gap_h, sigma)
    rows = rows[judged.relative_steps[rows] * LARGER_STEP <= LONGEST_RELATIVE_STEP]
    if rows.size == 0:
        return steps
    derivative, values, realised = _differences(
        f, workspace, spec, CENTRAL, rows, steps[rows] * LARGER_STEP, f0, what
    )
    counts[f"{LARGER_STEP:g}h where rounding dominates"] = values.shape[0] * values.shape[1]
    gap = values[:, 0] + values[:, 1] - 2 * f0
    allowed = LARGER_STEP**2 * np.abs(gap_h[rows]) + judged.margin * judge.GAP_NOISE * sigma
    keep = np.all(np.abs(gap) <= allowed, axis=1)
    rows, derivative, realised, gap = rows[keep], derivative[keep], realised[keep], gap[keep]
    judged.primary[rows] = derivative
    judged.residual[rows] = np.abs(judged.analytic[rows] - derivative)
    judged.steps[rows] = realised
    judged.relative_steps[rows] = realised / scales[rows]
    gap_h[rows] = gap
    consistent[rows] = judge.first_pass(judged, gap, sigma, rows)
    steps = steps.copy()
    steps[rows] *= LARGER_STEP
    return steps


def _central_first_pass(f, workspace, spec, judged, steps, f0, sigma, scales, what):
    """Every coordinate's central difference, judged chunk by chunk as it is measured.

    Fills judged.primary, .residual, .steps and .relative_steps, and returns the consistent
    mask and the gaps f+ - 2 f0 + f-; the raw values live only in a chunk-sized buffer.
    """
    n, m = steps.size, spec.size
    coordinates = np.arange(n)
    theta, realised = workspace.realised_steps(coordinates, steps)
    points = workspace.stored(
        coordinates, theta[:, None] + np.array([-1.0, 1.0]) * realised[:, None]
    )
    judged.steps, judged.relative_steps = realised, realised / scales
    judged.primary, judged.residual = np.empty((n, m)), np.empty((n, m))
    gap_h, consistent = np.empty((n, m)), np.empty((n, m), dtype=bool)
    rows = max(1, CHUNK_ELEMENTS // m)
    buffer = np.empty((rows, 2, m))
    for start in range(0, n, rows):
        block = slice(start, min(n, start + rows))
        values = buffer[: block.stop - start]
        workspace.evaluate_points(f, coordinates[block], points[block], spec.read, values)
        if not np.all(np.isfinite(values)):
            k, q, _ = (int(i[0]) for i in np.nonzero(~np.isfinite(values)))
            where = f"{workspace.vector.label(start + k)} {(-1, 1)[q]:+d}h"
            _refuse_nonfinite(values[k, q], spec, what, f"with {where}")
        # (f(theta + h e_i) - f(theta - h e_i)) / 2h
        derivative = judged.primary[block]
        np.subtract(values[:, 1], values[:, 0], out=derivative)
        derivative *= (0.5 / realised[block])[:, None]
        residual = judged.residual[block]
        np.subtract(judged.analytic[block], derivative, out=residual)
        np.abs(residual, out=residual)
        gap = gap_h[block]
        np.add(values[:, 0], values[:, 1], out=gap)
        gap -= 2 * f0
        consistent[block] = judge.first_pass(judged, gap, sigma, block)
    return consistent, gap_h


def _differences(f, workspace, spec, scheme, coordinates, steps, f0, what):
    """D_i = sum_k w_k f(theta + o_k h_i e_i) / h_i for the given coordinates, and its rounding."""
    offsets = np.asarray(scheme.nonzero_offsets)
    theta, realised = workspace.realised_steps(coordinates, steps)
    # theta_i + o_k h_i, each rounded to the dtype the function sees
    points = workspace.stored(coordinates, theta[:, None] + offsets * realised[:, None])
    values = np.empty((coordinates.size, offsets.size, spec.size))
    workspace.evaluate_points(f, coordinates, points, spec.read, values)
    if not np.all(np.isfinite(values)):
        k, q, _r = (int(i[0]) for i in np.nonzero(~np.isfinite(values)))
        where = f"{workspace.vector.label(int(coordinates[k]))} {offsets[q]:+g}h"
        _refuse_nonfinite(values[k, q], spec, what, f"with {where}")
    return apply_scheme(scheme, values, f0, realised), values, realised


def _directional(f, workspace, spec, scheme, matrix, steps, f0, what):
    """D_v = sum_k w_k f(theta + o_k h v) / h for each direction v (rows of ``matrix``)."""
    theta = workspace.values()
    offsets = np.asarray(scheme.nonzero_offsets)
    values = np.empty((matrix.shape[0], offsets.size, spec.size))
    for j, (direction, step) in enumerate(zip(matrix, steps, strict=True)):
        for q, offset in enumerate(offsets):
            y = workspace.evaluate_theta(f, theta + offset * step * direction)
            values[j, q] = _read(spec, y, f"along random direction {j}")
    if not np.all(np.isfinite(values)):
        j = int(np.nonzero(~np.isfinite(values))[0][0])
        _refuse_nonfinite(values[j].ravel(), spec, what, f"along random direction {j}")
    return apply_scheme(scheme, values, f0, steps), values, steps


def _read(spec: OutputSpec, y: Any, where: str) -> np.ndarray:
    """One evaluation's outputs as float64, or a LossError saying where it changed kind."""
    try:
        return np.atleast_1d(np.asarray(spec.read(y), dtype=np.float64))
    except (TypeError, ValueError) as error:
        raise unreadable_output(y, error, where) from error


def _dtype_name(eps: float) -> str:
    for dtype in (np.float16, np.float32, np.float64):
        if eps == np.finfo(dtype).eps:
            return np.dtype(dtype).name
    return f"eps {eps:.1e}"


def _resolution(f, workspace, spec, f0, rng, counts) -> float:
    """The machine epsilon the function really computes with, which may be coarser than the
    dtype it returns: a float32 model whose loss is returned with .item() looks float64.

    Moves every nonzero theta_i by a random-signed eps_d / 8 relative, less than half an ulp
    in dtype d: a function that computes in d (or coarser) cannot see it and returns f0
    bit for bit. Tries float32, then float16; one evaluation for a float64 function.
    """
    theta = workspace.values()
    coarsest = max(float(np.finfo(d).eps) for d in workspace.eval_dtypes)
    base = max(spec.eps, coarsest)
    if base > np.finfo(np.float64).eps or not np.any(theta):
        return base  # already judged at its own low precision, or nothing to move
    sign = rng.choice([-1.0, 1.0], size=theta.size)
    resolution = base
    for dtype in (np.float32, np.float16):
        eps = float(np.finfo(dtype).eps)
        y = workspace.evaluate_theta(f, theta * (1 + sign * eps / 8))
        counts["precision probe"] = counts.get("precision probe", 0) + 1
        if not np.array_equal(_read(spec, y, "with every element moved by a sub-ulp"), f0):
            break
        resolution = eps
    return resolution


def _noise(f, workspace, spec, f0, repeats, steps, rng, counts, resolution) -> np.ndarray:
    """sigma per output: the noise table's estimate, never below the output dtype's rounding."""
    direction = rng.choice([-1.0, 1.0], size=workspace.vector.size) * steps * NOISE_SPACING
    theta = workspace.values()
    table = [f0]
    for k in range(1, NOISE_POINTS):
        y = workspace.evaluate_theta(f, theta + k * direction)
        table.append(_read(spec, y, "with every element moved slightly (noise table)"))
    counts["noise table"] = NOISE_POINTS - 1
    table = np.array(table)
    if not np.all(np.isfinite(table)):
        return np.full(spec.size, np.inf)
    spread = np.max(np.abs(np.array(repeats) - f0), axis=0)
    magnitude = np.maximum(np.abs(f0), np.max(np.abs(table), axis=0))
    sigma = np.maximum.reduce([noise_level(table), spread, resolution * magnitude])
    if sigma.size >= POOL_OUTPUTS:
        # seven points estimate each output's noise only roughly: outputs computed alike
        # share their relative noise, so no output is judged below the common level
        relative = sigma / np.maximum(magnitude, np.finfo(float).tiny)
        sigma = np.maximum(sigma, np.quantile(relative, 0.9) * magnitude)
    return sigma


def _refuse_nonfinite(values: np.ndarray, spec: OutputSpec, what: str, where: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        name = "" if spec.scalar else f" (output {spec.label(int(bad[0]))})"
        raise LossError(
            f"`{what}` returned {values[bad[0]]}{name} {where}. A check needs finite values: "
            "look for log(0), division by zero or overflow, or use a smaller step `h`."
        )


def _refuse_stochastic(f0, repeats, spec, rng_used: bool, what: str) -> None:
    spreads = np.max(np.abs(np.array(repeats) - f0), axis=0)
    tolerance = 16 * spec.eps * np.maximum(np.abs(f0), np.finfo(float).tiny)
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


def _precision_notes(workspace, spec, sigma, f0, notes) -> tuple[str, ...]:
    dtypes = sorted({str(d) for d in workspace.eval_dtypes})
    notes = [
        *notes,
        f"evaluated in {', '.join(dtypes)}; the function returns "
        f"{'float64' if spec.eps <= 2.3e-16 else 'lower precision'} values",
    ]
    relative = float(np.max(sigma / np.maximum(np.abs(f0), np.finfo(float).tiny)))
    notes.append(f"measured noise of the function: {relative:.1e} relative")
    return tuple(notes)
