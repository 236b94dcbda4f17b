"""Mutation testing of backward passes: change one line of a gradient and see if the check notices.

`generate_mutants` makes mutants of a function (one AST change each, grouped in families such
as "swap-operator" or "remove-transpose"), and `run_mutation_test` hands each mutant to a
caller-supplied judge (typically: install the mutant, run the gradient checker, report whether
it caught the change) and collects the outcomes in a `MutationReport`.

On top of those, the checker's own mutation tests:

- `mutation_test(backward, loss, params, args)`: a plain function `backward(params, *args)`
  returning the gradient of `loss(params, *args)`.
- `mutation_test_network(net, X, Y)`: every backward method a `gradient_check.nn.Network` runs
  (each layer class's and the loss's), mutated on the network's own instances only.
- `reference_networks()`: the texts' two networks with data chosen for the purpose, which
  `gradient-check mutate` and `benchmarks/bench_mutation.py` test.

A mutant is EQUIVALENT when the parameter gradients the check sees are unchanged (every
element within 1e-13 relative of the original's, zeros exactly zero), CRASHED when it raises or
its gradient cannot be checked (wrong shape, not finite), and otherwise CAUGHT when the check's
report is not ok and SURVIVED when it is.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib.util
import inspect
import sys
import textwrap
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from gradient_check._mutants import FAMILIES, Path, apply_site, find_sites, get_node

__all__ = [
    "FAMILIES",
    "Mutant",
    "MutantResult",
    "MutationError",
    "MutationReport",
    "Outcome",
    "ReferenceNetwork",
    "backward_targets",
    "generate_mutants",
    "load_target",
    "mutation_test",
    "mutation_test_network",
    "overall",
    "print_mutation_reports",
    "reference_networks",
    "run_mutation_test",
]

_MUTANT_NAME = "__gradient_check_mutant__"
_FACTORY_NAME = "__gradient_check_factory__"

Definition = ast.FunctionDef | ast.AsyncFunctionDef


class MutationError(ValueError):
    """Raised when a function cannot be mutated or a mutation test is misconfigured."""


class Outcome(Enum):
    """What happened to a mutant: caught or missed by the check, crashed, or changing nothing."""

    CAUGHT = "caught"
    SURVIVED = "survived"
    CRASHED = "crashed"
    EQUIVALENT = "equivalent"


@dataclass(frozen=True)
class Mutant:
    """A copy of a function with one AST change, and the diff line that shows the change."""

    family: str
    description: str
    lineno: int
    original_line: str
    mutated_line: str
    source: str = field(repr=False)
    _code: types.CodeType = field(repr=False, compare=False)
    _original: types.FunctionType = field(repr=False, compare=False)

    def make_function(self) -> Callable[..., Any]:
        """Return a fresh plain function running the mutated body, with the original's names.

        Globals are a copy of the original's module namespace and closure cells are copies of
        the original's, so running the mutant cannot rebind anything the original sees. For a
        method the result takes `self` first; bind it with `types.MethodType(f, obj)`.
        """
        original = self._original
        cells = dict(zip(original.__code__.co_freevars, original.__closure__ or ()))
        closure = tuple(_copy_cell(cells.get(name)) for name in self._code.co_freevars)
        mutant = types.FunctionType(
            self._code, dict(original.__globals__), None, original.__defaults__, closure
        )
        mutant.__kwdefaults__ = copy.copy(original.__kwdefaults__)
        mutant.__qualname__ = original.__qualname__
        mutant.__module__ = original.__module__
        mutant.__doc__ = original.__doc__
        mutant.__annotations__ = dict(original.__annotations__)
        return mutant


@dataclass(frozen=True)
class MutantResult:
    """The outcome of one mutant, with the judge's or the exception's explanation."""

    mutant: Mutant
    outcome: Outcome
    detail: str = ""


@dataclass
class MutationReport:
    """The outcomes of all mutants of one function, and the mutation score of the check."""

    target: str
    results: list[MutantResult] = field(default_factory=list)
    subject: str = ""
    """Where the target was tested, e.g. the network's name; empty when it stands alone."""
    evaluations: int = 0
    """Loss evaluations made by the checks of the mutants (the reference check's excluded)."""

    @property
    def counts(self) -> dict[Outcome, int]:
        """Number of mutants per outcome, every outcome present."""
        counts = dict.fromkeys(Outcome, 0)
        for result in self.results:
            counts[result.outcome] += 1
        return counts

    @property
    def score(self) -> float | None:
        """Fraction of the mutants that neither crash nor are equivalent that the check caught."""
        counts = self.counts
        decided = counts[Outcome.CAUGHT] + counts[Outcome.SURVIVED]
        return counts[Outcome.CAUGHT] / decided if decided else None

    @property
    def survivors(self) -> list[MutantResult]:
        """The results of the mutants the check missed."""
        return [r for r in self.results if r.outcome is Outcome.SURVIVED]

    def __str__(self) -> str:
        counts = self.counts
        tally = ", ".join(f"{counts[o]} {o.value}" for o in Outcome)
        caught, survived = counts[Outcome.CAUGHT], counts[Outcome.SURVIVED]
        score = self.score
        score_text = "n/a" if score is None else f"{score:.3f} ({caught}/{caught + survived})"
        lines = [
            f"Mutation test of {self.target}: {len(self.results)} mutants ({tally}); "
            f"score {score_text}"
        ]
        if not self.results:
            return lines[0]
        ordered = sorted(self.results, key=lambda r: r.outcome is not Outcome.SURVIVED)
        rows = [(r.outcome.value, r.mutant.family, str(r.mutant.lineno)) for r in ordered]
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(_HEADER)]
        indent = " " * (sum(widths) + 2 * len(widths))

        def row(cells: tuple[str, ...], change: str) -> str:
            outcome, family, line = cells
            return (
                f"{outcome:<{widths[0]}}  {family:<{widths[1]}}  {line:>{widths[2]}}  {change}"
            ).rstrip()

        lines += [row(_HEADER, "change"), row(tuple("-" * w for w in widths), "------")]
        for result, cells in zip(ordered, rows):
            lines.append(row(cells, f"- {result.mutant.original_line}"))
            lines.append(f"{indent}+ {result.mutant.mutated_line}")
            if result.detail:
                lines.append(f"{indent}  {result.detail}")
        return "\n".join(lines)


_HEADER = ("outcome", "family", "line")

Verdict = Outcome | tuple[Outcome, str]


def generate_mutants(
    fn: Callable[..., Any], *, families: Iterable[str] | str | None = None
) -> list[Mutant]:
    """Return the distinct single-change mutants of `fn`'s body, by family then source order.

    `fn` is a function or method defined with `def` in a source file; decorators are stripped
    (a `functools.wraps` wrapper is unwrapped to the function it wraps) and the docstring,
    signature and annotations are never mutated. `families` restricts the mutation operators
    to a subset of `FAMILIES`.
    """
    selected = _select_families(families)
    function = _plain_function(fn)
    definition = _parse_definition(function)
    filename = f"<mutant of {function.__qualname__}>"
    seen = {ast.unparse(definition)}
    mutants = []
    for site in find_sites(definition, selected, _module_lookup(function)):
        mutated = apply_site(definition, site)
        source = ast.unparse(mutated)
        if source in seen:
            continue
        seen.add(source)
        try:
            code = _compile(mutated, function, filename)
        except SyntaxError:
            continue  # a stillborn mutant: not a program, so nothing for a check to catch
        statement = _statement_path(definition, site.path)
        mutants.append(
            Mutant(
                family=site.family,
                description=f"line {site.lineno}: {site.summary}",
                lineno=site.lineno,
                original_line=_first_line(get_node(definition, statement)),
                mutated_line=_first_line(get_node(mutated, statement)),
                source=source,
                _code=code,
                _original=function,
            )
        )
    return mutants


def run_mutation_test(
    fn: Callable[..., Any],
    judge: Callable[[Callable[..., Any]], Verdict],
    *,
    families: Iterable[str] | str | None = None,
    max_mutants: int | None = None,
) -> MutationReport:
    """Judge every mutant of `fn` and report which ones the check caught and which survived.

    `judge(mutant_fn)` returns an `Outcome` (or an `(Outcome, detail)` pair); an `Exception`
    it lets through is recorded as CRASHED, while `KeyboardInterrupt` and other
    `BaseException`s propagate. `max_mutants` keeps at most that many mutants, taken
    round-robin across families so each family is represented.
    """
    if max_mutants is not None and (
        isinstance(max_mutants, bool) or not isinstance(max_mutants, int) or max_mutants < 0
    ):
        raise MutationError(
            f"max_mutants must be a non-negative int or None, got {max_mutants!r}; "
            "pass e.g. max_mutants=50 to bound the run time"
        )
    mutants = generate_mutants(fn, families=families)
    if max_mutants is not None:
        mutants = _round_robin(mutants, max_mutants)
    report = MutationReport(target=_plain_function(fn).__qualname__)
    for mutant in mutants:
        try:
            verdict = judge(mutant.make_function())
        except Exception as error:
            report.results.append(MutantResult(mutant, Outcome.CRASHED, _crash_detail(error)))
            continue
        outcome, detail = _unpack_verdict(verdict)
        report.results.append(MutantResult(mutant, outcome, detail))
    return report


def _select_families(families: Iterable[str] | str | None) -> tuple[str, ...]:
    if families is None:
        return FAMILIES
    requested = [families] if isinstance(families, str) else list(families)
    unknown = [name for name in requested if name not in FAMILIES]
    if unknown:
        raise MutationError(
            f"families contains unknown mutation families {unknown}; "
            f"choose among {', '.join(FAMILIES)}"
        )
    return tuple(name for name in FAMILIES if name in requested)


def _plain_function(fn: Callable[..., Any]) -> types.FunctionType:
    function: Any = fn
    if isinstance(function, (staticmethod, classmethod, types.MethodType)):
        function = function.__func__
    function = inspect.unwrap(function)
    if isinstance(function, types.MethodType):
        function = function.__func__
    if not isinstance(function, types.FunctionType):
        raise MutationError(
            f"fn must be a Python function defined with `def`, got {type(fn).__name__} {fn!r}; "
            "pass the function or method itself (e.g. `Linear.backward`), not a builtin, "
            "partial or callable object"
        )
    if function.__code__.co_name == "<lambda>":
        raise MutationError(
            f"fn is a lambda ({fn!r}), which has no statements to mutate; "
            "rewrite it as a function defined with `def`"
        )
    return function


def _parse_definition(function: types.FunctionType) -> Definition:
    """Parse the function's `def`, with line numbers of its file and without decorators."""
    try:
        lines, start = inspect.getsourcelines(function)
    except (OSError, TypeError) as error:
        raise MutationError(
            f"cannot read the source of fn={function.__qualname__!r} ({error}); define it with "
            "`def` in a .py file, not in exec, eval or an interactive prompt"
        ) from error
    source = "".join(lines)
    try:
        tree = ast.parse(textwrap.dedent(source))
        definition, offset = tree.body[0], start - 1
    except SyntaxError:
        # dedent fails when a multi-line string is indented less than the def; wrap instead
        tree = ast.parse("if 1:\n" + source)
        definition, offset = tree.body[0].body[0], start - 2
    if not (
        isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef))
        and definition.name == function.__code__.co_name
    ):
        raise MutationError(
            f"the source found for fn={function.__qualname__!r} is not its `def`; "
            "was the file edited after it was imported? Reload the module"
        )
    ast.increment_lineno(definition, offset)
    definition.decorator_list = []
    return definition


def _module_lookup(function: types.FunctionType) -> Callable[[str], bool]:
    """Return a predicate telling whether a name in `function` refers to a module."""
    cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))

    def is_module(name: str) -> bool:
        if name in cells:
            try:
                return isinstance(cells[name].cell_contents, types.ModuleType)
            except ValueError:
                return False
        return isinstance(function.__globals__.get(name), types.ModuleType)

    return is_module


def _compile(mutated: ast.AST, function: types.FunctionType, filename: str) -> types.CodeType:
    """Compile the mutated def inside a factory whose parameters are the original's free variables.

    Compiling the def nested in such a factory gives it real closure cells, so `nonlocal` and
    zero-argument `super()` (which needs the `__class__` cell) work as in the original.
    """
    definition = copy.copy(mutated)
    definition.name = _MUTANT_NAME
    freevars = function.__code__.co_freevars
    module = ast.parse(f"def {_FACTORY_NAME}({', '.join(freevars)}):\n    pass\n")
    module.body[0].body = [definition, ast.Return(ast.Name(_MUTANT_NAME, ast.Load()))]
    ast.fix_missing_locations(module)
    code = compile(module, filename, "exec", dont_inherit=True)
    factory = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    mutant = next(
        c for c in factory.co_consts if isinstance(c, types.CodeType) and c.co_name == _MUTANT_NAME
    )
    names = {"co_name": function.__code__.co_name}
    if sys.version_info >= (3, 11):
        names["co_qualname"] = function.__code__.co_qualname
    return mutant.replace(**names)


def _copy_cell(cell: types.CellType | None) -> types.CellType:
    try:
        return types.CellType(cell.cell_contents) if cell is not None else types.CellType()
    except ValueError:  # the original cell is empty
        return types.CellType()


def _statement_path(definition: Definition, path: Path) -> Path:
    for end in range(len(path), 0, -1):
        if isinstance(get_node(definition, path[:end]), ast.stmt):
            return path[:end]
    raise AssertionError(f"mutation site {path} is outside the function body")


def _first_line(statement: ast.AST) -> str:
    """Unparse a statement on one line (the header, for compound statements)."""
    return ast.unparse(statement).splitlines()[0]


def _round_robin(mutants: list[Mutant], limit: int) -> list[Mutant]:
    by_family: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_family.setdefault(mutant.family, []).append(mutant)
    chosen: set[int] = set()
    queues = [iter(group) for group in by_family.values()]
    while queues and len(chosen) < limit:
        for queue in list(queues):
            mutant = next(queue, None)
            if mutant is None:
                queues.remove(queue)
            elif len(chosen) < limit:
                chosen.add(id(mutant))
    return [m for m in mutants if id(m) in chosen]


def _crash_detail(error: Exception) -> str:
    """Describe an exception as `Type: message`, and the mutant's line if raised in the mutant."""
    detail = f"{type(error).__name__}: {str(error).strip()}"
    traceback = error.__traceback__
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename.startswith("<mutant of "):
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return detail if line is None else f"{detail} (raised at line {line})"


def _unpack_verdict(verdict: Verdict) -> tuple[Outcome, str]:
    if isinstance(verdict, Outcome):
        return verdict, ""
    if (
        isinstance(verdict, tuple)
        and len(verdict) == 2
        and isinstance(verdict[0], Outcome)
        and isinstance(verdict[1], str)
    ):
        return verdict
    raise TypeError(
        f"judge must return an Outcome or an (Outcome, detail) pair, got {verdict!r}; "
        "return e.g. Outcome.CAUGHT when the check reports the mutant's gradient as wrong"
    )


# --------------------------------------------------------------------------------------------
# The gradient checker as the judge
# --------------------------------------------------------------------------------------------

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
        from gradient_check.check import check
        from gradient_check.flatten import flatten, flatten_like

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
        from gradient_check.flatten import _walk, real_view

        live: list = []
        _walk(self.params, (), "", live)
        theta = np.concatenate([real_view(np.asarray(v)).astype(np.float64) for *_, v in live])
        if np.array_equal(theta, self.vector.theta):  # NaN written in compares unequal
            return None
        if theta.shape == self.vector.theta.shape:
            written = self.vector.label(int(np.flatnonzero(theta != self.vector.theta)[0]))
        else:
            written = "their structure"
        kept: list = []
        _walk(self.vector.unflatten(self.vector.theta), (), "", kept)
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


@dataclass(frozen=True)
class ReferenceNetwork:
    """One of the texts' networks, with a batch to check it on."""

    name: str
    net: Any
    X: np.ndarray
    Y: np.ndarray


def reference_networks() -> list[ReferenceNetwork]:
    """The texts' two networks, with data that keeps accidental equivalence and kinks away.

    - "7-16-12-10": sigmoid, tanh, softmax, cross-entropy, L2 λ = 0.1.
    - "4-5-3-1": relu, relu, sigmoid, binary cross-entropy.

    Each batch has m = 11 rows of standard normal inputs: m differs from every layer width, so
    a mutant that confuses the batch axis with a unit axis gives other numbers (or shapes), not
    the same ones; the values have no symmetry a swapped axis or argument could hide behind.
    For the ReLU network the seeds are chosen so that every pre-activation is at least 0.02
    away from the kink at 0 (a finite difference step moves it by about 1e-5) and every ReLU
    unit is on for some rows and off for others, so a mutated mask changes the gradient.
    """
    from gradient_check import nn

    rng = np.random.default_rng(1)
    X1 = rng.standard_normal((11, 7))
    Y1 = nn.one_hot(rng.integers(0, 10, 11), 10)
    first = nn.Network.build(
        [7, 16, 12, 10], ["sigmoid", "tanh", "softmax"], "cross_entropy", seed=0, l2=0.1
    )
    rng = np.random.default_rng(8)
    X2 = rng.standard_normal((11, 4))
    Y2 = (rng.random((11, 1)) > 0.5).astype(float)
    second = nn.Network.build(
        [4, 5, 3, 1], ["relu", "relu", "sigmoid"], "binary_cross_entropy", seed=2
    )
    return [
        ReferenceNetwork("7-16-12-10", first, X1, Y1),
        ReferenceNetwork("4-5-3-1", second, X2, Y2),
    ]


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
