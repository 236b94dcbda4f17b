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

    python benchmarks/bench_large.py [--sizes 1e6 1e7] [--memory 1e6] [--modes full locate]
"""

from __future__ import annotations

import argparse
import functools
import time
import tracemalloc

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


def run(n: int, mode: str, wrong: int | None) -> None:
    loss, grad, params = model(n)
    grads = grad(params)
    if wrong is not None:
        grads["W"][wrong] += 0.1 * (abs(grads["W"][wrong]) + 1.0)
    theta_bytes = 8 * n
    tracemalloc.start()
    start = time.perf_counter()
    report = check(loss, params, grads, mode=mode)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / theta_bytes
    tracemalloc.stop()
    made = sum(report.evaluations.values())
    found = report.extra.get("located", {})
    print(
        f"n={n:.0e}  {mode:11s}  {made:5d} evaluations  {seconds:7.2f} s  peak {peak:5.1f} x theta"
        f"  full check: {2 * n + PROBES:.3g} evaluations  outcome {report.outcome.value}"
        + (f"  located {found}" if found else "")
    )


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
    rng = np.random.default_rng(0)
    theta, c, head = rng.standard_normal(n), rng.standard_normal(16), 16

    def loss(w):
        return 0.5 * float(w[:head] @ w[:head]) + float(c @ w[:head])

    grad = np.zeros(n)
    grad[:head] = theta[:head] + c
    if mode == "locate":
        grad[n // 3] += 0.1
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7])
    parser.add_argument("--memory", type=float, default=1e6)
    parser.add_argument("--modes", nargs="+", default=["full", "directional", "locate"])
    args = parser.parse_args()
    for mode in args.modes if args.memory else ():
        memory_by_stage(int(args.memory), mode)
    for n in (int(s) for s in args.sizes):
        run(n, "directional", None)
        run(n, "locate", n // 3)


if __name__ == "__main__":
    main()
