"""Draw reports with rich: colour where the terminal has it, plain where it has not.

Only the command line imports this module (rich is the ``cli`` extra). The content is the
plain text's (``render.text.sheet_of``); each piece is styled by its tag, that is by what
it means. Only the outcome is coloured green, red or yellow: the texts' band is plain,
since a band read beside the outcome must never look like a verdict of its own.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..report import Outcome, Report
from .text import (
    COST,
    KINK,
    NOISE,
    NOTE,
    PROBLEM,
    WRONG_ELEMENT,
    Sheet,
    Tagged,
    outcome_tag,
    sheet_of,
)

TAG_STYLE = {
    outcome_tag(Outcome.PASS): "green",
    outcome_tag(Outcome.WRONG): "bold red",
    outcome_tag(Outcome.STRUCTURAL): "bold red",
    outcome_tag(Outcome.CANNOT_TELL): "yellow",
    WRONG_ELEMENT: "red",
    KINK: "cyan",
    NOISE: "dim",
    PROBLEM: "bold red",
    NOTE: "dim",
    COST: "dim",
}

# measuring a renderable's full width: wider than any table a report makes
UNBOUNDED = 1 << 20


def styled(piece: Tagged) -> Text:
    """A piece as rich Text in the style of its tag (none for an untagged piece)."""
    return Text(piece.text, style=TAG_STYLE.get(piece.tag, ""))


def sheet_table(sheet: Sheet) -> Table:
    """The sheet's table: numbers right-aligned, only the outcome column wraps."""
    table = Table(show_edge=False, header_style="bold")
    for column in sheet.columns:
        table.add_column(
            column.title,
            justify="right" if column.numeric else "left",
            no_wrap=not column.wraps,
            min_width=column.min_width,
        )
    for row in sheet.rows:
        table.add_row(*(styled(piece) for piece in row))
    return table


def print_whole(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable`` uncut: in a terminal at its width; piped or written to a file
    (no terminal to fit), at the renderable's own full width: rich would otherwise fit it
    to 80 columns and cut numbers to '…'. A table then shows every column and number."""
    if console.is_terminal:
        console.print(renderable)
        return
    unbounded = console.options.update_width(UNBOUNDED)
    needed = Measurement.get(console, unbounded, renderable).maximum
    width = console.width
    console.width = max(width, needed)  # console.print never goes beyond console.width
    try:
        console.print(renderable)
    finally:
        console.width = width


def report_renderable(report: Report) -> Group:
    """The report as a rich table, its element details and its summary lines."""
    sheet = sheet_of(report)
    lines = [styled(line) for line in (*sheet.details, *sheet.summary)]
    return Group(sheet_table(sheet), *lines)


def print_report(console: Console, report: Report) -> None:
    """Print the report on ``console``, in colour where it has colour: the table uncut
    (``print_whole``), its details and summary lines wrapped to the console."""
    table, *lines = report_renderable(report).renderables
    print_whole(console, table)
    for line in lines:
        console.print(line)
