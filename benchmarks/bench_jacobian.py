"""Full Jacobian check of f: R^2000 -> R^500: cost, overhead, and numdifftools side by side.

f(x) = tanh(A x), and tanh(B tanh(A x)), with fixed random A and B. Prints the evaluations
the check made (2n + 1 of f plus 10 probes) and (check time) / (time of 2n + 1 evaluations
of f), both measured in the same run (target <= 1.10): against the fastest bare batches, and
against the time f itself took inside the check (robust to a noisy machine). Then the
accuracy and time of our central differences against numdifftools.Jacobian's on the same
function, both against the exact Jacobian.

    python benchmarks/bench_jacobian.py [--n 2000] [--m 500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from timing import time_checks

from gradient_check import check_jacobian


def problem(n: int, m: int, seed: int = 0, layers: int = 1):
    """f(x) = tanh(A x), or with ``layers=2`` tanh(B tanh(A x)) (an m-wide hidden layer)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(n)
    B = rng.standard_normal((m, m)) / np.sqrt(m)
    x = rng.uniform(-1, 1, n)

    def f(x):
        z = np.tanh(A @ x)
        return np.tanh(B @ z) if layers == 2 else z

    def jacobian(x):
        z = np.tanh(A @ x)
        inner = (1 - z**2)[:, None] * A
        if layers == 1:
            return inner
        return (1 - np.tanh(B @ z) ** 2)[:, None] * (B @ inner)

    return f, jacobian, x


def measure_overhead(f, exact, x, args, layers: int) -> None:
    """Time the check against 2n + 1 bare evaluations, two ways, in the same run."""
    count = 2 * args.n + 1
    report, checks, ratios, per_eval = time_checks(
        lambda timed: check_jacobian(timed, x, exact),
        f,
        x,
        count,
        args.repeats,
        samples=5,
        batch=300,
    )
    base = per_eval * count
    name = "tanh(A x)" if layers == 1 else "tanh(B tanh(A x))"
    print(
        f"f = {name}: R^{args.n} -> R^{args.m}; evidence: {report.evidence.value}, "
        f"diff {report.diff:.2e}"
    )
    print(
        f"  evaluations of f: {report.total_evaluations:,} = "
        + " + ".join(f"{v:,} {k}" for k, v in report.evaluations.items())
    )
    print(
        f"  bare evaluation {per_eval * 1e6:.0f} us; 2n+1 = {count:,} of them: {base:.2f} s;"
        f" check: {', '.join(f'{t:.2f} s' for t in checks)}"
    )
    print(
        f"  ratio check / bare(2n+1), fastest batches: {min(checks) / base:.3f}; "
        f"against the time f took inside the same check: {min(ratios):.3f} (target <= 1.10)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--m", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for layers in (1, 2):
        f, jacobian, x = problem(args.n, args.m, layers=layers)
        exact = jacobian(x)
        measure_overhead(f, exact, x, args, layers)
    f, jacobian, x = problem(args.n, args.m)
    exact = jacobian(x)
    report = check_jacobian(f, x, exact)
    start = time.perf_counter()
    check_jacobian(f, x, exact)
    ours_time = time.perf_counter() - start
    row = report.parameters[0]

    import numdifftools as nd

    calls = 0

    def counted(v):
        nonlocal calls
        calls += 1
        return f(v)

    start = time.perf_counter()
    estimate = nd.Jacobian(counted)(x)
    nd_time = time.perf_counter() - start
    nd_error = float(np.max(np.abs(estimate - exact)))
    print()
    print("| method | evaluations of f | time | max abs error vs exact |")
    print("|---|---|---|---|")
    print(
        f"| gradient_check central, auto step (whole check) | {report.total_evaluations:,} "
        f"| {ours_time:.2f} s | {row.max_abs_error:.1e} |"
    )
    print(f"| numdifftools.Jacobian (defaults) | {calls:,} | {nd_time:.2f} s | {nd_error:.1e} |")


if __name__ == "__main__":
    main()
