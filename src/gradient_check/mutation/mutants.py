"""Mutation testing of backward passes: change one line of a gradient and see if the check notices.

`generate_mutants` makes mutants of a function (one AST change each, grouped in families such
as "swap-operator" or "remove-transpose"), and `run_mutation_test` hands each mutant to a
caller-supplied judge (typically: install the mutant, run the gradient checker, report whether
it caught the change) and collects the outcomes in a `MutationReport`.

This module knows nothing of the checker; `mutation_check` makes the checker the judge.
"""

from __future__ import annotations

import ast
import copy
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from gradient_check.errors import GradientCheckError
from gradient_check.mutation.operators import FAMILIES, Path, apply_site, find_sites, get_node

__all__ = [
    "FAMILIES",
    "Mutant",
    "MutantResult",
    "MutationError",
    "MutationReport",
    "Outcome",
    "generate_mutants",
    "run_mutation_test",
]

_MUTANT_NAME = "__gradient_check_mutant__"
_FACTORY_NAME = "__gradient_check_factory__"

Definition = ast.FunctionDef | ast.AsyncFunctionDef


class MutationError(GradientCheckError, ValueError):
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
