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
import importlib.util
import inspect
import sys
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .mutants import (
    MutationError,
    MutationReport,
    Outcome,
    Verdict,
    _plain_function,
    run_mutation_test,
)

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
        from gradient_check.checks.gradient import check
        from gradient_check.core.flatten import flatten, flatten_like

        self._check = check
        self._flatten_like = flatten_like
        self.loss = loss
        self.params = params
        self.check_options = check_options
        self.vector = flatten(params)
        self.original = flatten_like(original_grads, self.vector)
        self.evaluations = 0
        report = check(loss, params, original_grads, **check_options)
        if not report.ok:
            raise MutationError(
                f"the unmutated {what} does not pass the check ({report.evidence.value}, "
                f"wrong: {', '.join(report.wrong) or 'none'}); mutation testing measures how "
                f"well the check catches changes to a correct gradient, so fix it first:\n{report}"
            )

    def __call__(self, compute: Callable[[], Any]) -> Verdict:
        try:
            with _quiet():
                grads = compute()
        finally:
            written = self._restore_params()  # also when the mutant raises after writing
        if written is not None:
            return Outcome.CRASHED, f"the mutant wrote into the parameters ({written}); restored"
        flat = self._flatten_like(grads, self.vector)  # a misshapen gradient raises: CRASHED
        if not np.all(np.isfinite(flat)):
            bad = int(np.flatnonzero(~np.isfinite(flat))[0])
            return (
                Outcome.CRASHED,
                f"gradient of {self.vector.label(bad)} is {flat[bad]}: not finite, so not checked",
            )
        changes = self._changes(flat)
        if not changes:
            if np.array_equal(flat, self.original):
                return Outcome.EQUIVALENT, "parameter gradients bitwise unchanged"
            nonzero = self.original != 0  # where the original is 0, the mutant's is 0 too
            largest = float(
                np.max(np.abs(flat - self.original)[nonzero] / np.abs(self.original[nonzero]))
            )
            return (
                Outcome.EQUIVALENT,
                f"parameter gradients unchanged within {EQUIVALENCE_RTOL:g} relative "
                f"(at most {largest:.1e}: the same operations reordered)",
            )
        report = self._check(self.loss, self.params, grads, **self.check_options)
        self.evaluations += report.total_evaluations
        return _verdict(report, changes)

    def _restore_params(self) -> str | None:
        """Put back parameter values a mutant changed in place; name the first one changed."""
        from gradient_check.core.flatten import leaves, real_view

        live = leaves(self.params)
        theta = np.concatenate([real_view(np.asarray(v)).astype(np.float64) for *_, v in live])
        if np.array_equal(theta, self.vector.theta):  # NaN written in compares unequal
            return None
        if theta.shape == self.vector.theta.shape:
            written = self.vector.label(int(np.flatnonzero(theta != self.vector.theta)[0]))
        else:
            written = "their structure"
        kept = leaves(self.vector.unflatten(self.vector.theta))
        for (_, _, array), (_, _, value) in zip(live, kept):
            if isinstance(array, np.ndarray):
                np.copyto(array, value)
        return written

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


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Let a mutant overflow or divide by zero silently: a non-finite gradient is judged anyway."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            yield


def _verdict(report: Any, changes: list[tuple[str, float, float]]) -> Verdict:
    """CAUGHT or SURVIVED from a check's report, with the numbers behind it."""
    changed = ", ".join(f"{name} by {relative:.1e}" for name, relative, _ in changes[:3])
    if len(changes) > 3:
        changed += f" and {len(changes) - 3} more"
    headline = f"rel. diff {report.diff:.1e} ({report.verdict.value})"
    if not report.ok:
        if report.wrong:
            return Outcome.CAUGHT, f"confirmed wrong: {', '.join(report.wrong)}; {headline}"
        return Outcome.CAUGHT, f"{report.evidence.value} (not passed); {headline}"
    name, _, largest = changes[0]
    row = report.row(name)
    return (
        Outcome.SURVIVED,
        f"changed {changed} (relative, ||Δ||/||g||; largest element change {largest:.1e}); "
        f"the check measured {name}'s rel. diff as {row.diff:.1e} against an estimated "
        f"finite-difference error of {row.error_bound:.1e}: {row.evidence.value}",
    )


# --------------------------------------------------------------------------------------------
# A user's backward function
# --------------------------------------------------------------------------------------------


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
        f"backward {_plain_function(backward).__qualname__}",
    )
    report = run_mutation_test(
        backward,
        lambda mutant: judge(lambda: mutant(params, *arguments)),
        families=families,
        max_mutants=max_mutants,
    )
    report.evaluations = judge.evaluations
    return report


def load_target(spec: str) -> tuple[Callable[..., Any], Callable[..., Any], Any, tuple[Any, ...]]:
    """Load `MODULE:FUNC` for `gradient-check mutate --target`: (backward, loss, params, args).

    MODULE is an importable module (the current directory is searched first) or a path to a
    .py file; FUNC is the backward function `FUNC(params, *args) -> grads`. The module must
    also define `loss(params, *args) -> float` and `params`, and may define `args` (a tuple,
    default empty); `params` and `args` may instead be functions of no arguments returning them.
    """
    module_name, sep, function_name = spec.rpartition(":")
    if not sep or not module_name or not function_name:
        raise MutationError(
            f"--target {spec!r} is not MODULE:FUNC; write e.g. --target mymodel:backward "
            "or --target path/to/mymodel.py:backward"
        )
    if module_name.endswith(".py"):
        module_spec = importlib.util.spec_from_file_location(
            f"_gradient_check_target_{abs(hash(module_name))}", module_name
        )
        if module_spec is None or module_spec.loader is None:
            raise MutationError(f"cannot load {module_name!r} as a Python file")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_spec.name] = module  # inspect.getsource looks the module up here
        try:
            module_spec.loader.exec_module(module)
        except FileNotFoundError as error:
            del sys.modules[module_spec.name]
            raise MutationError(f"--target: no file {module_name!r}") from error
    else:
        sys.path.insert(0, "")  # the current directory, as `python -m` has it
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            raise MutationError(
                f"--target: cannot import {module_name!r} ({error}); run from the directory "
                "holding it, or give the path of its .py file"
            ) from error
        finally:
            sys.path.remove("")
    missing = [name for name in (function_name, "loss", "params") if not hasattr(module, name)]
    if missing:
        raise MutationError(
            f"module {module_name!r} lacks {', '.join(missing)}; --target MODULE:FUNC needs "
            "FUNC(params, *args) -> grads, loss(params, *args) -> float and params "
            "(and optionally args) defined in MODULE"
        )

    def value(name: str, default: Any = None) -> Any:
        found = getattr(module, name, default)
        return found() if callable(found) else found

    return getattr(module, function_name), module.loss, value("params"), tuple(value("args", ()))


# --------------------------------------------------------------------------------------------
# The reference network of gradient_check.nn
# --------------------------------------------------------------------------------------------


def backward_targets(net: Any) -> dict[types.FunctionType, list[Any]]:
    """The backward methods `net` runs, each with the objects (layers, then the loss) running it.

    Objects are grouped by the function their class resolves `backward` to, so a subclass that
    does not override it shares its parent's entry. Layers whose class does not define a
    backward of its own (`Layer.backward` raises) are left out.
    """
    targets: dict[types.FunctionType, list[Any]] = {}
    for obj in [*net.layers, net.loss]:
        function = inspect.getattr_static(type(obj), "backward", None)
        if not isinstance(function, types.FunctionType):
            continue
        if function.__qualname__ in ("Layer.backward", "Loss.backward"):
            continue
        targets.setdefault(function, []).append(obj)
    return targets


@contextlib.contextmanager
def _installed(objects: list[Any], mutant: Callable[..., Any]) -> Iterator[None]:
    """Bind `mutant` as `backward` on each object (never its class); restore on the way out."""
    missing = object()
    saved = [(obj, vars(obj).get("backward", missing)) for obj in objects]
    try:
        for obj in objects:
            obj.backward = types.MethodType(mutant, obj)
        yield
    finally:
        for obj, previous in saved:
            if previous is missing:
                vars(obj).pop("backward", None)
            else:
                obj.backward = previous


def _selected(function: types.FunctionType, targets: Iterable[Any] | None) -> bool:
    if targets is None:
        return True
    owner = function.__qualname__.rpartition(".")[0]
    for target in targets:
        if target is function or (isinstance(target, type) and target.__name__ == owner):
            return True
        if isinstance(target, str) and target in (function.__qualname__, owner):
            return True
    return False


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
        if not _selected(function, targets):
            continue
        before = judge.evaluations

        def judge_mutant(mutant: Callable[..., Any], objects: list[Any] = objects) -> Verdict:
            with _installed(objects, mutant):
                return judge(lambda: net.gradients(X, Y))

        report = run_mutation_test(
            function, judge_mutant, families=families, max_mutants=max_mutants
        )
        report.subject = subject
        report.evaluations = judge.evaluations - before
        reports.append(report)
    return reports


def overall(reports: Iterable[MutationReport]) -> MutationReport:
    """All reports' results in one report (target "all"), for the overall counts and score."""
    reports = list(reports)
    merged = MutationReport("all", evaluations=sum(r.evaluations for r in reports))
    for report in reports:
        merged.results.extend(report.results)
    return merged


def print_mutation_reports(console: Any, reports: list[MutationReport]) -> None:
    """Print per-target counts, the overall score and the survivors with reasons (needs rich)."""
    from rich.table import Table

    table = Table(title="mutants of each backward method", show_edge=False, header_style="bold")
    show_subject = any(r.subject for r in reports)
    if show_subject:
        table.add_column("network")
    table.add_column("target")
    for header in ("mutants", *(o.value for o in Outcome), "score"):
        table.add_column(header, justify="right")
    everything = overall(reports)
    for report in [*reports, everything]:
        counts = report.counts
        cells = [str(len(report.results)), *(str(counts[o]) for o in Outcome), _score(report)]
        if report is everything:
            table.add_section()
        table.add_row(*([report.subject] if show_subject else []), report.target, *cells)
    console.print(table)
    counts = everything.counts
    decided = counts[Outcome.CAUGHT] + counts[Outcome.SURVIVED]
    console.print(
        f"The check caught {counts[Outcome.CAUGHT]} of the {decided} mutants that neither "
        f"crash nor are equivalent: score {_score(everything)}; "
        f"{everything.evaluations:,} loss evaluations by the checks."
    )
    survivors = [(r, s) for r in reports for s in r.survivors]
    if not survivors:
        console.print("No mutant survived.")
        return
    table = Table(title="survivors", show_edge=False, header_style="bold", show_lines=True)
    for header in ("target", "line", "change", "why it survived"):
        table.add_column(header, overflow="fold")
    for report, result in survivors:
        mutant = result.mutant
        target = f"{report.subject} {report.target}".strip()
        change = f"- {mutant.original_line}\n+ {mutant.mutated_line}"
        table.add_row(target, str(mutant.lineno), change, result.detail)
    console.print(table)


def _score(report: MutationReport) -> str:
    score = report.score
    return "n/a" if score is None else f"{100 * score:.1f}%"
