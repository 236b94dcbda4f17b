"""Run a mutation test: hand each mutant of a function to a judge and collect the outcomes.

The judge is the caller's (typically: install the mutant, run the gradient checker, report
whether it caught the change); `judge.mutation_test` makes the gradient checker the judge.
This module knows nothing of the checker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .errors import MutationError
from .mutants import MUTANT_FILENAME_PREFIX, Mutant, generate_mutants
from .report import MutantOutcome, MutantResult, MutationReport
from .source import plain_function

Verdict = MutantOutcome | tuple[MutantOutcome, str]
"""What a judge returns: an outcome, or an outcome and the reason for it."""


def run_mutation_test(
    fn: Callable[..., Any],
    judge: Callable[[Callable[..., Any]], Verdict],
    *,
    families: Iterable[str] | str | None = None,
    max_mutants: int | None = None,
) -> MutationReport:
    """Judge every mutant of `fn` and report which ones the check caught and which survived.

    `judge(mutant_fn)` returns a `MutantOutcome` (or a `(MutantOutcome, detail)` pair); an
    `Exception` it lets through is recorded as CRASHED, while `KeyboardInterrupt` and other
    `BaseException`s propagate. `max_mutants` keeps at most that many mutants, taken
    round-robin across families so each family is represented.
    """
    if max_mutants is not None and (
        isinstance(max_mutants, bool) or not isinstance(max_mutants, int) or max_mutants < 0
    ):
        raise MutationError(
            f"max_mutants must be a non-negative int or None, got {max_mutants!r}; "
            "pass e.g. max_mutants=50 to bound the run time"
        )
    mutants = generate_mutants(fn, families=families)
    if max_mutants is not None:
        mutants = _round_robin(mutants, max_mutants)
    report = MutationReport(target=plain_function(fn).__qualname__)
    for mutant in mutants:
        try:
            verdict = judge(mutant.make_function())
        except Exception as error:
            report.results.append(MutantResult(mutant, MutantOutcome.CRASHED, _crash_detail(error)))
            continue
        outcome, detail = _unpack_verdict(verdict)
        report.results.append(MutantResult(mutant, outcome, detail))
    return report


def _round_robin(mutants: list[Mutant], limit: int) -> list[Mutant]:
    by_family: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_family.setdefault(mutant.family, []).append(mutant)
    chosen: set[int] = set()
    queues = [iter(group) for group in by_family.values()]
    while queues and len(chosen) < limit:
        for queue in list(queues):
            mutant = next(queue, None)
            if mutant is None:
                queues.remove(queue)
            elif len(chosen) < limit:
                chosen.add(id(mutant))
    return [m for m in mutants if id(m) in chosen]


def _crash_detail(error: Exception) -> str:
    """Describe an exception as `Type: message`, and the mutant's line if raised in the mutant."""
    detail = f"{type(error).__name__}: {str(error).strip()}"
    traceback = error.__traceback__
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename.startswith(MUTANT_FILENAME_PREFIX):
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return detail if line is None else f"{detail} (raised at line {line})"


def _unpack_verdict(verdict: Verdict) -> tuple[MutantOutcome, str]:
    if isinstance(verdict, MutantOutcome):
        return verdict, ""
    if (
        isinstance(verdict, tuple)
        and len(verdict) == 2
        and isinstance(verdict[0], MutantOutcome)
        and isinstance(verdict[1], str)
    ):
        return verdict
    raise TypeError(
        f"judge must return a MutantOutcome or an (MutantOutcome, detail) pair, got {verdict!r}; "
        "return e.g. MutantOutcome.CAUGHT when the check reports the mutant's gradient as wrong"
    )
