"""An agreement too coarse to decide is measured again at shorter steps.

log or sqrt 1e-8 from its singularity, stepped at 0.9e-8: the first pairs of steps agree
(Richardson) with an error of a few per cent, which could hide a 1e-2 fault and leaves the
block "cannot tell"; steps 4 times shorter bring the error down by (h/d)^2 each.
"""

from __future__ import annotations

import numpy as np
import pytest
from ladder_harness import judge

from gradient_check.core.judge import OK, WRONG

DISTANCE = 1e-8  # theta's distance from the singularity at 0
STEP = 0.9e-8  # a first step nearly as long: truncation of several per cent
DECIDABLE = 1e-2  # a block whose margin x error could hide this relative difference cannot tell
MARGIN = 4.0

CASES = {
    "log": (lambda t: float(-np.log(t[0])), -1 / DISTANCE),
    "sqrt": (lambda t: float(np.sqrt(t[0])), 0.5 / np.sqrt(DISTANCE)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_coarse_agreement_near_a_singularity_is_refined_until_it_decides(name):
    f, derivative = CASES[name]
    judged = judge(f, [DISTANCE], [derivative], h=STEP)
    assert judged.status(0) == OK
    error = float(judged.refinement.error[0, 0])
    assert MARGIN * error <= DECIDABLE * abs(derivative)
    assert judged.refined_evaluations <= 2 * 8  # a bounded ladder


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("factor", [2.0, 1.1, 0.9])
def test_faults_near_a_singularity_are_still_confirmed(name, factor):
    f, derivative = CASES[name]
    judged = judge(f, [DISTANCE], [factor * derivative], h=STEP)
    assert judged.status(0) == WRONG
