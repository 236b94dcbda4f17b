"""Lay a report out for reading, and render that layout as plain text.

``sheet_of`` is the one place that decides what a report says: its table, the elements
named under it, and the summary. The outcome is the headline (the summary's first line,
the table's first verdict column); the texts' relative difference and band have a line of
their own, read beside the outcome (``Report.band_reading``). Every piece carries a tag
saying what it means, so the plain-text renderer here joins the pieces and the rich
renderer (``render.console``) styles them by meaning, never by column position or by
searching the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.bands import BAND_EDGES
from ..core.summarise import evaluation_words
from ..report import Element, Outcome, Report, Row, Verdict, text_form

SHOWN_ELEMENTS = 5  # elements listed under a row in text; the report holds up to 50

# The tags a piece can carry, beside "outcome.<outcome>" and "verdict.<band>" (the enum
# member's name in lower case: "outcome.cannot_tell", "verdict.correct").
PLAIN = "plain"
BLOCK = "block"  # a row's (output /) parameter name
NUMBER = "number"
WRONG_ELEMENT = "wrong-element"
KINK = "kink"
NOISE = "noise"  # a failure the refinement did not confirm
PROBLEM = "problem"  # a structural failure: nondeterminism, non-linearity
NOTE = "note"
BAND = "band"  # the texts' relative difference and band, read beside the outcome
COST = "cost"  # the scheme, the step and the evaluations spent


def outcome_tag(outcome: Outcome) -> str:
    """The tag of a piece that states the check's (or a block's) ``outcome``."""
    return f"outcome.{outcome.name.lower()}"


def verdict_tag(verdict: Verdict) -> str:
    """The tag of a piece that states the texts' band ``verdict``."""
    return f"verdict.{verdict.name.lower()}"


@dataclass(frozen=True)
class Tagged:
    """A piece of text (a cell or a line) and what it means."""

    text: str
    tag: str = PLAIN


@dataclass(frozen=True)
class Column:
    """A table column: its title, and how a renderer that can align or wrap should."""

    title: str
    numeric: bool = False  # right-aligned where the renderer aligns
    wraps: bool = False  # may wrap in a narrow console
    # never narrower than this where the renderer can keep it: the outcome must stay read
    min_width: int | None = None


@dataclass(frozen=True)
class Sheet:
    """A report laid out: a title, a table (wrong rows first), details under it, summary."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Tagged, ...], ...]
    details: tuple[Tagged, ...]  # per row: its wrong elements, kinks, unconfirmed
    summary: tuple[Tagged, ...]  # outcome, texts' band, problems, notes, cost


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar" if not shape else "x".join(str(n) for n in shape)


def columns_of(report: Report) -> tuple[Column, ...]:
    """The table's columns; a Jacobian's first one names output and parameter."""
    vector_valued = bool(report.parameters and report.parameters[0].output)
    return (
        Column("output / parameter" if vector_valued else "parameter"),
        Column("shape"),
        Column("outcome", wraps=True, min_width=len(Outcome.CANNOT_TELL.value)),
        Column("rel. diff", numeric=True),
        Column("band (texts)", wraps=True, min_width=len(Verdict.CORRECT.value)),
        Column("worst element"),
        Column("analytic", numeric=True),
        Column("numeric", numeric=True),
    )


def outcome_cell(row: Row) -> str:
    """A block's outcome in a few words: ``fail: 8 confirmed wrong``, ``pass; 1 kink``,
    ``cannot tell``, and ``pass; absolute`` where the derivative is about zero and its band
    is not "correct" (judged absolutely: the band means nothing there)."""
    if row.outcome is Outcome.WRONG:
        return f"fail: {row.wrong_count} confirmed wrong" if row.wrong_count else "fail"
    if row.outcome is Outcome.PASS and row.kink_count:
        return f"pass; {row.kink_count} kink{'' if row.kink_count == 1 else 's'}"
    if row.outcome is Outcome.PASS and row.absolute and row.verdict is not Verdict.CORRECT:
        return "pass; absolute"
    return row.outcome.value


def row_cells(row: Row) -> tuple[Tagged, ...]:
    """One row of the table: the block, its outcome, its diff and band, its worst element."""
    return (
        Tagged(row.block, BLOCK),
        Tagged(_shape(row.shape)),
        Tagged(outcome_cell(row), outcome_tag(row.outcome)),
        Tagged(f"{row.diff:.2e}", NUMBER),
        Tagged(row.verdict.value, verdict_tag(row.verdict)),
        Tagged(row.worst_index),
        Tagged(f"{row.worst_analytic:.6g}", NUMBER),
        Tagged(f"{row.worst_numeric:.6g}", NUMBER),
    )


def _element_line(element: Element) -> str:
    bracket = (
        f", one-sided slopes [{element.low:.6g}, {element.high:.6g}]"
        if element.low is not None
        else ""
    )
    return (
        f"    {element.label}: analytic {element.analytic:.6g}, numeric {element.numeric:.6g} "
        f"(estimated error {element.error_estimate:.1e}{bracket})"
    )


def row_details(row: Row) -> tuple[Tagged, ...]:
    """Lines under a row: its wrong elements, kinks, unconfirmed failures (a "cannot tell"
    says why, and what would decide it, in the headline)."""
    lines = []
    for title, tag, elements, count in (
        ("wrong", WRONG_ELEMENT, row.wrong, row.wrong_count),
        ("kink: valid subgradient", KINK, row.kinks, row.kink_count),
        ("not confirmed (numerical noise)", NOISE, row.noise, row.noise_count),
        (
            "undecided (a jump, or slopes that never settled)",
            NOISE,
            row.undecided,
            row.undecided_count,
        ),
    ):
        if not count:
            continue
        lines.append(Tagged(f"{row.block}: {count} element(s) {title}", tag))
        lines += [Tagged(_element_line(e), tag) for e in elements[:SHOWN_ELEMENTS]]
        if count > SHOWN_ELEMENTS:
            lines.append(Tagged(f"    ... and {count - SHOWN_ELEMENTS} more", tag))
    return tuple(lines)


def _edge(value: float) -> str:
    """A band edge as the texts write it: 1e-7, 3.16e-5."""
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def band_range(verdict: Verdict, band_scale: float = 1.0) -> str:
    """Where a band lies: ``< 1e-7``, ``1e-7..1e-4``, ``1e-4..1e-2``, ``> 1e-2`` (edges
    times ``band_scale``)."""
    edges = [_edge(edge * band_scale) for edge in BAND_EDGES]
    bands = list(Verdict)  # CORRECT, NON_SMOOTH_ONLY, SUSPICIOUS, WRONG: low to high
    index = bands.index(verdict)
    if index == 0:
        return f"< {edges[0]}"
    if index == len(edges):
        return f"> {edges[-1]}"
    return f"{edges[index - 1]}..{edges[index]}"


def band_line(report: Report) -> str:
    """The texts' relative difference and band on their own line, read beside the outcome:
    ``texts' relative difference 1.7e-01, band: wrong (> 1e-2); all of it from ...``."""
    scaled = f", edges x{report.band_scale:g}" if report.band_scale != 1 else ""
    where = band_range(report.verdict, report.band_scale)
    line = f"texts' relative difference {report.diff:.1e}, band: {report.verdict.value} "
    line += f"({where}{scaled})"
    reading = report.band_reading
    return f"{line}; {reading}" if reading else line


def summary_lines(report: Report) -> tuple[Tagged, ...]:
    """The outcome (the headline), the texts' band beside it, problems, notes, the cost."""
    spent = ", ".join(
        f"{v} {evaluation_words(k, report.scheme)}" for k, v in report.evaluations.items()
    )
    cost = f"{report.scheme}, {report.step}; {report.total_evaluations} evaluations ({spent})"
    return (
        Tagged(report.headline, outcome_tag(report.outcome)),
        Tagged(band_line(report), BAND),
        *(Tagged(f"problem: {p}", PROBLEM) for p in report.problems),
        *(Tagged(f"note: {n}", NOTE) for n in report.notes),
        Tagged(cost, COST),
    )


def sheet_of(report: Report) -> Sheet:
    """The report laid out for any renderer, in the report's order (wrong first)."""
    return Sheet(
        title=f"gradient check ({report.kind})",
        columns=columns_of(report),
        rows=tuple(row_cells(row) for row in report.parameters),
        details=tuple(line for row in report.parameters for line in row_details(row)),
        summary=summary_lines(report),
    )


def _table(columns: tuple[Column, ...], rows: tuple[tuple[Tagged, ...], ...]) -> list[str]:
    headers = [c.title for c in columns]
    cells = [[piece.text for piece in row] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(c) for c in cells)]


@text_form(Report)
def render_text(report: Report) -> str:
    """The report as plain text, the same at any terminal: what ``print(report)`` shows."""
    sheet = sheet_of(report)
    lines = [sheet.title, "", *_table(sheet.columns, sheet.rows)]
    if sheet.details:
        lines += ["", *(line.text for line in sheet.details)]
    lines += ["", *(line.text for line in sheet.summary)]
    return "\n".join(lines)
