"""A full gradient check's extra memory is linear in n with a small constant (issue 17).

Measured with tracemalloc on a loss whose own temporaries are tiny (a quadratic in a few
elements), so what is traced is the check's: theta flattened once, the snapshot taken from
it, the perturbed points built a chunk at a time, the judged arrays.
"""

from __future__ import annotations

import tracemalloc

import numpy as np

from gradient_check import Outcome, check

N = 200_000
HEAD = 16
# What the check holds today, as multiples of theta's bytes: theta, each coordinate's scale
# and nominal step, the analytic gradient, and the first pass's primary, gap and realised
# step (about 7.3; eps is per tensor, residuals and relative steps are computed where
# needed); the transient peak (measured 10.9 at this n, where the cache-sized chunks are a
# sixth of theta) sits about 3 above that, in the noise table and the report's residuals.
# The goal of issue 17 is 4; this bound stops it growing back while the judged arrays shrink.
PEAK_BOUND = 11.5


def test_a_full_check_of_200000_parameters_peaks_at_a_small_multiple_of_theta():
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(N)
    c = rng.standard_normal(HEAD)

    def loss(w: np.ndarray) -> float:
        head = w[:HEAD]
        return 0.5 * float(head @ head) + float(c @ head)

    grad = np.zeros(N)
    grad[:HEAD] = theta[:HEAD] + c
    before = theta.copy()
    tracemalloc.start()
    try:
        report = check(loss, theta, grad)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.outcome is Outcome.PASS
    assert report.evaluations["differences"] == 2 * N
    assert np.array_equal(theta, before)
    assert peak <= PEAK_BOUND * theta.nbytes, f"peak {peak / theta.nbytes:.1f} x theta"
