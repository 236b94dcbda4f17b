"""The result of a check, as plain data: renderers read it, tests and users query it.

A report has one row per (output, parameter) block; a scalar loss is the case of one
output, so a gradient check has one row per parameter. Every row carries the texts'
relative difference and band (the headline) and, beside it, the evidence: each element
compared with the finite difference's own estimated error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Verdict(Enum):
    """The texts' four bands of the relative difference."""

    CORRECT = "correct"
    NON_SMOOTH_ONLY = "acceptable only for non-smooth functions"
    SUSPICIOUS = "possibly wrong"
    WRONG = "wrong"

    @property
    def words(self) -> str:
        """The texts' advice for this band."""
        return _WORDS[self]


_WORDS = {
    Verdict.CORRECT: "correct: have a cup of tea",
    Verdict.NON_SMOOTH_ONLY: (
        "acceptable for non-smooth activations (ReLU); too high for smooth ones"
    ),
    Verdict.SUSPICIOUS: "possibly wrong: inspect",
    Verdict.WRONG: "the gradient code is certainly wrong",
}


class Evidence(Enum):
    """What the element-by-element comparison with the error estimate found."""

    CONSISTENT = "within estimated error"
    WRONG = "confirmed wrong"
    CANNOT_TELL = "cannot tell at this precision"


@dataclass(frozen=True)
class Element:
    """One element worth naming: wrong, at a kink, or a failure that did not survive."""

    label: str  # "W1[3, 2]", or "out[1] / W1[3, 2]" for a Jacobian entry
    analytic: float
    numeric: float
    error_estimate: float
    kind: str  # "wrong", "kink", "noise"
    low: float | None = None  # for a kink: the one-sided slopes bracketing the subgradients
    high: float | None = None


@dataclass(frozen=True)
class Row:
    """One (output, parameter) block of the derivative."""

    name: str  # the parameter's name
    output: str | None  # the output's name; None for a scalar loss
    shape: tuple[int, ...]
    diff: float  # the texts' relative difference over this block
    verdict: Verdict  # its band
    evidence: Evidence
    max_abs_error: float
    max_rel_error: float
    worst_index: str  # the worst element, by |analytic - numeric|
    worst_analytic: float
    worst_numeric: float
    error_bound: float  # the relative difference the estimated errors alone could explain
    step_min: float
    step_max: float
    wrong: tuple[Element, ...] = ()
    kinks: tuple[Element, ...] = ()
    noise: tuple[Element, ...] = ()
    wrong_count: int = 0  # all of them; the tuples above list at most 50 each
    kink_count: int = 0
    noise_count: int = 0
    advice: str | None = None  # what would make a "cannot tell" decidable

    @property
    def block(self) -> str:
        return self.name if self.output is None else f"{self.output} / {self.name}"


@dataclass(frozen=True)
class Report:
    """Everything a check found. ``ok`` is the verdict a test asserts on."""

    kind: str  # "gradient", "jacobian", "vjp", "jvp", "hessian"
    diff: float  # the texts' relative difference over everything
    verdict: Verdict  # its band: the headline
    evidence: Evidence
    parameters: tuple[Row, ...]  # one row per (output, parameter) block, wrong first
    scheme: str
    step: str
    evaluations: dict[str, int]  # why J was evaluated, and how often
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # structural failures: nondeterminism, non-linearity
    band_scale: float = 1.0
    extra: dict = field(default_factory=dict)  # kind-specific findings (symmetry, linearity)

    @property
    def ok(self) -> bool:
        """True when no element is confirmed wrong, the evidence decides, and no problems."""
        return self.evidence is Evidence.CONSISTENT and not self.problems

    @property
    def wrong(self) -> list[str]:
        """The blocks confirmed wrong, by name (``W1``, or ``out / W1`` for a Jacobian)."""
        return [row.block for row in self.parameters if row.evidence is Evidence.WRONG]

    @property
    def kinks(self) -> list[Element]:
        return [k for row in self.parameters for k in row.kinks]

    @property
    def total_evaluations(self) -> int:
        return sum(self.evaluations.values())

    def row(self, name: str, output: str | None = None) -> Row:
        """The row of parameter ``name`` (and ``output``, for a vector-valued function)."""
        for row in self.parameters:
            if row.name == name and (output is None or row.output == output):
                return row
        raise KeyError(name)

    def __str__(self) -> str:
        return text_of(self)

    def __repr__(self) -> str:
        return (
            f"Report(kind={self.kind!r}, diff={self.diff:.3g}, verdict={self.verdict.value!r}, "
            f"evidence={self.evidence.value!r}, wrong={self.wrong})"
        )


# The plain-text form of each kind of result (a report, a sweep, a mutation report), filled
# in by the renderers that draw them (``render.text`` registers the report's). The data
# modules never import a renderer; ``print(result)`` still shows the table.
TEXT_FORMS: dict[type, Callable[[Any], str]] = {}


def text_form(kind: type) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Register the decorated function as the plain-text form of results of type ``kind``."""

    def register(render: Callable[[Any], str]) -> Callable[[Any], str]:
        TEXT_FORMS[kind] = render
        return render

    return register


def text_of(result: Any) -> str:
    """``result`` as plain text, by the renderer registered for its type."""
    render = TEXT_FORMS.get(type(result))
    if render is None:
        return repr(result)
    return render(result)
