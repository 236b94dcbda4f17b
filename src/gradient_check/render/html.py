"""A report (or a sweep) as HTML: one self-contained page, or a fragment for a notebook.

The page carries everything it shows: inline CSS, charts as inline SVG (``render.charts``,
``render.heatmap``), no script that runs, nothing fetched at view time. Its content is the
text's (``render.text.sheet_of``: the outcome as headline, the texts' band beside it, the
table), then a chart of each block's relative difference over the texts' bands, maps of
the worst blocks' element-wise error, the named elements in full, problems, notes, the
cost, and any step-size sweep. The report's JSON (``Report.to_dict``) rides along in an
inert ``application/json`` block, so a tool can read the page as data. Every text taken
from a report is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from os import PathLike
from pathlib import Path

from ..checks.sweep import Sweep
from ..core.summarise import evaluation_words
from ..errors import GradientCheckError
from ..report import Element, Report, Row, form
from .charts import diff_chart, sweep_chart
from .heatmap import heatmap_svg, worst_rows
from .text import Tagged, band_line, outcome_tag, sheet_of

MAX_HEATMAPS = 4  # blocks mapped element by element: the worst ones
DATA_ID = "gradient-check-data"

CSS = """
.gc { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #212121;
  line-height: 1.4; max-width: 1100px; }
.gc h2 { font-size: 1.35em; margin: 0.2em 0 0.4em; }
.gc h3 { font-size: 1.1em; margin: 1.4em 0 0.4em; border-bottom: 1px solid #e0e0e0; }
.gc h4 { font-size: 1em; margin: 0.8em 0 0.3em; font-weight: 600; }
.gc .headline { font-size: 1.15em; font-weight: 600; padding: 0.5em 0.8em;
  border-left: 6px solid; border-radius: 3px; background: #fafafa; }
.gc .band { color: #424242; }
.gc table { border-collapse: collapse; margin: 0.3em 0; font-size: 0.92em; }
.gc th, .gc td { border: 1px solid #e0e0e0; padding: 0.25em 0.6em; text-align: left;
  vertical-align: top; }
.gc th { background: #f5f5f5; }
.gc td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.gc .t-outcome-pass { color: #2e7d32; }
.gc .t-outcome-wrong, .gc .t-outcome-structural { color: #c62828; }
.gc .t-outcome-cannot-tell { color: #b26a00; }
.gc .headline.t-outcome-pass { border-left-color: #2e7d32; }
.gc .headline.t-outcome-wrong, .gc .headline.t-outcome-structural { border-left-color: #c62828; }
.gc .headline.t-outcome-cannot-tell { border-left-color: #ef8f00; }
.gc .t-block { font-family: ui-monospace, monospace; }
.gc .t-wrong-element { color: #c62828; }
.gc .t-kink { color: #1565c0; }
.gc .t-noise, .gc .t-note, .gc .t-cost { color: #616161; }
.gc .t-problem { color: #c62828; font-weight: 600; }
.gc figure { margin: 0.6em 0; }
.gc figcaption { font-size: 0.9em; color: #424242; }
.gc .maps { display: flex; flex-wrap: wrap; gap: 1.2em; }
"""


def tag_class(tag: str) -> str:
    """A piece's tag as a CSS class: ``outcome.cannot_tell`` -> ``t-outcome-cannot-tell``."""
    return "t-" + tag.replace(".", "-").replace("_", "-")


def _piece(piece: Tagged, element: str = "span", numeric: bool = False) -> str:
    classes = tag_class(piece.tag) + (" num" if numeric else "")
    return f'<{element} class="{classes}">{escape(piece.text)}</{element}>'


def table_html(report: Report) -> str:
    """The text's table, cell for cell, each cell classed by what it means."""
    sheet = sheet_of(report)
    head = "".join(f"<th>{escape(column.title)}</th>" for column in sheet.columns)
    body = "".join(
        "<tr>"
        + "".join(
            _piece(cell, "td", column.numeric)
            for cell, column in zip(cells, sheet.columns, strict=True)
        )
        + "</tr>"
        for cells in sheet.rows
    )
    return f'<table class="report"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _number(value: float | None, spec: str = ".6g") -> str:
    return "" if value is None else format(value, spec)


def elements_table(elements: Iterable[Element], slopes: bool) -> str:
    """Named elements, one a line: analytic, numeric, estimated error (and the one-sided
    slopes for kinks and jumps)."""
    titles = ["element", "analytic", "numeric", "estimated error"]
    titles += ["one-sided slopes"] if slopes else []
    head = "".join(f"<th>{t}</th>" for t in titles)
    lines = []
    for e in elements:
        cells = [
            f"<td>{escape(e.label)}</td>",
            f'<td class="num">{_number(e.analytic)}</td>',
            f'<td class="num">{_number(e.numeric)}</td>',
            f'<td class="num">{_number(e.error_estimate, ".1e")}</td>',
        ]
        if slopes:
            bracket = "" if e.low is None else f"[{_number(e.low)}, {_number(e.high)}]"
            cells.append(f'<td class="num">{bracket}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


ELEMENT_SECTIONS = (  # (title, Row field, count field, CSS class, slopes shown)
    ("Wrong elements", "wrong", "wrong_count", "t-wrong-element", False),
    ("Kinks: the analytic value is a valid subgradient", "kinks", "kink_count", "t-kink", True),
    ("Not confirmed: numerical noise", "noise", "noise_count", "t-noise", False),
    (
        "Undecided: a jump, or slopes that never settled",
        "undecided",
        "undecided_count",
        "t-noise",
        True,
    ),
)


def elements_html(rows: tuple[Row, ...]) -> str:
    """A section per kind of named element, a table per block (all the report lists)."""
    out = []
    for title, field, count_field, css, slopes in ELEMENT_SECTIONS:
        parts = []
        for row in rows:
            count, listed = getattr(row, count_field), getattr(row, field)
            if not count:
                continue
            shown = f" ({len(listed)} listed)" if len(listed) < count else ""
            parts.append(
                f'<h4 class="{css}">{escape(row.block)}: {count} element'
                f"{'' if count == 1 else 's'}{shown}</h4>" + elements_table(listed, slopes)
            )
        if parts:
            out.append(f"<h3>{title}</h3>" + "".join(parts))
    return "".join(out)


def heatmaps_html(report: Report) -> str:
    """Maps of the worst blocks' element-wise error (where the report can place them)."""
    found = worst_rows(report.parameters, MAX_HEATMAPS)
    if not found:
        return ""
    figures = []
    for row, grid in found:
        what = (
            "named elements" + ("" if grid.listed_all else " (the listed ones)")
            if grid.named
            else "|analytic - numeric| / (margin x estimated error): above 1 is outside "
            "the finite difference's error"
        )
        shape = "x".join(str(n) for n in row.shape) or "scalar"
        figures.append(
            f"<figure>{heatmap_svg(row, grid)}<figcaption><b>{escape(row.block)}</b> "
            f"({shape}; lines: {grid.lines}): {what}</figcaption></figure>"
        )
    return "<h3>Element-wise error of the worst blocks</h3>" + (
        f'<div class="maps">{"".join(figures)}</div>'
    )


def _listed(title: str, pieces: Iterable[Tagged]) -> str:
    items = "".join(_piece(p, "li") for p in pieces)
    return f"<h3>{title}</h3><ul>{items}</ul>" if items else ""


def cost_html(report: Report) -> str:
    spent = "".join(
        f"<tr><td>{escape(evaluation_words(why, report.scheme))}</td>"
        f'<td class="num">{count}</td></tr>'
        for why, count in report.evaluations.items()
    )
    return (
        f"<h3>Cost</h3><p>{escape(report.scheme)} differences, step {escape(report.step)}; "
        f"{report.total_evaluations} evaluations of the function</p>"
        f"<table><thead><tr><th>evaluated for</th><th>times</th></tr></thead>"
        f"<tbody>{spent}</tbody></table>"
    )


def report_body(report: Report, sweeps: Iterable[Sweep] = ()) -> str:
    """The report's content, without the page around it (what a notebook shows)."""
    headline = Tagged(report.headline, outcome_tag(report.outcome))
    return (
        f'<div class="gc"><style>{CSS}</style>'
        f"<h2>gradient check ({escape(report.kind)})</h2>"
        f'<p class="headline {tag_class(headline.tag)}">{escape(headline.text)}</p>'
        f'<p class="band">{escape(band_line(report))}</p>'
        f"{table_html(report)}"
        "<h3>Relative difference by block (log scale; the texts' bands shaded)</h3>"
        f"<figure>{diff_chart(report)}</figure>"
        f"{heatmaps_html(report)}{elements_html(report.parameters)}"
        + _listed("Problems", (Tagged(p, "problem") for p in report.problems))
        + _listed("Notes", (Tagged(n, "note") for n in report.notes))
        + cost_html(report)
        + "".join(sweep_body(sweep, level=3, styled=False) for sweep in sweeps)
        + "</div>"
    )


def sweep_body(sweep: Sweep, level: int = 2, styled: bool = True) -> str:
    """A step-size sweep: its chart and its table, the automatic and best steps."""
    lines = "".join(
        f'<tr><td class="num">{p.h:.0e}</td><td class="num">{p.measured:.2e}</td>'
        f'<td class="num">{p.estimated:.2e}</td><td class="num">{p.truncation:.2e}</td>'
        f'<td class="num">{p.rounding:.2e}</td></tr>'
        for p in sweep.points
    )
    title = (
        f"step-size sweep ({sweep.scheme}, {sweep.elements} elements, reference: {sweep.reference})"
    )
    inner = (
        f"<h{level}>{escape(title)}</h{level}><figure>{sweep_chart(sweep)}</figure>"
        f"<p>automatic step ~ {sweep.auto_h:.1e}; smallest measured error at h = "
        f"{sweep.best_h:.0e}</p><table><thead><tr><th>h</th><th>measured</th>"
        "<th>estimated</th><th>truncation</th><th>rounding</th></tr></thead>"
        f"<tbody>{lines}</tbody></table>"
    )
    return f'<div class="gc"><style>{CSS}</style>{inner}</div>' if styled else inner


def page(title: str, body: str, data: dict | None = None) -> str:
    """A whole HTML document around ``body``; ``data`` rides along as inert JSON."""
    carried = ""
    if data is not None:  # "<" escaped, so no text in it can close the block
        text = json.dumps(data, allow_nan=False).replace("<", "\\u003c")
        carried = f'<script type="application/json" id="{DATA_ID}">{text}</script>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        f'<body style="margin: 1.2em; background: #fff;">{body}{carried}</body></html>\n'
    )


def save(text: str, path: str | PathLike[str], what: str) -> None:
    """Write ``text`` to ``path``, or say in one line why it cannot be written."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise GradientCheckError(
            f"cannot write the {what} to `path` {str(path)!r}: {error.strerror or error}; "
            "pass a file path in a folder that exists and is writable"
        ) from error


def render_html(
    report: Report, path: str | PathLike[str] | None = None, *, sweeps: Iterable[Sweep] = ()
) -> str:
    """The report (and any step-size ``sweeps`` run beside it) as one self-contained HTML
    page; written to ``path`` too when one is given. ``report.to_html(path)`` calls it."""
    title = f"gradient check ({report.kind}): {report.outcome.value}"
    text = page(title, report_body(report, tuple(sweeps)), report.to_dict())
    if path is not None:
        save(text, path, "HTML report")
    return text


@form("html", Report)
def _report_html(report: Report, path: str | PathLike[str] | None = None) -> str:
    return render_html(report, path)


@form("html_fragment", Report)
def report_fragment(report: Report) -> str:
    """The report's content for a notebook cell (``Report._repr_html_``)."""
    return report_body(report)


@form("html", Sweep)
def sweep_html(sweep: Sweep, path: str | PathLike[str] | None = None) -> str:
    """A step-size sweep as one self-contained HTML page (written to ``path`` if given)."""
    text = page(f"step-size sweep ({sweep.scheme})", sweep_body(sweep), sweep.to_dict())
    if path is not None:
        save(text, path, "HTML sweep")
    return text


@form("html_fragment", Sweep)
def sweep_fragment(sweep: Sweep) -> str:
    """The sweep's content for a notebook cell (``Sweep._repr_html_``)."""
    return sweep_body(sweep)
