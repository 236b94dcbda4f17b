"""The expressions mutation operators read and build: literals, computed values, summaries.

Shared by the operator families of `operators`; none of it knows a family.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .sites import Path, Scope

_UNSCALABLE_VALUES = (
    ast.Starred,
    ast.Lambda,
    ast.JoinedStr,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Dict,
    ast.Set,
    ast.List,
    ast.Tuple,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.NamedExpr,
    ast.BoolOp,
)


def abbreviated(node: ast.AST, limit: int = 60) -> str:
    """The node as source, cut to `limit` characters with "..." so a summary stays one line."""
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_change(old: ast.AST, new: ast.AST) -> str:
    """A site's summary: "`old` -> `new`"."""
    return f"`{abbreviated(old)}` -> `{abbreviated(new)}`"


def located(new: ast.AST, old: ast.AST) -> ast.AST:
    """`new` with the source location of the node it replaces, so line numbers stay right."""
    return ast.copy_location(new, old)


def is_number(node: ast.AST) -> bool:
    """Whether the node is a numeric literal (not a bool, string or None)."""
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


def int_value(node: ast.AST) -> int | None:
    """Return the value of an integer literal such as `1` or `-1`, else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = int_value(node.operand)
        return None if inner is None else -inner
    return None


def int_literal(value: int, old: ast.AST) -> ast.AST:
    """The literal `value` (`-1` as unary minus, as the parser writes it) where `old` was."""
    literal = ast.Constant(abs(value))
    node = literal if value >= 0 else ast.UnaryOp(ast.USub(), literal)
    return located(node, old)


def is_module_expression(node: ast.AST, scope: Scope) -> bool:
    """Whether `node` is a module or an attribute of one (`np`, `np.linalg`)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and scope.is_module(node.id)


def computed_values(node: ast.AST, path: Path) -> Iterator[tuple[ast.expr, Path]]:
    """Yield the values a statement computes: right-hand sides and returned values, elementwise."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)):
        return
    value = node.value
    if value is None:
        return
    value_path: Path = (*path, ("value", None))
    if isinstance(value, (ast.Tuple, ast.List)):
        for index, element in enumerate(value.elts):
            yield element, (*value_path, ("elts", index))
    elif isinstance(value, ast.Dict):
        for index, (key, item) in enumerate(zip(value.keys, value.values)):
            if key is not None:
                yield item, (*value_path, ("values", index))
    elif isinstance(node, ast.Assign) and any(
        isinstance(target, (ast.Tuple, ast.List)) for target in node.targets
    ):
        return  # scaling a sequence that is unpacked would repeat it, not scale it
    else:
        yield value, value_path


def is_scalable(node: ast.expr) -> bool:
    """Whether `2 * node` or `-node` is a number or array like `node`, not a repeated sequence."""
    if isinstance(node, ast.Constant):
        return is_number(node)
    return not isinstance(node, _UNSCALABLE_VALUES)
