"""run_mutation_test: every mutant to the judge, outcomes counted and scored."""

import json

import numpy as np
import pytest
from mutation_samples import (
    linear_sigmoid_backward,
    linear_sigmoid_inputs,
    output_judge,
    square_backward,
)

from gradient_check.mutation.errors import MutationError
from gradient_check.mutation.mutants import generate_mutants
from gradient_check.mutation.operators import FAMILIES
from gradient_check.mutation.report import MutantOutcome, MutantResult
from gradient_check.mutation.run import run_mutation_test


def test_max_mutants_takes_every_family_in_turn():
    report = run_mutation_test(
        linear_sigmoid_backward, lambda fn: MutantOutcome.CAUGHT, max_mutants=len(FAMILIES)
    )
    assert {r.mutant.family for r in report.results} == set(FAMILIES)


def test_run_mutation_test_counts_outcomes_and_scores_the_check():
    args = linear_sigmoid_inputs()
    code = linear_sigmoid_backward.__code__
    expected = linear_sigmoid_backward(*args)
    namespace = linear_sigmoid_backward.__globals__
    module_namespace = {name: id(value) for name, value in namespace.items()}

    report = run_mutation_test(linear_sigmoid_backward, output_judge(linear_sigmoid_backward, args))

    counts = report.counts
    assert (
        sum(counts.values())
        == len(report.results)
        == len(generate_mutants(linear_sigmoid_backward))
    )
    assert counts[MutantOutcome.CAUGHT] > 0 and counts[MutantOutcome.CRASHED] > 0
    assert counts[MutantOutcome.SURVIVED] == 0 and report.survivors == []
    assert report.score == 1.0
    crash = next(r for r in report.results if r.mutant.mutated_line == "Z = W @ X + b")
    assert crash.outcome is MutantOutcome.CRASHED
    assert crash.detail.startswith("ValueError: ")
    assert crash.detail.endswith(f"(raised at line {crash.mutant.lineno})")

    assert linear_sigmoid_backward.__code__ is code
    assert {name: id(value) for name, value in namespace.items()} == module_namespace
    for got, want in zip(linear_sigmoid_backward(*args), expected):
        np.testing.assert_array_equal(got, want)


def test_a_check_blind_to_db_lets_db_mutants_survive():
    judge = output_judge(linear_sigmoid_backward, linear_sigmoid_inputs(), checked=[0])
    report = run_mutation_test(linear_sigmoid_backward, judge)
    counts = report.counts
    assert counts[MutantOutcome.SURVIVED] > 0
    assert all("db" in r.mutant.mutated_line for r in report.survivors)
    caught, survived = counts[MutantOutcome.CAUGHT], counts[MutantOutcome.SURVIVED]
    assert report.score == pytest.approx(caught / (caught + survived))
    assert 0 < report.score < 1


def test_judge_detail_and_score_without_decided_mutants():
    report = run_mutation_test(
        square_backward, lambda fn: (MutantOutcome.EQUIVALENT, "same outputs")
    )
    assert report.score is None
    assert {r.detail for r in report.results} == {"same outputs"}
    assert isinstance(report.results[0], MutantResult)


def test_keyboard_interrupt_from_the_judge_propagates():
    def judge(mutant_fn):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_mutation_test(square_backward, judge)


def test_judge_returning_something_else_than_an_outcome_is_an_error():
    with pytest.raises(TypeError, match="judge must return a MutantOutcome"):
        run_mutation_test(square_backward, lambda fn: True)


def test_bad_max_mutants_is_refused():
    with pytest.raises(MutationError, match="max_mutants must be a non-negative int"):
        run_mutation_test(square_backward, lambda fn: MutantOutcome.CAUGHT, max_mutants=-1)


def test_a_mutation_report_as_json_names_each_survivor():
    judge = output_judge(linear_sigmoid_backward, linear_sigmoid_inputs(), checked=[0])
    report = run_mutation_test(linear_sigmoid_backward, judge)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["schema"] == "gradient-check/mutation/1"
    assert data["counts"]["survived"] == len(report.survivors) > 0
    assert sum(data["counts"].values()) == len(data["mutants"]) == len(report.results)
    survived = [m for m in data["mutants"] if m["outcome"] == "survived"]
    assert [m["mutated"] for m in survived] == [r.mutant.mutated_line for r in report.survivors]
    assert data["score"] == pytest.approx(report.score)
