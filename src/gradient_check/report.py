"""The result of a check, as plain data: renderers read it, tests and users query it.

A report has one row per (output, parameter) block; a scalar loss is the case of one
output, so a gradient check has one row per parameter. Its headline is the ``Outcome``
(pass, fail: confirmed wrong, fail: structural problem, cannot tell), decided by the
evidence (each element against the finite difference's own estimated error) and the
structural problems. The texts' relative difference and band stay beside it, worded by
``band_reading`` so that they never contradict the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from os import PathLike
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


class Outcome(Enum):
    """A check's outcome: what its headline, ``ok``, an assertion and an exit status say."""

    PASS = "pass"
    WRONG = "fail: confirmed wrong"
    STRUCTURAL = "fail: structural problem"
    CANNOT_TELL = "cannot tell"


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
    kind: str  # "wrong", "kink", "noise", "jump", "unresolved"
    # for a kink: the one-sided slopes bracketing the subgradients; for a jump: the slopes
    # either side of it
    low: float | None = None
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
    # elements no finite difference here can decide: a jump inside every step, or slopes
    # that never settled (features shorter than the shortest step, several kinks)
    undecided: tuple[Element, ...] = ()
    wrong_count: int = 0  # all of them; the tuples above list at most 50 each
    kink_count: int = 0
    noise_count: int = 0
    undecided_count: int = 0
    advice: str | None = None  # what would make a "cannot tell" decidable
    # judged on absolute agreement: the block's derivative is within its estimated error
    # of zero (a stationary point), where a relative difference means nothing
    absolute: bool = False
    # each element's |analytic - numeric| over margin x its estimated error (above 1: more
    # than the finite difference's error explains), parameter elements in C order with the
    # outputs innermost; empty for large blocks, and where the engine did not keep them
    errors: tuple[float, ...] = ()

    @property
    def block(self) -> str:
        return self.name if self.output is None else f"{self.output} / {self.name}"

    @property
    def outcome(self) -> Outcome:
        """This block's outcome, from its evidence (structural problems are the report's)."""
        return _OUTCOME_OF[self.evidence]


@dataclass(frozen=True)
class Report:
    """Everything a check found. ``ok`` is the verdict a test asserts on."""

    kind: str  # "gradient", "jacobian", "vjp", "jvp", "hessian"
    diff: float  # the texts' relative difference over everything
    verdict: Verdict  # its band (the texts'); the headline is ``outcome``
    evidence: Evidence
    parameters: tuple[Row, ...]  # one row per (output, parameter) block, wrong first
    scheme: str
    step: str
    # how often J was evaluated, keyed by the stage's identifier ("differences",
    # "refinement", ...); core.summarise.EVALUATIONS gives the words the renderers show
    evaluations: dict[str, int]
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # structural failures: nondeterminism, non-linearity
    band_scale: float = 1.0
    extra: dict = field(default_factory=dict)  # kind-specific findings (symmetry, linearity)

    @property
    def outcome(self) -> Outcome:
        """The check's outcome: a structural problem fails it whatever the values say;
        otherwise the evidence decides (confirmed wrong, cannot tell, or pass)."""
        if self.problems:
            return Outcome.STRUCTURAL
        outcome = _OUTCOME_OF[self.evidence]
        if outcome is Outcome.PASS and self.interrupted:
            return Outcome.CANNOT_TELL  # the coordinates never measured are unknown
        return outcome

    @property
    def interrupted(self) -> dict | None:
        """How far an interrupted check got (stage, evaluations done and expected, the
        coordinates measured and their total), for the partial report a Ctrl-C leaves on
        ``CheckInterrupted.report``; None for a finished check."""
        return self.extra.get("interrupted")

    @property
    def ok(self) -> bool:
        """True when the outcome is a pass: what a test asserts."""
        return self.outcome is Outcome.PASS

    @property
    def stationary(self) -> bool:
        """Every block's derivative is within its estimated error of zero, so each was
        judged on absolute agreement (an optimum or a saddle)."""
        return bool(self.parameters) and all(row.absolute for row in self.parameters)

    @property
    def headline(self) -> str:
        """The outcome and why, in one line: the first thing the report says."""
        outcome = self.outcome
        if outcome is Outcome.STRUCTURAL:
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            return f"{outcome.value} — {self.problems[0]}{more}"
        rows = self.parameters
        if outcome is Outcome.WRONG:
            wrong = [r for r in rows if r.outcome is Outcome.WRONG]
            cut = self.interrupted
            more = (
                f" (interrupted: {cut['measured']} of {cut['coordinates']} coordinates measured)"
                if cut is not None
                else ""
            )
            return f"{outcome.value} in {_listed(wrong, _counted)}{more}"
        if outcome is Outcome.CANNOT_TELL:
            cut = self.interrupted
            if cut is not None:
                doubt = sum(r.undecided_count for r in rows)
                why = f"; {_elements(doubt)} in doubt not measured again" if doubt else ""
                return (
                    f"{outcome.value} — interrupted: {cut['measured']} of {cut['coordinates']} "
                    f"coordinates measured{why}"
                )
            return f"{outcome.value} — {_undecided(rows)}"
        kinks = sum(r.kink_count for r in rows)
        at_kinks = f"; {_elements(kinks)} at kinks take valid subgradients" if kinks else ""
        if kinks == 1:
            at_kinks = "; 1 element at a kink takes a valid subgradient"
        at_zero = "at a stationary point, " * self.stationary
        return (
            f"{outcome.value} — {at_zero}every element agrees with the finite difference "
            f"within its estimated error{at_kinks}"
        )

    @property
    def band_reading(self) -> str:
        """How to read the texts' band beside the outcome, where the two could seem to
        disagree (empty where they agree): the band never contradicts the outcome."""
        outcome, band, rows = self.outcome, self.verdict, self.parameters
        bound = max((r.error_bound for r in rows), default=0.0)
        if outcome is Outcome.PASS and band is not Verdict.CORRECT:
            if self.stationary:
                return "meaningless at a stationary point: every element was judged absolutely"
            kinks = sum(r.kink_count for r in rows)
            if kinks:
                return (
                    f"all of it from kinks ({_elements(kinks)}), where the analytic value is "
                    "a valid subgradient; every other element agrees"
                )
            return (
                f"within the finite difference's own estimated error (up to {bound:.1e}): "
                "no element is wrong beyond it"
            )
        cut = self.interrupted
        if cut and not any(r.outcome is Outcome.CANNOT_TELL for r in rows):
            return (
                f"over the {cut['measured']} of {cut['coordinates']} coordinates measured "
                "before the interrupt; the rest were never measured"
            )
        if outcome is Outcome.CANNOT_TELL:
            return (
                "not to be trusted: the finite difference's own error is as large as the "
                "differences it would have to reveal"
            )
        if outcome is Outcome.WRONG and band in (Verdict.CORRECT, Verdict.NON_SMOOTH_ONLY):
            wrong = sum(r.wrong_count for r in rows)
            return (
                f"yet {_elements(wrong)} {'is' if wrong == 1 else 'are'} wrong beyond "
                "the estimated error: a small part of a large vector"
            )
        if outcome is Outcome.STRUCTURAL and band is Verdict.CORRECT:
            return "the values agree, but the structural problem fails the check"
        return ""

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

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, versioned by its ``schema`` key (the JSON Schema
        ships as ``render/report.schema.json``; ``gradient_check.render.report_schema()``).
        Non-finite floats are the strings "nan", "inf" and "-inf"."""
        return form_of("dict", Report)(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """The report that ``to_dict`` gave ``data``: ``Report.from_dict(r.to_dict()) == r``."""
        return form_of("from_dict", Report)(data)

    def to_html(self, path: str | PathLike[str] | None = None) -> str:
        """The report as one self-contained HTML page (inline CSS and SVG, no script, no
        network); written to ``path`` too when one is given."""
        return form_of("html", Report)(self, path)

    def _repr_html_(self) -> str:
        """The page's content as a fragment: a report shows itself in a notebook cell."""
        return form_of("html_fragment", Report)(self)

    def __str__(self) -> str:
        return text_of(self)

    def __repr__(self) -> str:
        return (
            f"Report(kind={self.kind!r}, outcome={self.outcome.value!r}, diff={self.diff:.3g}, "
            f"verdict={self.verdict.value!r}, evidence={self.evidence.value!r}, "
            f"wrong={self.wrong})"
        )


_OUTCOME_OF = {
    Evidence.CONSISTENT: Outcome.PASS,
    Evidence.WRONG: Outcome.WRONG,
    Evidence.CANNOT_TELL: Outcome.CANNOT_TELL,
}
LISTED_BLOCKS = 4  # blocks named in a headline; the table lists them all


def _elements(count: int) -> str:
    return f"{count} element{'' if count == 1 else 's'}"


def _counted(row: Row) -> str:
    """``W1 (8 elements)``, ``W1 (2 random directions)`` for a directional check's row,
    or just ``W1`` where the count is unknown."""
    if not row.wrong_count:
        return row.block
    if row.wrong and all("·v[" in element.label for element in row.wrong):
        many = "s" if row.wrong_count != 1 else ""
        return f"{row.block} ({row.wrong_count} random direction{many})"
    return f"{row.block} ({_elements(row.wrong_count)})"


def _listed(rows: list[Row], name: Callable[[Row], str] = lambda row: row.block) -> str:
    """The first LISTED_BLOCKS rows by ``name``, and how many more."""
    more = f" and {len(rows) - LISTED_BLOCKS} more" if len(rows) > LISTED_BLOCKS else ""
    return ", ".join(name(row) for row in rows[:LISTED_BLOCKS]) + more


def _undecided(rows: tuple[Row, ...]) -> str:
    """Why the undecided blocks cannot be told, grouped by what would decide them."""
    by_advice: dict[str, list[Row]] = {}
    for row in rows:
        if row.outcome is Outcome.CANNOT_TELL:
            by_advice.setdefault(row.advice or _NO_ADVICE, []).append(row)
    return "; ".join(
        f"{_listed(group)}: {advice}"
        if any(r.undecided_count for r in group)
        else f"{_listed(group)}: the finite difference's estimated error is "
        f"{max(r.error_bound for r in group):.1e} of the gradient; {advice}"
        for advice, group in by_advice.items()
    )


_NO_ADVICE = "a finite difference cannot resolve it"


# The forms of each kind of result (a report, a sweep, a mutation report), filled in by the
# renderers that draw them: "text" (what print shows; ``render.text`` registers the
# report's), "dict" and "from_dict" (``render.serialise``), "html" and "html_fragment"
# (``render.html``). The data modules never import a renderer, yet ``print(result)`` and
# ``report.to_dict()`` work once ``gradient_check`` is imported (it imports ``render``).
FORMS: dict[str, dict[type, Callable[..., Any]]] = {
    "text": {},
    "dict": {},
    "from_dict": {},
    "html": {},
    "html_fragment": {},
}
TEXT_FORMS = FORMS["text"]


def form(name: str, kind: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the ``name`` form of results of type ``kind``."""

    def register(render: Callable[..., Any]) -> Callable[..., Any]:
        FORMS.setdefault(name, {})[kind] = render
        return render

    return register


def form_of(name: str, kind: type) -> Callable[..., Any]:
    """The function registered as the ``name`` form of ``kind`` (``render`` registers them
    on import: ``import gradient_check`` does)."""
    found = FORMS.get(name, {}).get(kind)
    if found is None:
        raise NotImplementedError(
            f"no {name!r} form of {kind.__name__} is registered: import gradient_check "
            "(its renderers register every form)"
        )
    return found


def text_form(kind: type) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Register the decorated function as the plain-text form of results of type ``kind``."""
    return form("text", kind)


def text_of(result: Any) -> str:
    """``result`` as plain text, by the renderer registered for its type."""
    render = TEXT_FORMS.get(type(result))
    if render is None:
        return repr(result)
    return render(result)
