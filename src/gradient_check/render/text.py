"""Render a report as text: a table with the wrong blocks first, then the evidence.

``report_cells`` is the one place that decides what the table says; the plain-text
renderer here and the rich renderer of the command line both draw it.
"""

from __future__ import annotations

from ..report import Evidence, Report, Row, text_form

SHOWN_ELEMENTS = 5  # elements listed under a row in text; the report holds up to 50


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar" if not shape else "x".join(str(n) for n in shape)


def report_headers(report: Report) -> list[str]:
    first = (
        ["output / parameter"]
        if report.parameters and report.parameters[0].output
        else ["parameter"]
    )
    return [
        *first,
        "shape",
        "rel. diff",
        "verdict (texts)",
        "evidence",
        "worst element",
        "analytic",
        "numeric",
    ]


def report_cells(report: Report) -> list[list[str]]:
    """The table's rows as strings, in the report's order (wrong first)."""
    cells = []
    for row in report.parameters:
        evidence = row.evidence.value
        if row.wrong_count:
            evidence += f" ({row.wrong_count})"
        elif row.kink_count:
            evidence += f"; {row.kink_count} kink(s)"
        cells.append(
            [
                row.block,
                _shape(row.shape),
                f"{row.diff:.2e}",
                row.verdict.value,
                evidence,
                row.worst_index,
                f"{row.worst_analytic:.6g}",
                f"{row.worst_numeric:.6g}",
            ]
        )
    return cells


def row_details(row: Row) -> list[str]:
    """Lines under a row: its wrong elements, kinks, unconfirmed failures, advice."""
    lines = []
    for title, elements, count in (
        ("wrong", row.wrong, row.wrong_count),
        ("kink: valid subgradient", row.kinks, row.kink_count),
        ("not confirmed (numerical noise)", row.noise, row.noise_count),
    ):
        if not count:
            continue
        lines.append(f"{row.block}: {count} element(s) {title}")
        for e in elements[:SHOWN_ELEMENTS]:
            bracket = f", one-sided slopes [{e.low:.6g}, {e.high:.6g}]" if e.low is not None else ""
            lines.append(
                f"    {e.label}: analytic {e.analytic:.6g}, numeric {e.numeric:.6g} "
                f"(estimated error {e.error_estimate:.1e}{bracket})"
            )
        if count > SHOWN_ELEMENTS:
            lines.append(f"    ... and {count - SHOWN_ELEMENTS} more")
    if row.advice:
        lines.append(
            f"{row.block}: cannot tell ({row.error_bound:.1e} could be error); {row.advice}"
        )
    return lines


def summary_lines(report: Report) -> list[str]:
    """The headline (texts' diff and band), the evidence, and what the check cost."""
    scaled = f" (band edges x{report.band_scale:g})" if report.band_scale != 1 else ""
    lines = [f"relative difference {report.diff:.3e}: {report.verdict.words}{scaled}"]
    evidence = f"evidence: {report.evidence.value}"
    if report.evidence is Evidence.WRONG:
        evidence += f"; wrong: {', '.join(report.wrong)}"
    lines.append(evidence)
    lines.extend(f"problem: {p}" for p in report.problems)
    lines.extend(f"note: {n}" for n in report.notes)
    spent = ", ".join(f"{v} {k}" for k, v in report.evaluations.items())
    lines.append(
        f"{report.scheme}, {report.step}; {report.total_evaluations} evaluations ({spent})"
    )
    return lines


def _table(headers: list[str], cells: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(c) for c in cells)]


@text_form(Report)
def render_text(report: Report) -> str:
    """The report as plain text, the same at any terminal: what ``print(report)`` shows."""
    lines = [f"gradient check ({report.kind})", ""]
    lines += _table(report_headers(report), report_cells(report))
    details = [d for row in report.parameters for d in row_details(row)]
    if details:
        lines += ["", *details]
    lines += ["", *summary_lines(report)]
    return "\n".join(lines)
