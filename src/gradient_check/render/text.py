"""Lay a report out for reading, and render that layout as plain text.

``sheet_of`` is the one place that decides what a report says: its table, the elements
named under it, and the summary. Every piece carries a tag saying what it means, so the
plain-text renderer here joins the pieces and the rich renderer (``render.console``)
styles them by meaning, never by column position or by searching the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..report import Element, Evidence, Report, Row, Verdict, text_form

SHOWN_ELEMENTS = 5  # elements listed under a row in text; the report holds up to 50

# The tags a piece can carry, beside "verdict.<band>" and "evidence.<finding>" (the enum
# member's name in lower case: "verdict.correct", "evidence.cannot_tell").
PLAIN = "plain"
BLOCK = "block"  # a row's (output /) parameter name
NUMBER = "number"
WRONG_ELEMENT = "wrong-element"
KINK = "kink"
NOISE = "noise"  # a failure the refinement did not confirm
ADVICE = "advice"  # what would make a "cannot tell" decidable
PROBLEM = "problem"  # a structural failure: nondeterminism, non-linearity
NOTE = "note"
COST = "cost"  # the scheme, the step and the evaluations spent


def verdict_tag(verdict: Verdict) -> str:
    """The tag of a piece that states the texts' band ``verdict``."""
    return f"verdict.{verdict.name.lower()}"


def evidence_tag(evidence: Evidence) -> str:
    """The tag of a piece that states the element-by-element ``evidence``."""
    return f"evidence.{evidence.name.lower()}"


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


@dataclass(frozen=True)
class Sheet:
    """A report laid out: a title, a table (wrong rows first), details under it, summary."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Tagged, ...], ...]
    details: tuple[Tagged, ...]  # per row: its wrong elements, kinks, unconfirmed, advice
    summary: tuple[Tagged, ...]  # headline, evidence, problems, notes, cost


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar" if not shape else "x".join(str(n) for n in shape)


def columns_of(report: Report) -> tuple[Column, ...]:
    """The table's columns; a Jacobian's first one names output and parameter."""
    vector_valued = bool(report.parameters and report.parameters[0].output)
    return (
        Column("output / parameter" if vector_valued else "parameter"),
        Column("shape"),
        Column("rel. diff", numeric=True),
        Column("verdict (texts)"),
        Column("evidence", wraps=True),
        Column("worst element"),
        Column("analytic", numeric=True),
        Column("numeric", numeric=True),
    )


def row_cells(row: Row) -> tuple[Tagged, ...]:
    """One row of the table: the block, its diff and band, its evidence, its worst element."""
    evidence = row.evidence.value
    if row.wrong_count:
        evidence += f" ({row.wrong_count})"
    elif row.kink_count:
        evidence += f"; {row.kink_count} kink(s)"
    return (
        Tagged(row.block, BLOCK),
        Tagged(_shape(row.shape)),
        Tagged(f"{row.diff:.2e}", NUMBER),
        Tagged(row.verdict.value, verdict_tag(row.verdict)),
        Tagged(evidence, evidence_tag(row.evidence)),
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
    """Lines under a row: its wrong elements, kinks, unconfirmed failures, advice."""
    lines = []
    for title, tag, elements, count in (
        ("wrong", WRONG_ELEMENT, row.wrong, row.wrong_count),
        ("kink: valid subgradient", KINK, row.kinks, row.kink_count),
        ("not confirmed (numerical noise)", NOISE, row.noise, row.noise_count),
    ):
        if not count:
            continue
        lines.append(Tagged(f"{row.block}: {count} element(s) {title}", tag))
        lines += [Tagged(_element_line(e), tag) for e in elements[:SHOWN_ELEMENTS]]
        if count > SHOWN_ELEMENTS:
            lines.append(Tagged(f"    ... and {count - SHOWN_ELEMENTS} more", tag))
    if row.advice:
        text = f"{row.block}: cannot tell ({row.error_bound:.1e} could be error); {row.advice}"
        lines.append(Tagged(text, ADVICE))
    return tuple(lines)


def summary_lines(report: Report) -> tuple[Tagged, ...]:
    """The headline (texts' diff and band), the evidence, and what the check cost."""
    scaled = f" (band edges x{report.band_scale:g})" if report.band_scale != 1 else ""
    headline = f"relative difference {report.diff:.3e}: {report.verdict.words}{scaled}"
    evidence = f"evidence: {report.evidence.value}"
    if report.evidence is Evidence.WRONG:
        evidence += f"; wrong: {', '.join(report.wrong)}"
    spent = ", ".join(f"{v} {k}" for k, v in report.evaluations.items())
    cost = f"{report.scheme}, {report.step}; {report.total_evaluations} evaluations ({spent})"
    return (
        Tagged(headline, verdict_tag(report.verdict)),
        Tagged(evidence, evidence_tag(report.evidence)),
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
