"""The plain-text form of a `MutationReport`: what `str(report)` and `print(report)` show.

A headline with the counts and the score, then one row per mutant, survivors first: outcome,
family and line, the original line and the mutated one as a diff, and the judge's detail.
"""

from __future__ import annotations

from ..report import text_form
from .report import MutantOutcome, MutationReport

_HEADER = ("outcome", "family", "line")


@text_form(MutationReport)
def mutation_report_text(report: MutationReport) -> str:
    """The report as a headline and a table of its mutants, the survivors first."""
    counts = report.counts
    tally = ", ".join(f"{counts[o]} {o.value}" for o in MutantOutcome)
    caught, survived = counts[MutantOutcome.CAUGHT], counts[MutantOutcome.SURVIVED]
    score = report.score
    score_text = "n/a" if score is None else f"{score:.3f} ({caught}/{caught + survived})"
    headline = (
        f"Mutation test of {report.target}: {len(report.results)} mutants ({tally}); "
        f"score {score_text}"
    )
    if not report.results:
        return headline
    ordered = sorted(report.results, key=lambda r: r.outcome is not MutantOutcome.SURVIVED)
    rows = [(r.outcome.value, r.mutant.family, str(r.mutant.lineno)) for r in ordered]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(_HEADER)]
    indent = " " * (sum(widths) + 2 * len(widths))

    def row(cells: tuple[str, ...], change: str) -> str:
        outcome, family, line = cells
        return (
            f"{outcome:<{widths[0]}}  {family:<{widths[1]}}  {line:>{widths[2]}}  {change}"
        ).rstrip()

    lines = [headline, row(_HEADER, "change"), row(tuple("-" * w for w in widths), "------")]
    for result, cells in zip(ordered, rows):
        lines.append(row(cells, f"- {result.mutant.original_line}"))
        lines.append(f"{indent}+ {result.mutant.mutated_line}")
        if result.detail:
            lines.append(f"{indent}  {result.detail}")
    return "\n".join(lines)
