"""Mutation sites: the places in a function's body where an operator can change one node.

A site is addressed by its path from the `def` (field names and list indices), so it can be
applied to a fresh copy of the definition without touching the original. Walking the body
skips what is not computation: the docstring, decorators, the signature, annotations,
exception types and match patterns, f-strings, imports and `global`/`nonlocal`.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

Path = tuple[tuple[str, int | None], ...]
Definition = ast.FunctionDef | ast.AsyncFunctionDef

_NESTED_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
# Parts of a node that are not computation of the body: decorators, signatures, annotations,
# exception types and match patterns.
_SKIPPED_FIELDS: dict[type[ast.AST], frozenset[str]] = {
    ast.FunctionDef: frozenset({"decorator_list", "args", "returns", "type_params"}),
    ast.AsyncFunctionDef: frozenset({"decorator_list", "args", "returns", "type_params"}),
    ast.ClassDef: frozenset({"decorator_list", "bases", "keywords", "type_params"}),
    ast.Lambda: frozenset({"args"}),
    ast.AnnAssign: frozenset({"annotation"}),
    ast.ExceptHandler: frozenset({"type"}),
    ast.match_case: frozenset({"pattern", "guard"}),
}
_UNMUTATED_NODES = (ast.JoinedStr, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)


@dataclass(frozen=True)
class Site:
    """One mutation: put `replacement` at `path` inside the function definition."""

    family: str
    path: Path
    replacement: ast.AST
    lineno: int
    summary: str


@dataclass(frozen=True)
class Context:
    """Where a node sits: its parent, whether it is an axis argument, whether in a nested scope."""

    parent: ast.AST | None = None
    in_axis_keyword: bool = False
    nested: bool = False


@dataclass(frozen=True)
class Scope:
    """What the operators know about the function: its local variables and its modules."""

    is_module: Callable[[str], bool]
    definitions: dict[str, int]


Operator = Callable[[ast.AST, Path, Context, Scope], Iterator[Site]]
"""A mutation operator: the sites it proposes at one node of the body."""


def get_node(root: ast.AST, path: Path) -> ast.AST:
    """Return the node reached from `root` by following `path`."""
    node = root
    for name, index in path:
        node = getattr(node, name) if index is None else getattr(node, name)[index]
    return node


def apply_site(definition: Definition, site: Site) -> ast.AST:
    """Return a copy of `definition` with the site's mutation applied; the original is kept."""
    mutated = copy.deepcopy(definition)
    parent = get_node(mutated, site.path[:-1])
    name, index = site.path[-1]
    replacement = copy.deepcopy(site.replacement)
    if index is None:
        setattr(parent, name, replacement)
    else:
        getattr(parent, name)[index] = replacement
    return ast.fix_missing_locations(mutated)


def find_sites(
    definition: Definition, operators: Iterable[Operator], is_module: Callable[[str], bool]
) -> Iterator[Site]:
    """Yield the sites the operators propose in the function body, operator by operator, each
    in source order. `is_module(name)` tells whether a name of the function is a module."""
    nodes = [
        visited
        for index, statement in enumerate(definition.body)
        if not _is_unmutated(statement)
        for visited in _walk(statement, (("body", index),), Context())
    ]
    scope = Scope(is_module, _local_definitions(definition))
    for operator in operators:
        for node, path, context in nodes:
            yield from operator(node, path, context, scope)


def statement_path(definition: Definition, path: Path) -> Path:
    """The path of the innermost statement holding the node at `path`: the line a diff shows."""
    for end in range(len(path), 0, -1):
        if isinstance(get_node(definition, path[:end]), ast.stmt):
            return path[:end]
    raise AssertionError(f"mutation site {path} is outside the function body")


def _walk(node: ast.AST, path: Path, context: Context) -> Iterator[tuple[ast.AST, Path, Context]]:
    yield node, path, context
    skipped = _SKIPPED_FIELDS.get(type(node), frozenset())
    for name, value in ast.iter_fields(node):
        if name in skipped:
            continue
        child_context = replace(
            context,
            parent=node,
            in_axis_keyword=context.in_axis_keyword
            or (isinstance(node, ast.keyword) and node.arg in ("axis", "keepdims")),
            nested=context.nested or isinstance(node, _NESTED_SCOPES),
        )
        children = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, child in children:
            if isinstance(child, ast.AST) and not _is_unmutated(child):
                yield from _walk(child, (*path, (name, index)), child_context)


def _is_unmutated(node: ast.AST) -> bool:
    is_docstring = (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
    return is_docstring or isinstance(node, _UNMUTATED_NODES)


def _scope_nodes(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    """Yield the nodes of `statements`, not entering nested functions, classes or comprehensions."""
    stack: list[ast.AST] = list(reversed(statements))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _NESTED_SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _local_definitions(definition: Definition) -> dict[str, int]:
    """Map each local variable to the line of its first binding (0 for parameters), by line."""
    arguments = definition.args
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    parameters += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    definitions = {parameter.arg: 0 for parameter in parameters}
    declared: set[str] = set()
    for node in _scope_nodes(definition.body):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            line = definitions.get(node.id, node.lineno)
            definitions[node.id] = min(line, node.lineno)
    ordered = sorted(definitions.items(), key=lambda item: item[1])
    return {name: line for name, line in ordered if name not in declared}
