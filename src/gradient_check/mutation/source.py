"""The function behind a callable, and its `def` as an AST with the line numbers of its file.

Mutants are made from the source text, so only a function defined with `def` in a file can be
mutated; everything else is refused here with a `MutationError` saying what to pass instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Callable
from typing import Any

from .errors import MutationError
from .sites import Definition


def plain_function(fn: Callable[..., Any]) -> types.FunctionType:
    """The plain function `fn` runs: methods, static and class methods and `functools.wraps`
    wrappers unwrapped. Its `__qualname__` names the target in every report."""
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


def parse_definition(function: types.FunctionType) -> Definition:
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


def module_lookup(function: types.FunctionType) -> Callable[[str], bool]:
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
