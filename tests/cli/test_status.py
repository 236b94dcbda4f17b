"""The command line's exit status says the check's outcome: 0 pass, 1 fail, 3 cannot tell."""

import numpy as np
import pytest

import gradient_check
from gradient_check import Outcome, check
from gradient_check.cli.status import CANNOT_TELL, FAILED, NOT_CHECKED, PASSED, exit_status


def test_every_outcome_has_its_own_status_and_2_is_left_for_could_not_be_checked():
    assert (PASSED, FAILED, NOT_CHECKED, CANNOT_TELL) == (0, 1, 2, 3)


def _loss(v: np.ndarray) -> float:
    return float(v @ v)


def _float16_loss(v: np.ndarray) -> float:
    w = np.asarray(v, dtype=np.float16)
    return float(w @ w)


X = np.array([1.0, -2.0, 3.0])


@pytest.mark.parametrize(
    ("loss", "params", "grads", "options", "outcome", "status"),
    [
        (_loss, X, 2 * X, {}, Outcome.PASS, 0),
        (_loss, X, 3 * X, {}, Outcome.WRONG, 1),
        (_float16_loss, X.astype(np.float16), 2 * X, {"h": 2.0**-18}, Outcome.CANNOT_TELL, 3),
    ],
)
def test_exit_status_of_real_checks(loss, params, grads, options, outcome, status):
    report = check(loss, params, grads, **options)
    assert report.outcome is outcome
    assert exit_status(report) == status


def test_a_structural_problem_fails():
    def grads(v: np.ndarray) -> np.ndarray:  # a derivative that changes between calls
        grads.calls += 1
        return 2 * v + 1e-3 * grads.calls

    grads.calls = 0
    report = check(_loss, X, grads)
    assert report.outcome is Outcome.STRUCTURAL and exit_status(report) == FAILED


def test_the_check_outcome_and_the_mutant_outcome_are_two_names():
    from gradient_check.mutation.report import MutantOutcome
    from gradient_check.mutation.report import Outcome as OldName

    assert gradient_check.Outcome is Outcome and Outcome.PASS.value == "pass"
    assert gradient_check.MutantOutcome is MutantOutcome is OldName
    assert {"Outcome", "MutantOutcome"} <= set(gradient_check.__all__)
