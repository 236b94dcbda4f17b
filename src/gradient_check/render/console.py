"""Draw reports with rich: colour where the terminal has it, plain where it has not.

Only the command line imports this module (rich is the ``cli`` extra). The content is the
plain text's (``render.text.sheet_of``); each piece is styled by its tag, that is by what
it means. Only the outcome is coloured green, red or yellow: the texts' band is plain,
since a band read beside the outcome must never look like a verdict of its own.

A table is never cut: rich left alone fits a wide table to the console by cutting numbers
to '…' and dropping whole columns. ``print_whole`` picks one of three layouts instead:

- the table at its own full width, when nobody set a width: piped or written to a file,
  rich's 80 columns are only its default, and a log keeps one row per line;
- the table, when it fits the width that was set (its wrapping columns wrapped at their
  words, every other column whole);
- one block per row (``stacked``: each column's title and the row's value), when a width
  was set, by the terminal, ``Console(width=...)``, ``--width`` or ``COLUMNS``, and the
  table does not fit in it.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segments
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
BLOCK_GAP = 3  # spaces between one title: value pair and the next, in a block
BLOCK_INDENT = 2  # a block's continued lines


def styled(piece: Tagged) -> Text:
    """A piece as rich Text in the style of its tag (none for an untagged piece)."""
    return Text(piece.text, style=TAG_STYLE.get(piece.tag, ""))


def sheet_table(sheet: Sheet) -> Table:
    """The sheet's table: numbers right-aligned, only the outcome and band columns wrap."""
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


def width_is_set(console: Console) -> bool:
    """Whether ``console``'s width is a limit to keep: a terminal's, or one asked for
    (``Console(width=...)``, ``--width``, the ``COLUMNS`` variable). Piped with none of
    them, rich's 80 columns are a default, and a table may be wider."""
    # rich keeps an asked-for width in Console._width, None when it falls back to 80
    return console.is_terminal or getattr(console, "_width", None) is not None


def _span(console: Console, renderable: RenderableType) -> Measurement:
    return Measurement.get(console, console.options.update_width(UNBOUNDED), renderable)


def fitted(console: Console, table: Table, width: int) -> Table | None:
    """``table`` set to draw within ``width`` columns with no cell cut, or None if it
    cannot: columns that may not wrap keep their full width, wrapping ones shrink to
    their longest word (and ``min_width``) and share what width is left. The wrapping
    columns get fixed widths, so rich never shrinks a column of numbers to make room."""
    natural = _span(console, table).maximum
    if natural <= width:
        return table
    wrapping = [c for c in table.columns if not c.no_wrap and c.width is None]
    full, least = {}, {}
    for column in wrapping:
        spans = [_span(console, cell) for cell in (column.header, *column.cells)]
        full[id(column)] = max(s.maximum for s in spans)
        least[id(column)] = max(max(s.minimum for s in spans), column.min_width or 0)
    spare = width - (natural - sum(full[k] - least[k] for k in full))
    if spare < 0:
        return None
    # the spare width goes to the column needing least to be whole first: fewer wrap
    for column in sorted(wrapping, key=lambda c: full[id(c)] - least[id(c)]):
        given = min(full[id(column)] - least[id(column)], spare)
        column.width = least[id(column)] + given
        spare -= given
    return table


def cell_text(cell: RenderableType) -> Text:
    """A table cell as Text (a cell is Text, or a str taken as it is, markup and all)."""
    return cell.copy() if isinstance(cell, Text) else Text(str(cell))


def titled(title: str, cell: RenderableType) -> Text:
    """``title: value``; a value of several lines goes under its title, indented past it
    (the title itself sits on a block's continued, indented, line)."""
    value = cell_text(cell)
    if "\n" not in value.plain:
        return Text.assemble((f"{title}:", "bold"), " ", value)
    indent = " " * (2 * BLOCK_INDENT)
    lines = [Text(indent).append_text(line) for line in value.split("\n")]
    return Text("\n").join([Text(f"{title}:", style="bold"), *lines])


def stacked(table: Table, width: int) -> Group:
    """One block per row of ``table``, each cell as ``title: value``: the pairs follow one
    another on a line while they fit in ``width``, then go on to the next, indented; a
    value of several lines has lines of its own. Blocks end with a blank line. Nothing is
    cut: a pair wider than a whole line wraps at its words."""
    titles = [str(column.header) for column in table.columns]
    rows = zip(*(list(column.cells) for column in table.columns))
    lines: list[Text] = [Text(str(table.title), style="italic")] if table.title else []
    for cells in rows:
        line = Text()
        for title, cell in zip(titles, cells):
            pair = titled(title, cell)
            gap = " " * BLOCK_GAP if line.plain.strip() else ""
            several = "\n" in pair.plain or "\n" in line.plain
            if line.plain.strip() and (several or len(line) + len(gap) + len(pair) > width):
                lines.append(line)
                line, gap = Text(" " * BLOCK_INDENT), ""
            line.append(gap).append_text(pair)
        lines += [line, Text()]
    return Group(*lines)


def print_wide(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable`` at its own full width, beyond the console's (its lines are
    drawn at that width, then printed uncropped; the console's width is untouched)."""
    width = _span(console, renderable).maximum
    options = console.options.update_width(width)
    for line in console.render_lines(renderable, options, pad=False, new_lines=True):
        console.print(Segments(line), crop=False, no_wrap=True, overflow="ignore", end="")


def print_whole(console: Console, table: Table) -> None:
    """Print ``table`` uncut: at its full width where no width was set (piped), else
    fitted to the width, or one block per row where it cannot fit (module docstring)."""
    if not width_is_set(console):
        print_wide(console, table)
        return
    fits = fitted(console, table, console.width)
    console.print(stacked(table, console.width) if fits is None else fits)


def report_renderable(report: Report) -> Group:
    """The report as a rich table, its element details and its summary lines."""
    sheet = sheet_of(report)
    lines = [styled(line) for line in (*sheet.details, *sheet.summary)]
    return Group(sheet_table(sheet), *lines)


def print_report(console: Console, report: Report) -> None:
    """Print the report on ``console``, in colour where it has colour: the table uncut
    (``print_whole``), its details and summary lines wrapped at words to the console (an
    indented line's continuations keep its indent)."""
    table, *lines = report_renderable(report).renderables
    print_whole(console, table)
    for line in lines:
        indent = len(line.plain) - len(line.plain.lstrip(" "))
        console.print(Padding(line[indent:], (0, 0, 0, indent), expand=False) if indent else line)
