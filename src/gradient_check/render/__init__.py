"""Functions of a report: plain text (numpy only), rich tables, plots.

Renderers read a ``Report``; nothing in ``core``, ``checks`` or ``report`` imports them.
``render.text`` lays a report out as tagged pieces (``sheet_of``) and joins them into the
plain text ``print(report)`` shows; ``render.console`` styles the same pieces with rich;
``render.sweep`` is the text of a step-size sweep.
"""

from .sweep import render_sweep
from .text import Column, Sheet, Tagged, render_text, sheet_of

__all__ = ["Column", "Sheet", "Tagged", "render_sweep", "render_text", "sheet_of"]
