"""Draw reports with rich: colour where the terminal has it, plain where it has not.

Only the command line imports this module (rich is the ``cli`` extra). The table's content
comes from ``render.report_cells``, the same as ``print(report)``.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..core.bands import Verdict
from ..report import Evidence, Report
from .text import report_cells, report_headers, row_details, summary_lines

VERDICT_STYLE = {
    Verdict.CORRECT: "green",
    Verdict.NON_SMOOTH_ONLY: "yellow",
    Verdict.SUSPICIOUS: "yellow",
    Verdict.WRONG: "bold red",
}
EVIDENCE_STYLE = {
    Evidence.CONSISTENT: "green",
    Evidence.CANNOT_TELL: "yellow",
    Evidence.WRONG: "bold red",
}


def report_renderable(report: Report) -> Group:
    """The report as a rich table, its element details and its summary lines."""
    table = Table(show_edge=False, header_style="bold")
    headers = report_headers(report)
    for header in headers:
        justify = "right" if header in ("rel. diff", "analytic", "numeric") else "left"
        table.add_column(header, justify=justify, no_wrap=header != "evidence")
    for row, cells in zip(report.parameters, report_cells(report), strict=True):
        styled = [Text(c) for c in cells]
        styled[3].stylize(VERDICT_STYLE[row.verdict])
        styled[4].stylize(EVIDENCE_STYLE[row.evidence])
        table.add_row(*styled)
    details = [
        Text(line, style="red" if " wrong" in line else "")
        for row in report.parameters
        for line in row_details(row)
    ]
    summary = summary_lines(report)
    headline = Text(summary[0], style=VERDICT_STYLE[report.verdict])
    evidence = Text(summary[1], style=EVIDENCE_STYLE[report.evidence])
    rest = [Text(line, style="dim") for line in summary[2:]]
    return Group(table, *details, headline, evidence, *rest)


def print_report(console: Console, report: Report) -> None:
    console.print(report_renderable(report))
