"""``gradient-check mutate --verbose``: the mutants the check did not judge, and why.

A crashed mutant raised, or gave a gradient the check refuses (wrong shape, not finite); an
equivalent one changed no gradient element. Neither counts in the score, so the verbose
listing shows what was left out: a line whose mutants all crash or change nothing is a line
the mutation test says nothing about.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..mutation.report import MutantOutcome, MutationReport
from ..render.console import print_whole

UNJUDGED = (MutantOutcome.CRASHED, MutantOutcome.EQUIVALENT)


def unjudged_table(reports: list[MutationReport]) -> Table | None:
    """A table of the crashed and equivalent mutants (None when there are none)."""
    table = Table(
        title="mutants not judged: crashed or equivalent",
        show_edge=False,
        header_style="bold",
        show_lines=True,
    )
    for header in ("target", "outcome", "line", "change", "why"):
        table.add_column(header, no_wrap=header in ("outcome", "line"))
    rows = 0
    for report in reports:
        for result in report.results:
            if result.outcome not in UNJUDGED:
                continue
            mutant = result.mutant
            table.add_row(
                f"{report.subject} {report.target}".strip(),
                result.outcome.value,
                str(mutant.lineno),
                f"- {mutant.original_line}\n+ {mutant.mutated_line}",
                result.detail or "the gradient is unchanged",
            )
            rows += 1
    return table if rows else None


def print_unjudged(console: Console, reports: list[MutationReport]) -> None:
    """Print the crashed and equivalent mutants, each with its change and the reason."""
    table = unjudged_table(reports)
    if table is None:
        console.print("No mutant crashed or was equivalent.")
        return
    print_whole(console, table)
