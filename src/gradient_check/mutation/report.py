"""The outcome of a mutation test, as plain data: renderers read it, tests and users query it.

`str(report)` is the plain-text table of `mutation.text`; `mutation.console` prints reports
with rich. Neither is imported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from ..report import text_of

if TYPE_CHECKING:
    from .mutants import Mutant


class MutantOutcome(Enum):
    """What happened to a mutant: caught or missed by the check, crashed, or changing nothing."""

    CAUGHT = "caught"
    SURVIVED = "survived"
    CRASHED = "crashed"
    EQUIVALENT = "equivalent"


# The name before the check's own ``gradient_check.Outcome`` (pass, fail, cannot tell) took
# it: old imports of ``gradient_check.mutation.report.Outcome`` keep working.
Outcome = MutantOutcome


@dataclass(frozen=True)
class MutantResult:
    """The outcome of one mutant, with the judge's or the exception's explanation."""

    mutant: Mutant
    outcome: MutantOutcome
    detail: str = ""


@dataclass
class MutationReport:
    """The outcomes of all mutants of one function, and the mutation score of the check."""

    target: str
    results: list[MutantResult] = field(default_factory=list)
    subject: str = ""
    """Where the target was tested, e.g. the network's name; empty when it stands alone."""
    evaluations: int = 0
    """Loss evaluations made by the checks of the mutants (the reference check's excluded)."""

    @property
    def counts(self) -> dict[MutantOutcome, int]:
        """Number of mutants per outcome, every outcome present."""
        counts = dict.fromkeys(MutantOutcome, 0)
        for result in self.results:
            counts[result.outcome] += 1
        return counts

    @property
    def score(self) -> float | None:
        """Fraction of the mutants that neither crash nor are equivalent that the check caught."""
        counts = self.counts
        decided = counts[MutantOutcome.CAUGHT] + counts[MutantOutcome.SURVIVED]
        return counts[MutantOutcome.CAUGHT] / decided if decided else None

    @property
    def survivors(self) -> list[MutantResult]:
        """The results of the mutants the check missed."""
        return [r for r in self.results if r.outcome is MutantOutcome.SURVIVED]

    def to_dict(self) -> dict:
        """The report as JSON-ready data (``"schema": "gradient-check/mutation/1"``): the
        target, the counts by outcome, the score, the evaluations, and each mutant's
        family, line, change, outcome and why."""
        return {
            "schema": "gradient-check/mutation/1",
            "target": self.target,
            "subject": self.subject,
            "counts": {outcome.value: n for outcome, n in self.counts.items()},
            "score": self.score,
            "evaluations": self.evaluations,
            "mutants": [
                {
                    "family": r.mutant.family,
                    "description": r.mutant.description,
                    "line": r.mutant.lineno,
                    "original": r.mutant.original_line,
                    "mutated": r.mutant.mutated_line,
                    "outcome": r.outcome.value,
                    "detail": r.detail,
                }
                for r in self.results
            ],
        }

    def __str__(self) -> str:
        return text_of(self)


def overall(reports: Iterable[MutationReport]) -> MutationReport:
    """All reports' results in one report (target "all"), for the overall counts and score."""
    reports = list(reports)
    merged = MutationReport("all", evaluations=sum(r.evaluations for r in reports))
    for report in reports:
        merged.results.extend(report.results)
    return merged
