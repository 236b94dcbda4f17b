"""Functions of a report: plain text (numpy only), JSON-ready data, HTML, rich tables, plots.

Renderers read a ``Report``; nothing in ``core``, ``checks`` or ``report`` imports them.
Each registers the forms it draws in ``report.FORMS`` on import, so a data class's
``__str__``, ``to_dict``, ``from_dict``, ``to_html`` and ``_repr_html_`` find them:
``render.text`` lays a report out as tagged pieces (``sheet_of``) and joins them into the
plain text ``print(report)`` shows; ``render.console`` styles the same pieces with rich;
``render.sweep`` is the text of a step-size sweep; ``render.serialise`` the JSON-ready
documents (their schemas ship beside it: ``report_schema()``); ``render.html`` the
self-contained page, with ``render.charts`` and ``render.heatmap`` drawing its SVG;
``render.progress`` registers the terminal progress bar a check's default ``progress``
draws (rich is imported only when a bar is drawn).
"""

from . import progress  # noqa: F401  (registers the terminal progress bar)
from .html import render_html
from .serialise import report_schema, sweep_schema
from .sweep import render_sweep
from .text import Column, Sheet, Tagged, render_text, sheet_of

__all__ = [
    "Column",
    "Sheet",
    "Tagged",
    "render_html",
    "render_sweep",
    "render_text",
    "report_schema",
    "sheet_of",
    "sweep_schema",
]
