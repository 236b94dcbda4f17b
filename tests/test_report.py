"""The outcome, what `ok` means, and the report's queries: plain data, judged by its
evidence and problems alone; the headline and the band's reading never contradict it."""

import dataclasses
import itertools

import numpy as np
import pytest

from gradient_check import (
    Evidence,
    Outcome,
    Report,
    Row,
    Verdict,
    assert_gradients_close,
    check,
)


def _row(name: str, evidence: Evidence, verdict: Verdict = Verdict.CORRECT, **counts) -> Row:
    return Row(
        name=name,
        output=None,
        shape=(2,),
        diff=0.0,
        verdict=verdict,
        evidence=evidence,
        max_abs_error=0.0,
        max_rel_error=0.0,
        worst_index=f"{name}[0]",
        worst_analytic=1.0,
        worst_numeric=1.0,
        error_bound=0.0,
        step_min=1e-6,
        step_max=1e-6,
        **counts,
    )


def _report(*rows: Row, problems: tuple[str, ...] = (), verdict=Verdict.CORRECT) -> Report:
    evidence = min(
        (r.evidence for r in rows),
        key=[Evidence.WRONG, Evidence.CANNOT_TELL, Evidence.CONSISTENT].index,
    )
    return Report(
        kind="gradient",
        diff=0.0,
        verdict=verdict,
        evidence=evidence,
        parameters=rows,
        scheme="central",
        step="automatic",
        evaluations={"centre": 1},
        problems=problems,
    )


def test_ok_follows_the_evidence_not_the_band():
    consistent = _row("W", Evidence.CONSISTENT)
    assert _report(consistent, verdict=Verdict.WRONG).ok  # a band alone never fails a check
    assert not _report(consistent, _row("B", Evidence.WRONG)).ok
    assert not _report(consistent, _row("B", Evidence.CANNOT_TELL)).ok  # undecided is not a pass


def test_a_structural_problem_fails_an_otherwise_consistent_check():
    report = _report(_row("W", Evidence.CONSISTENT), problems=("`vjp` is not linear",))
    assert not report.ok


def test_wrong_names_only_the_confirmed_blocks():
    report = _report(
        _row("W1", Evidence.CONSISTENT),
        _row("B1", Evidence.WRONG),
        _row("W2", Evidence.CANNOT_TELL),
    )
    assert report.wrong == ["B1"]
    assert report.row("W2").evidence is Evidence.CANNOT_TELL
    with pytest.raises(KeyError):
        report.row("missing")


def test_report_is_immutable_plain_data():
    report = _report(_row("W", Evidence.CONSISTENT))
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.diff = 1.0  # type: ignore[misc]
    assert "Evidence" not in repr(report) and "W" not in report.wrong


def test_ok_of_a_real_check_agrees_with_its_rows():
    x = np.array([1.0, -2.0, 3.0])
    good = check(lambda v: float(v @ v), x, 2 * x)
    bad = check(lambda v: float(v @ v), x, 2 * x + np.array([0.0, 0.0, 1.0]))
    assert good.ok and all(r.evidence is Evidence.CONSISTENT for r in good.parameters)
    assert not bad.ok and bad.wrong == ["params"]
    assert bad.row("params").worst_index == "params[2]"


@pytest.mark.parametrize(
    ("evidence", "problems", "outcome"),
    [
        (Evidence.CONSISTENT, (), Outcome.PASS),
        (Evidence.WRONG, (), Outcome.WRONG),
        (Evidence.CANNOT_TELL, (), Outcome.CANNOT_TELL),
        (Evidence.CONSISTENT, ("`vjp` is not linear",), Outcome.STRUCTURAL),
        (Evidence.WRONG, ("`vjp` is not linear",), Outcome.STRUCTURAL),
        (Evidence.CANNOT_TELL, ("`grads` is nondeterministic",), Outcome.STRUCTURAL),
    ],
)
def test_one_outcome_from_evidence_and_problems(evidence, problems, outcome):
    report = _report(_row("W", evidence), problems=problems)
    assert report.outcome is outcome
    assert report.ok is (outcome is Outcome.PASS)
    assert report.headline.startswith(outcome.value)
    assert f"outcome={outcome.value!r}" in repr(report)


def test_ok_is_the_outcome_pass_under_every_band():
    for evidence, verdict, problems in itertools.product(
        Evidence, Verdict, ((), ("`jvp` is not linear",))
    ):
        report = _report(_row("W", evidence), problems=problems, verdict=verdict)
        assert report.ok is (report.outcome is Outcome.PASS)
        for words in (v.words for v in Verdict):  # the texts' advice is never a headline
            assert words not in report.headline


def test_headlines_say_why():
    wrong = _report(
        _row("W1", Evidence.WRONG, wrong_count=3),
        _row("B1", Evidence.WRONG, wrong_count=1),
        _row("W2", Evidence.CONSISTENT),
    )
    assert wrong.headline == "fail: confirmed wrong in W1 (3 elements), B1 (1 element)"
    structural = _report(_row("W", Evidence.CONSISTENT), problems=("`vjp` is not linear", "x"))
    assert structural.headline == "fail: structural problem — `vjp` is not linear (and 1 more)"
    smaller = "truncation error dominates: use a smaller step h"
    undecided = _report(
        dataclasses.replace(_row("W1", Evidence.CANNOT_TELL), advice=smaller, error_bound=0.5),
        dataclasses.replace(_row("B1", Evidence.CANNOT_TELL), advice=smaller, error_bound=0.02),
        dataclasses.replace(_row("W2", Evidence.CANNOT_TELL), advice="compute it in float64"),
    )
    assert undecided.headline == (
        "cannot tell — W1, B1: the finite difference's estimated error is 5.0e-01 of the "
        f"gradient; {smaller}; W2: the finite difference's estimated error is 0.0e+00 of the "
        "gradient; compute it in float64"
    )
    kinks = _report(_row("W", Evidence.CONSISTENT, kink_count=4))
    assert kinks.headline.endswith("; 4 elements at kinks take valid subgradients")


def test_the_band_is_read_beside_the_outcome_never_against_it():
    kinks = _report(_row("W", Evidence.CONSISTENT, kink_count=4), verdict=Verdict.WRONG)
    assert kinks.band_reading.startswith("all of it from kinks (4 elements)")
    within = _report(_row("W", Evidence.CONSISTENT), verdict=Verdict.SUSPICIOUS)
    assert within.band_reading.startswith("within the finite difference's own estimated error")
    undecided = _report(_row("W", Evidence.CANNOT_TELL), verdict=Verdict.CORRECT)
    assert undecided.band_reading.startswith("not to be trusted")
    hidden = _report(_row("W", Evidence.WRONG, wrong_count=3), verdict=Verdict.NON_SMOOTH_ONLY)
    assert hidden.band_reading == (
        "yet 3 elements are wrong beyond the estimated error: a small part of a large vector"
    )
    structural = _report(_row("W", Evidence.CONSISTENT), problems=("`vjp` is not linear",))
    assert structural.band_reading.startswith("the values agree, but")
    # where band and outcome agree there is nothing to reconcile
    assert _report(_row("W", Evidence.CONSISTENT)).band_reading == ""
    assert _report(_row("W", Evidence.WRONG), verdict=Verdict.WRONG).band_reading == ""


def test_a_stationary_report_says_so():
    rows = [dataclasses.replace(_row(n, Evidence.CONSISTENT), absolute=True) for n in "WB"]
    report = _report(*rows, verdict=Verdict.WRONG)
    assert report.stationary
    assert report.headline.startswith("pass — at a stationary point, every element agrees")
    assert report.band_reading.startswith("meaningless at a stationary point")
    assert not _report(rows[0], _row("V", Evidence.CONSISTENT)).stationary


def _square(v: np.ndarray) -> float:
    return float(v @ v)


def test_the_assertion_message_states_the_outcome():
    x = np.array([1.0, -2.0, 3.0])
    with pytest.raises(AssertionError) as wrong:
        assert_gradients_close(_square, x, 2 * x + np.array([0.0, 0.0, 1.0]))
    first = str(wrong.value).splitlines()[0]
    assert first == "gradient check failed: confirmed wrong in params (1 element)"
    assert "within estimated error" not in first

    def float16_square(v: np.ndarray) -> float:
        w = np.asarray(v, dtype=np.float16)
        return float(w @ w)

    with pytest.raises(AssertionError) as undecided:
        assert_gradients_close(float16_square, x.astype(np.float16), 2 * x, h=2.0**-18)
    first = str(undecided.value).splitlines()[0]
    assert first.startswith("gradient check: cannot tell — params: ")
    assert first.endswith("evaluate the function in float64")  # what would decide it
    assert_gradients_close(_square, x, 2 * x)  # a pass raises nothing
