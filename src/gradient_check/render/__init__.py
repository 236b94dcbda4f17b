"""Functions of a report: plain text (numpy only), rich tables, plots.

Renderers read a ``Report``; nothing in ``core``, ``checks`` or ``report`` imports them.
"""

from .text import render_text

__all__ = ["render_text"]
