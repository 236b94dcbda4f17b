"""Mutation reports printed with rich, for the command line: `gradient-check mutate`.

Only the command line imports this module (rich is the ``cli`` extra); `str(report)` is the
plain text of `mutation.text`.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..render.console import print_whole
from .report import MutantOutcome, MutationReport, overall


def print_mutation_reports(console: Console, reports: list[MutationReport]) -> None:
    """Print per-target counts, the overall score and the survivors with reasons."""
    table = Table(title="mutants of each backward method", show_edge=False, header_style="bold")
    show_subject = any(r.subject for r in reports)
    if show_subject:
        table.add_column("network")
    table.add_column("target")
    for header in ("mutants", *(o.value for o in MutantOutcome), "score"):
        table.add_column(header, justify="right")
    everything = overall(reports)
    for report in [*reports, everything]:
        counts = report.counts
        cells = [str(len(report.results)), *(str(counts[o]) for o in MutantOutcome), _score(report)]
        if report is everything:
            table.add_section()
        table.add_row(*([report.subject] if show_subject else []), report.target, *cells)
    print_whole(console, table)
    counts = everything.counts
    decided = counts[MutantOutcome.CAUGHT] + counts[MutantOutcome.SURVIVED]
    console.print(
        f"The check caught {counts[MutantOutcome.CAUGHT]} of the {decided} mutants that neither "
        f"crash nor are equivalent: score {_score(everything)}; "
        f"{everything.evaluations:,} loss evaluations by the checks."
    )
    _print_survivors(console, reports)


def _print_survivors(console: Console, reports: list[MutationReport]) -> None:
    survivors = [(r, s) for r in reports for s in r.survivors]
    if not survivors:
        console.print("No mutant survived.")
        return
    table = Table(title="survivors", show_edge=False, header_style="bold", show_lines=True)
    for header in ("target", "line", "change", "why it survived"):
        table.add_column(header, overflow="fold")
    for report, result in survivors:
        mutant = result.mutant
        target = f"{report.subject} {report.target}".strip()
        change = f"- {mutant.original_line}\n+ {mutant.mutated_line}"
        table.add_row(target, str(mutant.lineno), change, result.detail)
    print_whole(console, table)


def _score(report: MutationReport) -> str:
    score = report.score
    return "n/a" if score is None else f"{100 * score:.1f}%"
