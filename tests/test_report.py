"""What `ok` means, and the report's queries: plain data, judged by its evidence alone."""

import dataclasses

import numpy as np
import pytest

from gradient_check import Evidence, Report, Row, Verdict, check


def _row(name: str, evidence: Evidence, verdict: Verdict = Verdict.CORRECT) -> Row:
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
