"""Timing shared by the overhead benchmarks: a check against the bare cost of f, two ways.

The machine is shared and noisy. The bare cost is the fastest of several timed batches,
measured between the checks; and f also times itself inside each check, so the check's
own work can be read against f's time in the very same seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def per_evaluation(f: Callable[[Any], Any], argument: Any, samples: int, batch: int) -> float:
    """The bare cost of one evaluation: the fastest of ``samples`` timed batches."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(batch):
            f(argument)
        times.append((time.perf_counter() - start) / batch)
    return min(times)


def time_checks(
    check: Callable[[Callable], Any],
    f: Callable[[Any], Any],
    argument: Any,
    count: int,
    repeats: int,
    samples: int,
    batch: int,
):
    """Run ``check(timed_f)`` ``repeats`` times between bare batches.

    Returns the last report, the check times, each check's time over (f's time inside it,
    scaled to ``count`` evaluations), and the fastest bare evaluation.
    """
    inside = 0.0

    def timed(x: Any) -> Any:
        nonlocal inside
        start = time.perf_counter()
        y = f(x)
        inside += time.perf_counter() - start
        return y

    bare, checks, ratios = [per_evaluation(f, argument, samples, batch)], [], []
    for _ in range(repeats):
        inside = 0.0
        start = time.perf_counter()
        report = check(timed)
        checks.append(time.perf_counter() - start)
        ratios.append(checks[-1] / (inside * count / report.total_evaluations))
        bare.append(per_evaluation(f, argument, samples, batch))
    return report, checks, ratios, min(bare)
