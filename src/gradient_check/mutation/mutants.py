"""Mutants of a function: copies with one AST change each, compiled to run like the original.

`generate_mutants` makes the distinct mutants of a function's body, one per site the chosen
operator families propose, and `Mutant.make_function` turns one into a plain function with the
original's globals, closure, defaults and names, so it can stand in for the original.
"""

from __future__ import annotations

import ast
import copy
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import MutationError
from .operators import FAMILIES, OPERATORS
from .sites import apply_site, find_sites, get_node, statement_path
from .source import module_lookup, parse_definition, plain_function

_MUTANT_NAME = "__gradient_check_mutant__"
_FACTORY_NAME = "__gradient_check_factory__"
MUTANT_FILENAME_PREFIX = "<mutant of "
"""Start of the file name a mutant's code carries: a traceback through it is the mutant's."""


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


def generate_mutants(
    fn: Callable[..., Any], *, families: Iterable[str] | str | None = None
) -> list[Mutant]:
    """Return the distinct single-change mutants of `fn`'s body, by family then source order.

    `fn` is a function or method defined with `def` in a source file; decorators are stripped
    (a `functools.wraps` wrapper is unwrapped to the function it wraps) and the docstring,
    signature and annotations are never mutated. `families` restricts the mutation operators
    to a subset of `FAMILIES`.
    """
    operators = [OPERATORS[family] for family in _select_families(families)]
    function = plain_function(fn)
    definition = parse_definition(function)
    filename = f"{MUTANT_FILENAME_PREFIX}{function.__qualname__}>"
    seen = {ast.unparse(definition)}
    mutants = []
    for site in find_sites(definition, operators, module_lookup(function)):
        mutated = apply_site(definition, site)
        source = ast.unparse(mutated)
        if source in seen:
            continue
        seen.add(source)
        try:
            code = _compile(mutated, function, filename)
        except SyntaxError:
            continue  # a stillborn mutant: not a program, so nothing for a check to catch
        statement = statement_path(definition, site.path)
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


def _first_line(statement: ast.AST) -> str:
    """Unparse a statement on one line (the header, for compound statements)."""
    return ast.unparse(statement).splitlines()[0]
