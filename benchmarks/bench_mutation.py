"""Mutation score of the gradient check on the texts' reference networks.

Every backward method the two networks run (each layer class's and the loss's) is mutated,
one AST change at a time, and each mutant is judged by `gradient_check.check` at the
reference data (see `gradient_check.nn.reference.reference_networks`). Prints a markdown table per
target (mutants, caught, survived, crashed, equivalent, score), the survivors with the reason
each survived, the total time and the total number of loss evaluations the checks made.
Target (the mutation-testing issue): the check catches at least 95% of the mutants that
neither crash nor are equivalent; the exit status is 1 when it does not.

    python benchmarks/bench_mutation.py [--family flip-sign ...] [--max-mutants N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

import numpy as np

from gradient_check import nn
from gradient_check.mutation.judge import mutation_test_reference_networks
from gradient_check.mutation.operators import FAMILIES
from gradient_check.mutation.report import MutantOutcome, MutationReport, overall
from gradient_check.nn.reference import ReferenceNetwork

TARGET_SCORE = 0.95


def _relu_margin(reference) -> float | None:
    """The smallest |pre-activation| of any ReLU at the reference batch (None without ReLU)."""
    A, margins = reference.X, []
    for layer in reference.net.layers:
        if isinstance(layer, nn.ReLU):
            margins.append(float(np.min(np.abs(A))))
        A = layer.forward(A)
    return min(margins) if margins else None


def _score(report) -> str:
    return "n/a" if report.score is None else f"{100 * report.score:.1f}%"


def _crash_kind(detail: str) -> str:
    if "not finite" in detail:
        return "non-finite gradient"
    if detail.startswith("InvalidProblemError"):
        return "gradient of the wrong shape"
    return "raised " + detail.split(":")[0]


def _tally(counter: Counter) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in counter.most_common()) or "none"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _mutate_references(families: list[str] | None, max_mutants: int | None) -> list[MutationReport]:
    """Mutation-test both reference networks, naming each with its batch and ReLU margin."""

    def announce(reference: ReferenceNetwork) -> None:
        margin = _relu_margin(reference)
        margin_text = "" if margin is None else f", smallest |ReLU pre-activation| {margin:.3f}"
        print(
            f"- {reference.name}: {reference.net!r}; batch m = {reference.X.shape[0]}{margin_text}"
        )

    return mutation_test_reference_networks(
        families=families, max_mutants=max_mutants, announce=announce
    )


def _print_counts(
    reports: list[MutationReport], everything: MutationReport, seconds: float
) -> None:
    """Counts per target, the score against the target, the cost, and how mutants died."""
    print()
    print("| network | target | mutants | caught | survived | crashed | equivalent | score |")
    print("|---|---|---|---|---|---|---|---|")
    for report in [*reports, everything]:
        counts = report.counts
        network = "**all**" if report is everything else report.subject
        cells = [str(len(report.results)), *(str(counts[o]) for o in MutantOutcome), _score(report)]
        print(f"| {network} | {report.target} | {' | '.join(cells)} |")
    counts = everything.counts
    decided = counts[MutantOutcome.CAUGHT] + counts[MutantOutcome.SURVIVED]
    print()
    print(
        f"Score: {counts[MutantOutcome.CAUGHT]}/{decided} = {_score(everything)} of the mutants "
        f"that neither crash nor are equivalent (target {100 * TARGET_SCORE:.0f}%)."
    )
    print(
        f"Total time {seconds:.1f} s; {everything.evaluations:,} loss evaluations by the "
        f"checks of {decided} mutants."
    )
    caught = Counter(
        "confirmed wrong" if r.detail.startswith("confirmed wrong") else "not passed otherwise"
        for r in everything.results
        if r.outcome is MutantOutcome.CAUGHT
    )
    crashed = Counter(
        _crash_kind(r.detail) for r in everything.results if r.outcome is MutantOutcome.CRASHED
    )
    print(f"Caught: {_tally(caught)}. Crashed: {_tally(crashed)}.")


def _print_equivalents(reports: list[MutationReport]) -> None:
    equivalents = [
        (report, result)
        for report in reports
        for result in report.results
        if result.outcome is MutantOutcome.EQUIVALENT
    ]
    if not equivalents:
        return
    print()
    print("| network | target | line | equivalent mutant | why |")
    print("|---|---|---|---|---|")
    for report, result in equivalents:
        mutant = result.mutant
        print(
            f"| {report.subject} | {report.target} | {mutant.lineno} "
            f"| `{_cell(mutant.mutated_line)}` | {_cell(result.detail)} |"
        )


def _print_survivors(reports: list[MutationReport]) -> None:
    survivors = [(report, result) for report in reports for result in report.survivors]
    print()
    if not survivors:
        print("Survivors: none.")
        return
    print("| network | target | line | original | mutant | why it survived |")
    print("|---|---|---|---|---|---|")
    for report, result in survivors:
        mutant = result.mutant
        print(
            f"| {report.subject} | {report.target} | {mutant.lineno} "
            f"| `{_cell(mutant.original_line)}` | `{_cell(mutant.mutated_line)}` "
            f"| {_cell(result.detail)} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="append", choices=FAMILIES, dest="families")
    parser.add_argument("--max-mutants", type=int, default=None)
    options = parser.parse_args()

    start = time.perf_counter()
    reports = _mutate_references(options.families, options.max_mutants)
    seconds = time.perf_counter() - start
    everything = overall(reports)
    _print_counts(reports, everything, seconds)
    _print_equivalents(reports)
    _print_survivors(reports)
    return 0 if everything.score is None or everything.score >= TARGET_SCORE else 1


if __name__ == "__main__":
    sys.exit(main())
