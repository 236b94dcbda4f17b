"""The plain text of a MutationReport: what str(report) and print(report) show."""

import inspect
import subprocess
import sys

from mutation_samples import (
    linear_sigmoid_backward,
    linear_sigmoid_inputs,
    output_judge,
    square_backward,
)

from gradient_check.mutation.report import MutantOutcome, MutationReport
from gradient_check.mutation.run import run_mutation_test
from gradient_check.report import TEXT_FORMS


def judge_by_value(mutant):
    """CAUGHT below 30 at x = 3, SURVIVED (with the value) above."""
    value = mutant(3.0)
    return (MutantOutcome.SURVIVED, f"returned {value}") if value > 30 else MutantOutcome.CAUGHT


def test_the_text_is_a_headline_then_one_diff_per_mutant_survivors_first():
    line = inspect.getsourcelines(square_backward)[1] + 1
    report = run_mutation_test(square_backward, judge_by_value)
    assert str(report) == "\n".join(
        [
            "Mutation test of square_backward: 9 mutants (7 caught, 2 survived, 0 crashed, "
            "0 equivalent); score 0.778 (7/9)",
            "outcome   family           line  change",
            "--------  ---------------  ----  ------",
            f"survived  swap-operator    {line:>4}  - return 2 * x ** 2",
            "                                 + return 2 * x ** 3",
            "                                   returned 54.0",
            f"survived  add-factor       {line:>4}  - return 2 * x ** 2",
            "                                 + return 2 * (2 * x ** 2)",
            "                                   returned 36.0",
            f"caught    swap-operator    {line:>4}  - return 2 * x ** 2",
            "                                 + return 2 / x ** 2",
            f"caught    drop-factor      {line:>4}  - return 2 * x ** 2",
            "                                 + return 2",
            f"caught    drop-factor      {line:>4}  - return 2 * x ** 2",
            "                                 + return x ** 2",
            f"caught    flip-sign        {line:>4}  - return 2 * x ** 2",
            "                                 + return -(2 * x ** 2)",
            f"caught    change-constant  {line:>4}  - return 2 * x ** 2",
            "                                 + return 3 * x ** 2",
            f"caught    change-constant  {line:>4}  - return 2 * x ** 2",
            "                                 + return 1 * x ** 2",
            f"caught    change-constant  {line:>4}  - return 2 * x ** 2",
            "                                 + return 2 * x ** 1",
        ]
    )


def test_survivors_come_first_with_their_diff():
    judge = output_judge(linear_sigmoid_backward, linear_sigmoid_inputs(), checked=[0])
    text = str(run_mutation_test(linear_sigmoid_backward, judge)).splitlines()
    assert text[0].startswith("Mutation test of linear_sigmoid_backward: ")
    assert text[1].split() == ["outcome", "family", "line", "change"]
    assert text[3].startswith("survived")
    assert "  - db" in text[3] or "  - return" in text[3]
    assert text[4].lstrip().startswith("+ ")


def test_without_decided_mutants_the_score_is_not_applicable():
    report = run_mutation_test(
        square_backward, lambda fn: (MutantOutcome.EQUIVALENT, "same outputs")
    )
    assert "score n/a" in str(report)
    assert str(MutationReport("nothing")) == (
        "Mutation test of nothing: 0 mutants (0 caught, 0 survived, 0 crashed, 0 equivalent); "
        "score n/a"
    )


def test_the_text_form_is_registered_whenever_the_mutation_package_loads():
    assert MutationReport in TEXT_FORMS
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gradient_check as gc\nprint(gc.MutationReport('nothing'))\n",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Mutation test of nothing: 0 mutants")
