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
# What the check holds, as multiples of theta's bytes: theta, the analytic gradient, the
# first pass's primary difference and gap, and two boolean arrays (about 4.3; each
# coordinate's scale, nominal and realised step are computed from theta where read, by
# core/steptable.py, and the noise table and the report are built in pieces). Measured at
# n = 1e6: peak 5.7. At this n the cache-sized chunks are a sixth of theta each and a few
# of them are alive at once, so the peak measured here is 7.25.
PEAK_BOUND = 7.75


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
