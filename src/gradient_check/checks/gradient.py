"""Check the gradient of a scalar loss: the texts' gradient check, with evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.engine import Settings, make_settings, restores_rng, run_check
from ..core.evaluate import AUTO_PROGRESS
from ..core.flatten import flatten
from ..core.judge import DEFAULT_MARGIN
from ..core.match import flatten_like, unaliased
from ..core.outputs import OutputSpec
from ..core.settings import DEFAULT_DIRECTIONS, DEFAULT_SAMPLES
from ..core.steps import Step
from ..errors import InvalidProblemError
from ..report import Report
from .calls import UserFunction, require_callable
from .derivatives import (
    check_convention,
    check_tolerance,
    conjugate_imaginary,
    derivative_eps,
    project,
    repeatability,
)
from .modes import (
    LOCATE_DIRECTIONS,
    Run,
    chosen_mode,
    located_rows,
    locating,
    ruled_out,
    ruled_out_note,
    sampled_note,
    sampling,
    screening,
    tensor_rows,
    time_one,
)


@restores_rng
def check(
    loss: Callable[[Any], Any],
    params: Any,
    grads: Any,
    *,
    h: float | str | Step = "auto",
    scheme: str = "central",
    margin: float = DEFAULT_MARGIN,
    band_scale: float = 1.0,
    promote: bool = True,
    seed: int = 0,
    convention: str = "pytorch",
    nondet_tol: float = 0.0,
    mode: str = "full",
    directions: int | None = None,
    samples: int = DEFAULT_SAMPLES,
    budget: int | str | None = None,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = AUTO_PROGRESS,
) -> Report:
    """Check ``grads`` against finite differences of ``loss`` at ``params``.

    Flattens every parameter into theta (dicts in insertion order, lists by index, arrays
    row-major), takes the two-sided difference (J(theta + h e_i) - J(theta - h e_i)) / 2h
    for every element, and compares it with the analytic gradient: globally and per
    parameter by the texts' relative difference and bands, and element by element against
    each difference's own estimated error.

    Arguments:
        loss: ``loss(params) -> float``; must be deterministic.
        params: an array, or dicts/lists/tuples of float arrays and floats. Never left changed.
        grads: the analytic gradient, shaped like ``params`` (or keyed by parameter names
            such as ``"layers[0].W"``), or a callable ``params -> grads``.
        h: a number is the absolute step theta_i +/- h, as in the texts; ``"auto"`` scales
            it to each element and the dtype; ``relative(r)`` takes r x |theta_i|.
        scheme: "central" (the texts'), "forward", "backward" or "five-point".
        margin: an element is wrong only where |analytic - numeric| > margin x its error.
        band_scale: multiplies the texts' band edges; see ``depth_allowance`` for deep nets.
        promote: evaluate float32/float16 parameters as float64 copies where the loss allows.
        seed: seeds random-direction plans only; the probes use fixed lines, so a
            deterministic function's outcome never depends on it.
        convention: for complex parameters, "pytorch" (dL/dRe + i dL/dIm) or "jax" (its
            conjugate).
        nondet_tol: how far two calls of a callable ``grads`` may differ (torch's nondet_tol).
        mode: "full" (every element), "directional" (``directions`` random directions per
            tensor, default 3: an outcome per tensor, and the error norm it rules out),
            "sample" (``samples`` elements per tensor, stratified) or "locate" (directional
            screening, then the wrong elements found by halving); see checks/modes.py.
        budget: evaluations (an int) or time ("30s", "2 min"): picks the mode that fits.
        executor: run the evaluations on a concurrent.futures.Executor (a process pool, or
            dask's ``Client(...).get_executor()``): the loss and params are pickled once per
            worker (cloudpickle), results are identical to the serial run's. Give each
            worker one BLAS/OpenMP thread, or the workers' numpy fights for the cores:
            ``ProcessPoolExecutor(n, initializer=gradient_check.adapters.executors.
            single_threaded)``; a dask ``LocalCluster`` does it itself (OMP_NUM_THREADS=1,
            OPENBLAS_NUM_THREADS=1 and MKL_NUM_THREADS=1 in each worker's environment;
            its MALLOC_TRIM_THRESHOLD_ there can make a numpy loss with large temporaries
            markedly slower: see benchmarks/bench_executors.py).
            The executor is the caller's: it is used, never shut down.
        progress: called with (evaluations done, expected) as the check runs; None for
            nothing. The default (``core.evaluate.AUTO_PROGRESS``, shown as 'auto') is a rich
            progress bar on stderr with the count and ETA of evaluations, drawn only when
            stderr is a terminal and once the check has run about two seconds: silent when
            piped, in tests and in notebooks' captured output. It is resolved when the check
            starts, through a registry filled by gradient_check.render.progress, so
            ``import gradient_check`` does not import rich.

    Ctrl-C: the parameters and the random generators' states are restored, outstanding
    executor work is cancelled, and ``gradient_check.errors.CheckInterrupted`` (a
    KeyboardInterrupt) is raised carrying what was measured: evaluations by stage, the
    planned total, and the coordinates whose differences were measured.

    Returns:
        A ``Report``; ``report.ok`` is the verdict, ``print(report)`` the table.

    Example:
        >>> import numpy as np
        >>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> report = check(lambda p: float(np.sum(p["W"] ** 2)), {"W": W}, {"W": 2 * W})
        >>> report.ok, report.verdict.value
        (True, 'correct')
    """
    check_convention(convention)
    settings = make_settings(
        h,
        scheme,
        margin,
        band_scale,
        promote,
        seed,
        mode=mode,
        directions=directions,
        samples=samples,
        budget=budget,
        executor=executor,
        progress=progress,
    )
    return gradient_report(
        loss, params, grads, settings, tolerance=check_tolerance(nondet_tol), convention=convention
    )


def gradient_report(
    loss: Callable[[Any], Any],
    params: Any,
    grads: Any,
    settings: Settings,
    *,
    tolerance: float = 0.0,
    convention: str = "pytorch",
) -> Report:
    """``check`` from validated Settings: the path a framework adapter shares, supplying
    its own evaluator in ``settings.evaluator`` and autograd's gradient as ``grads``."""
    require_callable(loss, "loss(params)")

    vector = flatten(params)
    problems, spread = [], 0.0
    user = UserFunction(grads, "grads(params)", "check") if callable(grads) else None
    if user is None:
        flatten_like(grads, vector, "grads")  # misshapen: named before the loss is evaluated
    else:
        problems, spread = repeatability(
            params, vector, lambda: flatten_like(user(params), vector, "grads"), tolerance, user
        )

    seen: dict[str, np.ndarray] = {}

    def analytic(_spec: OutputSpec, directions: np.ndarray | None):
        given = grads if user is None else user(params)
        # an array given is read in place (one that shares the parameters' memory copied);
        # what grads(params) returns is copied: it may be a buffer refilled on each call
        flat = flatten_like(given, vector, "grads", in_place=user is None)
        flat = unaliased(flat, params, vector)
        if convention == "jax":
            flat = conjugate_imaginary(flat, vector)
        if not np.all(np.isfinite(flat)):
            bad = int(np.flatnonzero(~np.isfinite(flat))[0])
            raise InvalidProblemError(
                f"`grads` for `{vector.label(bad)}` is {flat[bad]}; an analytic gradient must be "
                "finite. Look for overflow or 0/0 in the backward pass."
            )
        seen["flat"] = flat
        return project(flat[None, :], directions), derivative_eps(given)

    def run(directions: Any = None, inspect: Any = None, extra: dict | None = None) -> Report:
        return run_check(
            loss,
            params,
            analytic,
            settings,
            kind="gradient",
            scalar=True,
            problems=tuple(problems),
            analytic_noise=spread,
            directions=directions,
            inspect=inspect,
            extra=extra,
            vector=vector,
        )

    settings, why = chosen_mode(settings, vector, time_one(loss, params))
    report = in_mode(run, settings, vector, lambda: seen["flat"])
    return report if why is None else replace(report, notes=(why, *report.notes))


def in_mode(run: Run, settings: Settings, vector: Any, gradient: Any) -> Report:
    """The check in ``settings.mode`` (checks/modes.py): ``run`` is run_check with the
    loss and its analytic gradient; ``gradient()`` the flat analytic gradient, once read."""
    if settings.mode == "full":
        return run()
    if settings.mode == "sample":
        picks: dict[str, list[int]] = {}
        report = tensor_rows(run(sampling(settings, picks)), vector, picks)
        note = sampled_note(vector, settings.samples)
        extra = {"samples": settings.samples, "seed": settings.seed}
        return replace(report, notes=(note, *report.notes), extra={**report.extra, **extra})
    if settings.mode == "directional":
        bounds: dict[str, dict] = {}

        def bound(evaluator, centre, plan, judged, steps):
            bounds.update(ruled_out(judged, plan, settings.margin, gradient()))
            return (ruled_out_note(bounds, settings.seed),), ()

        k = settings.directions or DEFAULT_DIRECTIONS
        extra = {"ruled_out": bounds, "seed": settings.seed, "directions": k}
        return tensor_rows(run(screening(settings, k), bound, extra), vector)
    found: list = []
    k = settings.directions or LOCATE_DIRECTIONS
    report = run(screening(settings, k), locating(settings, vector, gradient, found))
    report = tensor_rows(located_rows(report, found, vector), vector)
    located = {f.name: [e.label for e in f.elements] for f in found}
    extra = {"located": located, "seed": settings.seed, "directions": k}
    return replace(report, extra={**report.extra, **extra})


def assert_gradients_close(
    loss: Callable[[Any], Any], params: Any, grads: Any, **options: Any
) -> Report:
    """Run ``check`` and raise AssertionError unless its outcome is a pass.

    The message's first line is the outcome and why ("gradient check failed: confirmed
    wrong in W1 (3 elements)", "gradient check: cannot tell — ... use a smaller step h");
    the report's table follows.

    >>> import numpy as np
    >>> x = np.array([1.0, 2.0])
    >>> assert_gradients_close(lambda v: float(v @ v), x, 3 * x)
    Traceback (most recent call last):
    ...
    AssertionError: gradient check failed: confirmed wrong in params (2 elements)...
    """
    report = check(loss, params, grads, **options)
    if not report.ok:
        headline = report.headline
        if headline.startswith("fail: "):
            message = f"gradient check failed: {headline.removeprefix('fail: ')}"
        else:
            message = f"gradient check: {headline}"
        raise AssertionError(f"{message}\n\n{report}")
    return report
