"""Directional and locate checks of models with 1e6 and 1e7 parameters.

A linear model's loss (least squares on a fixed batch: one matrix-vector product per
evaluation) over three tensors (W: most of theta, b, and a small head c); the gradient is
exact except, for locate, one wrong element of W. Prints, per size and mode: evaluations,
seconds, the outcome and what was found, beside a full check's evaluation count (2n + the
probes; computed, not run: at 1e7 it would be 2e7 evaluations). Also the peak extra memory
of each run (tracemalloc) as a multiple of theta's bytes.

With ``--memory N`` (default 1e6; 0 skips it) it first runs a full, a directional and a
locate check (one wrong element) of a cheap quadratic (its own temporaries tiny) of N
parameters and prints, stage by stage of core/engine.py, the memory held after the stage
and the peak reached since the stage before ended (so during it, or in the engine's code
just before it), as multiples of theta's bytes. ``--modes`` picks which of the three.

With ``--growth`` it then prints one markdown table of the checker's cost as n grows: a
full check of the cheap quadratic (its evaluations cost O(1), so the times are the
checker's own) at ``--full-sizes`` (default 1e3 1e4 1e5 1e6 1e7), then a directional and a
locate check (one wrong element of W) of the linear model at ``--probe-sizes`` (default 1e6
1e7 1e8); a small check of each kind runs first, unmeasured (imports, first calls). Each
row's check runs twice: once plain, timed, then under tracemalloc (which slows a full
check about 5x), for its memory. Per row: evaluations, seconds of each run, and
tracemalloc's extra memory (started after the problem is built) as multiples of theta's
bytes: the peak during the check, what is held when it returns and what is still held
after a gc.collect() (the difference was garbage in reference cycles); a full check's
evaluation count (2n + the probes; run for the full rows, computed for the others); the
outcome, and for locate whether the one element located was the wrong one. Each problem
is freed before the next is built. At 1e8: theta 0.8 GB, the model's data row and
gradient 1.6 GB more, plus the check's peak. ``--sizes`` with no value and ``--memory 0``
skip the rest.

    python benchmarks/bench_large.py [--sizes 1e6 1e7] [--memory 1e6] [--modes full locate]
    python benchmarks/bench_large.py --memory 0 --sizes --growth [--full-sizes 1e3 1e4]
        [--probe-sizes 1e6]
"""

from __future__ import annotations

import argparse
import functools
import gc
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

import gradient_check.checks.modes as modes
import gradient_check.core.engine as engine
import gradient_check.core.measure as measure
from gradient_check import check

PROBES = 10  # centre, 2 repeats, precision probe, noise table: a full check's fixed part


def model(n: int, seed: int = 0):
    """loss(params), its gradient, params: three tensors, n parameters in all."""
    rng = np.random.default_rng(seed)
    size_w = n - 1000 - 10
    params = {
        "W": rng.standard_normal(size_w) / np.sqrt(size_w),
        "b": rng.standard_normal(1000),
        "c": rng.standard_normal(10),
    }
    a = rng.standard_normal(size_w)  # one data row: loss = (a . W + sum b^2/2 + c . c - 1)^2

    def loss(p):
        r = float(a @ p["W"]) + 0.5 * float(p["b"] @ p["b"]) + float(p["c"] @ p["c"]) - 1.0
        return r * r

    def grad(p):
        r = float(a @ p["W"]) + 0.5 * float(p["b"] @ p["b"]) + float(p["c"] @ p["c"]) - 1.0
        return {"W": 2 * r * a, "b": 2 * r * p["b"], "c": 4 * r * p["c"]}

    return loss, grad, params


@dataclass(frozen=True)
class Measured:
    """One check's cost: evaluations, seconds under tracemalloc (and without it, if timed),
    extra memory (x theta): the peak, held on return and still held after a gc.collect()
    (the rest was garbage in reference cycles)."""

    n: int
    mode: str
    evaluations: int
    seconds: float
    untraced: float | None
    peak: float
    held: float
    kept: float
    outcome: str
    located: dict


def measured(loss, params, grads, mode: str, n: int, untraced: bool = False) -> Measured:
    """Run one check, tracing memory from here on (the problem is already built); with
    ``untraced``, first once more without tracemalloc, to time it (tracing slows a full
    check several times over: it hooks each of its many small allocations)."""
    plain = None
    if untraced:
        gc.collect()
        start = time.perf_counter()
        check(loss, params, grads, mode=mode)
        plain = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    try:
        start = time.perf_counter()
        report = check(loss, params, grads, mode=mode)
        seconds = time.perf_counter() - start
        held, peak = tracemalloc.get_traced_memory()
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    made = sum(report.evaluations.values())
    found = report.extra.get("located", {})
    theta_bytes = 8 * n
    peak, held, kept = peak / theta_bytes, held / theta_bytes, kept / theta_bytes
    outcome = report.outcome.value
    return Measured(n, mode, made, seconds, plain, peak, held, kept, outcome, found)


def probe(n: int, mode: str, wrong: int | None, untraced: bool = False) -> Measured:
    """A check of the linear model of n parameters; ``wrong``: an index of W made wrong."""
    loss, grad, params = model(n)
    grads = grad(params)
    if wrong is not None:
        grads["W"][wrong] += 0.1 * (abs(grads["W"][wrong]) + 1.0)
    return measured(loss, params, grads, mode, n, untraced)


def run(n: int, mode: str, wrong: int | None) -> None:
    got = probe(n, mode, wrong)
    print(
        f"n={n:.0e}  {mode:11s}  {got.evaluations:5d} evaluations  {got.seconds:7.2f} s"
        f"  peak {got.peak:5.1f} x theta"
        f"  full check: {2 * n + PROBES:.3g} evaluations  outcome {got.outcome}"
        + (f"  located {got.located}" if got.located else "")
    )


def quadratic(n: int, wrong: int | None = None):
    """loss(w), its gradient, w: a quadratic of w's first 16 elements (O(1) per call) over n
    parameters; ``wrong``: an index whose gradient element is made wrong."""
    rng = np.random.default_rng(0)
    theta, c, head = rng.standard_normal(n), rng.standard_normal(16), 16

    def loss(w):
        return 0.5 * float(w[:head] @ w[:head]) + float(c @ w[:head])

    grad = np.zeros(n)
    grad[:head] = theta[:head] + c
    if wrong is not None:
        grad[wrong] += 0.1
    return loss, grad, theta


STAGES = [
    (engine, "probe"),
    (engine, "plan_probes"),
    (engine, "analytic_rows"),
    (engine, "error_model"),
    (measure, "central_first_pass"),  # the full check's first pass, then
    (measure, "lengthen"),  # its longer steps
    (measure, "directional"),  # the directions' differences (first pass and refinement)
    (engine, "first_differences"),
    (engine, "refine_doubt"),
    (modes, "locate"),  # one failing tensor's localisation
    (engine, "check_unchanged"),
    (engine, "build_report"),
]


def memory_by_stage(n: int, mode: str = "full") -> None:
    """A check of n parameters in ``mode``: per stage, memory held after it and the peak up
    to it (a stage run several times is listed each time). Locate has one wrong element."""
    loss, grad, theta = quadratic(n, n // 3 if mode == "locate" else None)
    seen: list[tuple[str, int, int]] = []
    originals = [(module, name, getattr(module, name)) for module, name in STAGES]

    def traced(name, fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            finally:
                seen.append((name, *tracemalloc.get_traced_memory()))
                tracemalloc.reset_peak()

        return inner

    for module, name, fn in originals:
        setattr(module, name, traced(name, fn))
    tracemalloc.start()
    try:
        start = time.perf_counter()
        report = check(loss, theta, grad, mode=mode)
        seconds = time.perf_counter() - start
        overall = max(peak for _, _, peak in seen)
    finally:
        tracemalloc.stop()
        for module, name, fn in originals:
            setattr(module, name, fn)
    print(
        f"{mode} check, n={n:.0e}: {report.total_evaluations} evaluations, {seconds:.1f} s, "
        f"outcome {report.outcome.value}; peak {overall / theta.nbytes:.1f} x theta"
    )
    print("| stage | held after (x theta) | peak up to it (x theta) |\n|---|---|---|")
    for name, held, peak in seen:
        print(f"| {name} | {held / theta.nbytes:.2f} | {peak / theta.nbytes:.2f} |")


def growth(full_sizes: list[int], probe_sizes: list[int]) -> None:
    """The cost-growth table: full checks of the quadratic, directional and locate checks
    of the linear model; each problem freed (del, gc) before the next is built. A small
    check of each kind first, unmeasured, so that no row pays for imports and first calls."""
    loss, grad, theta = quadratic(100)
    measured(loss, theta, grad, "full", 100)
    probe(2000, "directional", None)
    probe(2000, "locate", 500)
    print(
        "| check | n | evaluations | seconds | seconds under tracemalloc | peak extra (x theta)"
        " | held on return (x theta) | held after gc (x theta) | full check's evaluations"
        " | outcome |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    for n in full_sizes:
        loss, grad, theta = quadratic(n)
        got = measured(loss, theta, grad, "full", n, untraced=True)
        del loss, grad, theta
        gc.collect()
        growth_row(got, f"{got.evaluations} (this check)", got.outcome)
    for n in probe_sizes:
        for mode, wrong in (("directional", None), ("locate", n // 3)):
            got = probe(n, mode, wrong, untraced=True)  # the model freed on return
            gc.collect()
            outcome = got.outcome
            if wrong is not None:
                hit = got.located == {"W": [f"W[{wrong}]"]}
                outcome += ", located the wrong element" if hit else f", located {got.located}"
            growth_row(got, f"{2 * n + PROBES:.3g} (not run)", outcome)


def growth_row(got: Measured, full: str, outcome: str) -> None:
    print(
        f"| {got.mode} | {got.n:.0e} | {got.evaluations} | {got.untraced:.2f} | {got.seconds:.2f}"
        f" | {got.peak:.1f} | {got.held:.2f} | {got.kept:.2f} | {full} | {outcome} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7])
    parser.add_argument("--memory", type=float, default=1e6)
    parser.add_argument("--modes", nargs="+", default=["full", "directional", "locate"])
    parser.add_argument("--growth", action="store_true", help="the cost-growth table")
    parser.add_argument("--full-sizes", nargs="*", type=float, default=[1e3, 1e4, 1e5, 1e6, 1e7])
    parser.add_argument("--probe-sizes", nargs="*", type=float, default=[1e6, 1e7, 1e8])
    args = parser.parse_args()
    for mode in args.modes if args.memory else ():
        memory_by_stage(int(args.memory), mode)
    for n in (int(s) for s in args.sizes):
        run(n, "directional", None)
        run(n, "locate", n // 3)
    if args.growth:
        growth([int(s) for s in args.full_sizes], [int(s) for s in args.probe_sizes])


if __name__ == "__main__":
    main()
