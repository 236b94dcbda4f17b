"""Structures described in a sentence, for error messages that say what was given and what
was expected: "a flat vector of 17 numbers", "a dict of 2 arrays (W 3x5, b 2)",
"{'W': ..., 'b': ...}".

A derivative given in the wrong structure (a flat vector for dict parameters, a list for a
dict, a dense Jacobian for blocks) is the commonest first mistake; these words let the
error name both sides and the fix instead of the first leaf that did not match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

LISTED = 6  # leaves named in a description before "... (n in all)"
KEYS = 4  # keys or items written out in an example before "..."
PLURALS = {"entry": "entries"}


def dims(shape: tuple[int, ...]) -> str:
    """A shape as the texts write it: ``3x5``, ``2``, or ``scalar``."""
    return "x".join(str(d) for d in shape) if shape else "scalar"


def count(n: int, noun: str) -> str:
    """``1 number``, ``17 numbers``, ``2 entries``."""
    return f"{n} {noun if n == 1 else PLURALS.get(noun, noun + 's')}"


def _listed(items: list[str]) -> str:
    if len(items) <= LISTED:
        return ", ".join(items)
    return ", ".join(items[:LISTED]) + f", ... ({len(items)} in all)"


def numbers(value: Any) -> np.ndarray | None:
    """``value`` as a numeric array when it is one (an array, or nested lists of numbers)."""
    if isinstance(value, Mapping) or value is None or isinstance(value, (str, bytes)):
        return None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # ragged nesting
        return None
    return array if array.dtype.kind in "fciu" else None


def given(value: Any) -> str:
    """What the user handed over, in words: ``a flat vector of 17 numbers``."""
    if value is None:
        return "None"
    if isinstance(value, Mapping):
        keys = [repr(k) for k in value]
        more = ", ..." if len(keys) > KEYS else ""
        return f"a {type(value).__name__} with keys {', '.join(keys[:KEYS])}{more}"
    array = numbers(value)
    if array is not None:
        if array.ndim == 0:
            return "a single number"
        if array.ndim == 1:
            return f"a flat vector of {count(array.size, 'number')}"
        return f"an array of shape {array.shape}"
    if isinstance(value, (list, tuple)):
        arrays = all(isinstance(v, np.ndarray) for v in value)
        return f"a {type(value).__name__} of {count(len(value), 'array' if arrays else 'entry')}"
    return f"a {type(value).__name__}"


def structure(template: Any, leaves: Iterable[tuple[str, tuple[int, ...]]]) -> str:
    """The parameters (or outputs) in words: ``a dict of 2 arrays (W 3x5, b 2)``.

    ``leaves`` are the (name, shape) of every leaf under ``template``.
    """
    named = [f"{name} {dims(shape)}" for name, shape in leaves]
    if isinstance(template, np.ndarray):
        return f"an array of shape {template.shape}"
    if not isinstance(template, (Mapping, list, tuple)):
        return f"a {type(template).__name__}"
    children = template.values() if isinstance(template, Mapping) else template
    arrays = all(isinstance(v, np.ndarray) for v in children)
    kind = "dict" if isinstance(template, Mapping) else type(template).__name__
    return f"a {kind} of {count(len(template), 'array' if arrays else 'entry')} ({_listed(named)})"


def example(template: Any) -> str:
    """The outline of a structure for "e.g.": ``{'W': ..., 'b': ...}``, ``[..., ...]``."""
    if isinstance(template, Mapping):
        items = [f"{k!r}: ..." for k in list(template)[:KEYS]]
        return "{" + ", ".join(items + (["..."] if len(template) > KEYS else [])) + "}"
    if isinstance(template, (list, tuple)):
        if len(template) > KEYS:
            inside = f"{len(template)} entries"
        else:
            inside = ", ".join(["..."] * len(template)) + ("," if len(template) == 1 else "")
        return f"[{inside}]" if isinstance(template, list) else f"({inside})"
    return f"an array of shape {np.shape(template)}"
