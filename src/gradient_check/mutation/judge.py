"""The gradient checker as the judge of mutation testing: the texts' exercise, automated.

"Change any line of the backward pass and run the check again: it must catch the change."

- `mutation_test(backward, loss, params, args)`: a plain function `backward(params, *args)`
  returning the gradient of `loss(params, *args)`.
- `mutation_test_network(net, X, Y)`: every backward method a `gradient_check.nn.Network` runs
  (each layer class's and the loss's), mutated on the network's own instances only.

`gradient-check mutate` and `benchmarks/bench_mutation.py` test the texts' two networks of
`gradient_check.nn.reference`, with data chosen for the purpose.

A mutant is EQUIVALENT when the parameter gradients the check sees are unchanged (every
element within 1e-13 relative of the original's, zeros exactly zero), CRASHED when it raises or
its gradient cannot be checked (wrong shape, not finite), and otherwise CAUGHT when the check's
report is not ok and SURVIVED when it is.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..checks.gradient import check
from ..core.flatten import flatten
from ..core.match import flatten_like
from ..core.workspace import Workspace
from ..nn.reference import ReferenceNetwork, reference_networks
from ..report import Report
from .errors import MutationError
from .report import MutantOutcome, MutationReport
from .run import Verdict, run_mutation_test
from .source import plain_function
from .targets import backward_targets, installed, is_selected

EQUIVALENCE_RTOL = 1e-13
"""A mutant is equivalent when every gradient element is within this relative distance of the
original's (`np.allclose(mutant, original, rtol=1e-13, atol=0)`: a zero must stay exactly zero).
Bitwise equality is the usual case; the tolerance only forgives a reordering of the same
floating-point operations, which no finite difference could resolve (theirs is 1e-10 at best)."""


class _GradientJudge:
    """Judge the gradients computed by mutants against the original's, then with the check."""

    def __init__(
        self,
        loss: Callable[[Any], Any],
        params: Any,
        original_grads: Any,
        check_options: dict[str, Any],
        what: str,
    ) -> None:
        self.loss = loss
        self.params = params
        self.check_options = check_options
        self.vector = flatten(params)
        self.original = flatten_like(original_grads, self.vector)
        self.evaluations = 0
        report = check(loss, params, original_grads, **check_options)
        if not report.ok:
            raise MutationError(
                f"the unmutated {what} does not pass the check ({report.headline}); mutation "
                "testing measures how well the check catches changes to a correct gradient, so "
                f"fix it first:\n{report}"
            )
        # The parameter arrays the mutants see, with a bitwise snapshot to put back.
        self.workspace = Workspace(params, self.vector, promote=False)

    def __call__(self, compute: Callable[[], Any]) -> Verdict:
        try:
            with _quiet():
                grads = compute()
        finally:
            written = self._restore_params()  # also when the mutant raises after writing
        if written is not None:
            return (
                MutantOutcome.CRASHED,
                f"the mutant wrote into the parameters ({written}); restored",
            )
        flat = flatten_like(grads, self.vector)  # a misshapen gradient raises: CRASHED
        if not np.all(np.isfinite(flat)):
            bad = int(np.flatnonzero(~np.isfinite(flat))[0])
            return (
                MutantOutcome.CRASHED,
                f"gradient of {self.vector.label(bad)} is {flat[bad]}: not finite, so not checked",
            )
        changes = self._changes(flat)
        if not changes:
            return MutantOutcome.EQUIVALENT, self._why_equivalent(flat)
        report = check(self.loss, self.params, grads, **self.check_options)
        self.evaluations += report.total_evaluations
        return _verdict(report, changes)

    def _restore_params(self) -> str | None:
        """Put back parameter values a mutant changed in place; name the first one changed."""
        changed = self.workspace.changed_slots()
        if not changed:
            return None
        differing = np.flatnonzero(self.workspace.values() != self.vector.theta)
        # only a sign of zero changed when no value differs
        coordinate = int(differing[0]) if differing.size else changed[0].offset
        self.workspace.restore()
        return self.vector.label(coordinate)

    def _changes(self, flat: np.ndarray) -> list[tuple[str, float, float]]:
        """(name, ||Δ||/||g||, max |Δ|) of each changed parameter, largest relative change first."""
        if np.allclose(flat, self.original, rtol=EQUIVALENCE_RTOL, atol=0.0):
            return []
        changes = []
        for slot in self.vector.slots:
            new, old = flat[slot.offset : slot.stop], self.original[slot.offset : slot.stop]
            if np.allclose(new, old, rtol=EQUIVALENCE_RTOL, atol=0.0):
                continue
            delta = float(np.linalg.norm(new - old))
            scale = float(np.linalg.norm(old))
            relative = delta / scale if scale > 0 else float("inf")
            changes.append((slot.name, relative, float(np.max(np.abs(new - old)))))
        return sorted(changes, key=lambda change: -change[1])

    def _why_equivalent(self, flat: np.ndarray) -> str:
        """The detail of an equivalent mutant: bitwise the same, or by how little it differs."""
        if np.array_equal(flat, self.original):
            return "parameter gradients bitwise unchanged"
        nonzero = self.original != 0  # where the original is 0, the mutant's is 0 too
        largest = float(
            np.max(np.abs(flat - self.original)[nonzero] / np.abs(self.original[nonzero]))
        )
        return (
            f"parameter gradients unchanged within {EQUIVALENCE_RTOL:g} relative "
            f"(at most {largest:.1e}: the same operations reordered)"
        )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Let a mutant overflow or divide by zero silently: a non-finite gradient is judged anyway."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            yield


def _verdict(report: Report, changes: list[tuple[str, float, float]]) -> Verdict:
    """CAUGHT or SURVIVED from a check's report, with the numbers behind it."""
    changed = ", ".join(f"{name} by {relative:.1e}" for name, relative, _ in changes[:3])
    if len(changes) > 3:
        changed += f" and {len(changes) - 3} more"
    headline = f"rel. diff {report.diff:.1e} ({report.verdict.value})"
    if not report.ok:
        if report.wrong:
            return MutantOutcome.CAUGHT, f"confirmed wrong: {', '.join(report.wrong)}; {headline}"
        return MutantOutcome.CAUGHT, f"{report.outcome.value} (not passed); {headline}"
    name, _, largest = changes[0]
    row = report.row(name)
    return (
        MutantOutcome.SURVIVED,
        f"changed {changed} (relative, ||Δ||/||g||; largest element change {largest:.1e}); "
        f"the check measured {name}'s rel. diff as {row.diff:.1e} against an estimated "
        f"finite-difference error of {row.error_bound:.1e}: {row.evidence.value}",
    )


def mutation_test(
    backward: Callable[..., Any],
    loss: Callable[..., Any],
    params: Any,
    args: Sequence[Any] = (),
    *,
    families: Iterable[str] | str | None = None,
    max_mutants: int | None = None,
    **check_options: Any,
) -> MutationReport:
    """Mutation-test a backward function `backward(params, *args) -> grads` with the check.

    The loss is `loss(params, *args) -> float`, the same arguments as the backward's; `grads`
    has the structure of `params` (or is keyed by their names), as `check` expects. The
    unmutated backward must pass the check. Then every mutant of `backward` computes its
    gradient at `params`: EQUIVALENT when it equals the original's (within
    `EQUIVALENCE_RTOL`), CRASHED when it raises or cannot be checked, else CAUGHT when
    `check(loss, params, grads)` is not ok and SURVIVED when it is. `check_options` (`h`,
    `scheme`, `margin`, ...) go to every check. `params` are never left changed.

    Example:
        def loss(p, X, y):
            return float(np.mean((X @ p["w"] - y) ** 2))

        def backward(p, X, y):
            r = X @ p["w"] - y
            return {"w": 2 * X.T @ r / len(y)}

        report = mutation_test(backward, loss, {"w": w}, (X, y))
        print(report)  # one line per mutant: outcome, family, line, the change
        report.score, report.survivors
    """
    arguments = tuple(args)

    def bound_loss(p: Any) -> Any:
        return loss(p, *arguments)

    original = backward(params, *arguments)
    judge = _GradientJudge(
        bound_loss,
        params,
        original,
        check_options,
        f"backward {plain_function(backward).__qualname__}",
    )
    report = run_mutation_test(
        backward,
        lambda mutant: judge(lambda: mutant(params, *arguments)),
        families=families,
        max_mutants=max_mutants,
    )
    report.evaluations = judge.evaluations
    return report


def mutation_test_network(
    net: Any,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    targets: Iterable[Any] | None = None,
    families: Iterable[str] | str | None = None,
    max_mutants: int | None = None,
    subject: str = "",
    **check_options: Any,
) -> list[MutationReport]:
    """Mutation-test every backward method a `gradient_check.nn.Network` runs; one report each.

    For each class's `backward` (Linear, each activation, Dropout when present, the loss),
    every mutant is bound to the network's instances of that class only (an instance
    attribute, deleted afterwards: the class is never touched) and judged at `params`:
    EQUIVALENT when the parameter gradients `net.gradients(X, Y)` are unchanged (the input
    gradient of the first layer, which nothing uses, is not among them), CRASHED when it
    raises or its gradient cannot be checked, else CAUGHT when
    `check(net.cost_fn(X, Y), net.params, grads)` is not ok and SURVIVED when it is.

    `targets` restricts the methods, by class (`Linear`), name (`"Linear"`,
    `"Linear.backward"`) or function; `families` and `max_mutants` (per method) are those of
    `run_mutation_test`; `subject` names the network in the reports; `check_options` go to
    every check. The unmutated network must pass the check.

    Example:
        net = Network.build([4, 5, 3, 1], ["relu", "relu", "sigmoid"], "binary_cross_entropy")
        for report in mutation_test_network(net, X, Y, max_mutants=20):
            print(report)
    """
    judge = _GradientJudge(
        net.cost_fn(X, Y), net.params, net.gradients(X, Y), check_options, f"network {net!r}"
    )
    reports = []
    for function, objects in backward_targets(net).items():
        if not is_selected(function, targets):
            continue
        before = judge.evaluations

        def judge_mutant(mutant: Callable[..., Any], objects: list[Any] = objects) -> Verdict:
            with installed(objects, mutant):
                return judge(lambda: net.gradients(X, Y))

        report = run_mutation_test(
            function, judge_mutant, families=families, max_mutants=max_mutants
        )
        report.subject = subject
        report.evaluations = judge.evaluations - before
        reports.append(report)
    return reports


def mutation_test_reference_networks(
    *,
    families: Iterable[str] | str | None = None,
    max_mutants: int | None = None,
    announce: Callable[[ReferenceNetwork], None] = lambda reference: None,
) -> list[MutationReport]:
    """Mutation-test the texts' two networks on their chosen batches
    (``nn.reference.reference_networks``), calling ``announce`` before each."""
    reports = []
    for reference in reference_networks():
        announce(reference)
        reports += mutation_test_network(
            reference.net,
            reference.X,
            reference.Y,
            families=families,
            max_mutants=max_mutants,
            subject=reference.name,
        )
    return reports
