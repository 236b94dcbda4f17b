"""A check's extra memory is linear in n with a small constant (issue 17).

Measured with tracemalloc on a loss whose own temporaries are tiny (a quadratic in a few
elements), so what is traced is the check's. The multiple of theta is the growth of the
peak between two sizes, (peak(2N) - peak(N)) / N coordinates, in float64s: the constant
part (cache-sized chunks, a few megabytes) cancels, and what is left is the number of
arrays of length n the check holds at once.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np

from gradient_check import Outcome, check

SIZES = (40_000, 80_000)  # both above the first pass's chunk of 32,768 coordinates
HEAD = 16


def quadratic(n: int, tensors: int = 1, wrong: str = ""):
    """loss(params), params, grads: a quadratic in the first HEAD elements of n parameters
    in one array or two (``tensors``); ``wrong``: "one" element or "every" element."""
    rng = np.random.default_rng(0)
    theta, c = rng.standard_normal(n), rng.standard_normal(HEAD)
    grad = np.zeros(n)
    grad[:HEAD] = theta[:HEAD] + c
    if wrong == "one":
        grad[n // 3] = 0.1
    elif wrong == "every":
        grad[HEAD:] = 0.5

    def loss(p):
        head = (p if tensors == 1 else p["a"])[:HEAD]
        return 0.5 * float(head @ head) + float(c @ head)

    if tensors == 1:
        return loss, theta, grad
    cut = n - 1000
    return loss, {"a": theta[:cut], "b": theta[cut:]}, {"a": grad[:cut], "b": grad[cut:]}


def measured(
    make: Callable[[int], tuple], sizes: tuple[int, int] = SIZES, **options
) -> tuple[float, float, Outcome]:
    """(growth of the peak, in float64s per coordinate; memory still held when the larger
    check returned, x theta, garbage collection off; its outcome)."""
    peaks, held, outcome = [], 0.0, None
    check(*make(2000), **options)  # what a first check imports is not its memory
    for n in sizes:
        loss, params, grads = make(n)
        gc.collect()
        gc.disable()  # what a check leaves in reference cycles stays counted
        tracemalloc.start()
        try:
            report = check(loss, params, grads, **options)
            now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            gc.enable()
        peaks.append(peak)
        held, outcome = now / (8 * n), report.outcome
    growth = (peaks[1] - peaks[0]) / (8 * (sizes[1] - sizes[0]))
    return growth, held, outcome


def test_a_full_check_holds_theta_the_differences_and_their_gaps():
    """theta's copy and the first differences (float64), their gaps (float32: half), a bit
    per element and the few rows lengthened; the gradient, one float64 array, is read in
    place: 2.5 x theta (4.4 with the gradient copied, float64 gaps and masks of bytes; 13.9
    before the step table)."""
    growth, held, outcome = measured(quadratic)
    assert outcome is Outcome.PASS
    assert growth <= 2.6, f"{growth:.2f} x theta"
    assert held <= 0.1, f"{held:.2f} x theta held after the check"  # no cycle keeps theta


def test_a_gradient_of_several_tensors_adds_its_flat_copy():
    growth, held, outcome = measured(lambda n: quadratic(n, tensors=2))
    assert outcome is Outcome.PASS
    assert growth <= 3.6, f"{growth:.2f} x theta"
    assert held <= 0.1, f"{held:.2f} x theta held after the check"


def test_directional_and_locate_checks_do_not_hold_their_directions():
    """theta and the point being evaluated, directions regenerated a piece at a time (7 and
    6 x theta when the directions were stored)."""
    for mode, wrong in (("directional", ""), ("locate", "one")):
        growth, held, outcome = measured(lambda n, w=wrong: quadratic(n, wrong=w), mode=mode)
        assert outcome is (Outcome.WRONG if wrong else Outcome.PASS)
        assert growth <= 2.3, f"{mode}: {growth:.2f} x theta"
        assert held <= 0.1, f"{mode}: {held:.2f} x theta held after the check"


def test_a_gradient_wrong_everywhere_is_refined_a_share_of_rows_at_a_time():
    """Every row in doubt: the refinement's findings (six arrays and a byte per row in doubt)
    on top of the first pass's, the ladder of shorter steps built a share of rows at a time
    (97 x theta when all rows were refined at once)."""
    growth, _, outcome = measured(lambda n: quadratic(n, wrong="every"), (34_000, 51_000))
    assert outcome is Outcome.WRONG
    assert growth <= 9, f"{growth:.2f} x theta"
