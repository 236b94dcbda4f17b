"""The mutation operators: each family proposes single-node edits of a function's body.

The families are the slips of a hand-written backward pass: a wrong operator, a factor too
many or too few, a lost transpose, the wrong axis, a dropped term, a flipped sign, a wrong
constant, swapped arguments and a variable mistaken for its neighbour. `OPERATORS` maps each
family to its operator; `sites.find_sites` runs them over the body.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator

from .expressions import (
    abbreviated,
    computed_values,
    describe_change,
    int_literal,
    int_value,
    is_module_expression,
    is_number,
    is_scalable,
    located,
)
from .sites import Context, Operator, Path, Scope, Site

FAMILIES: tuple[str, ...] = (
    "swap-operator",
    "add-factor",
    "drop-factor",
    "remove-transpose",
    "change-axis",
    "remove-term",
    "flip-sign",
    "change-constant",
    "swap-argument",
    "swap-variable",
)

_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.MatMult: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}
_CMPOP_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.Gt,
    ast.Gt: ast.Lt,
    ast.LtE: ast.GtE,
    ast.GtE: ast.LtE,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.Lt: "<",
    ast.Gt: ">",
    ast.LtE: "<=",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_TRANSPOSE_ATTRIBUTES = frozenset({"T", "mT"})
_TRANSPOSE_FUNCTIONS = frozenset(
    {"transpose", "swapaxes", "moveaxis", "permute_dims", "matrix_transpose"}
)
# Functions and ndarray methods whose axis can be given positionally: second argument of the
# module-level function (`np.sum(x, 0)`), first argument of the method (`x.sum(0)`).
_AXIS_FUNCTIONS = frozenset(
    {
        "sum", "mean", "max", "min", "prod", "std", "var", "argmax", "argmin", "cumsum",
        "cumprod", "amax", "amin", "nansum", "nanmean", "nanmax", "nanmin", "average",
        "median", "all", "any", "concatenate", "stack", "expand_dims", "squeeze", "flip",
        "softmax", "log_softmax", "logsumexp",
    }
)  # fmt: skip
_SWAPS_PER_VARIABLE = 2
_GRADIENT_NAME = re.compile(r"d[A-Z_]|d[a-z]$|dout")


def _swap_operator(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    family = "swap-operator"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_number(node.right):
        exponent = node.right.value + 1
        summary = f"`**{node.right.value!r}` -> `**{exponent!r}`"
        new = located(ast.Constant(exponent), node.right)
        yield Site(family, (*path, ("right", None)), new, node.lineno, summary)
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP_SWAPS:
        swapped = _BINOP_SWAPS[type(node.op)]
        suffix = "=" if isinstance(node, ast.AugAssign) else ""
        summary = f"`{_SYMBOLS[type(node.op)]}{suffix}` -> `{_SYMBOLS[swapped]}{suffix}`"
        yield Site(family, (*path, ("op", None)), swapped(), node.lineno, summary)
    elif isinstance(node, ast.Compare):
        for index, operator in enumerate(node.ops):
            if type(operator) in _CMPOP_SWAPS:
                swapped = _CMPOP_SWAPS[type(operator)]
                summary = f"`{_SYMBOLS[type(operator)]}` -> `{_SYMBOLS[swapped]}`"
                yield Site(family, (*path, ("ops", index)), swapped(), node.lineno, summary)


def _add_factor(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    for value, value_path in computed_values(node, path):
        if is_scalable(value):
            new = located(ast.BinOp(ast.Constant(2), ast.Mult(), value), value)
            yield Site("add-factor", value_path, new, value.lineno, describe_change(value, new))


def _drop_factor(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    if not isinstance(node, ast.BinOp):
        return
    if isinstance(node.op, (ast.Mult, ast.MatMult)):
        kept = [node.left, node.right]
    elif isinstance(node.op, (ast.Div, ast.FloorDiv)):
        kept = [node.left]  # dropping the divisor; dropping the dividend leaves no product
    else:
        return
    for operand in kept:
        yield Site("drop-factor", path, operand, node.lineno, describe_change(node, operand))


def _remove_transpose(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    family = "remove-transpose"
    if (
        isinstance(node, ast.Attribute)
        and node.attr in _TRANSPOSE_ATTRIBUTES
        and isinstance(node.ctx, ast.Load)
    ):
        yield Site(family, path, node.value, node.lineno, describe_change(node, node.value))
    elif isinstance(node, ast.Call):
        function = node.func
        first = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
        if isinstance(function, ast.Name) and function.id in _TRANSPOSE_FUNCTIONS:
            array = first
        elif isinstance(function, ast.Attribute) and function.attr in _TRANSPOSE_FUNCTIONS:
            array = first if is_module_expression(function.value, scope) else function.value
        else:
            array = None
        if array is not None:
            yield Site(family, path, array, node.lineno, describe_change(node, array))


def _change_axis(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    family = "change-axis"
    if not isinstance(node, ast.Call):
        return
    for index, keyword in enumerate(node.keywords):
        keyword_path: Path = (*path, ("keywords", index), ("value", None))
        if keyword.arg == "axis":
            axis = int_value(keyword.value)
            if axis is not None:
                new = int_literal(1 if axis == 0 else 0, keyword.value)
                summary = f"`axis={axis}` -> `axis={abbreviated(new)}`"
                yield Site(family, keyword_path, new, node.lineno, summary)
            if not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None):
                without = copy.copy(node)
                without.keywords = [k for k in node.keywords if k is not keyword]
                summary = f"`axis={abbreviated(keyword.value)}` removed"
                yield Site(family, path, without, node.lineno, summary)
        elif keyword.arg == "keepdims" and isinstance(keyword.value, ast.Constant):
            flag = keyword.value.value
            if isinstance(flag, bool):
                new = located(ast.Constant(not flag), keyword.value)
                summary = f"`keepdims={flag}` -> `keepdims={not flag}`"
                yield Site(family, keyword_path, new, node.lineno, summary)
    function = node.func
    if isinstance(function, ast.Attribute) and function.attr in _AXIS_FUNCTIONS:
        position = 1 if is_module_expression(function.value, scope) else 0
        positional = node.args[: position + 1]
        if len(positional) == position + 1 and not any(
            isinstance(a, ast.Starred) for a in positional
        ):
            axis = int_value(node.args[position])
            if axis is not None:
                new = int_literal(1 if axis == 0 else 0, node.args[position])
                summary = f"axis `{axis}` -> `{abbreviated(new)}`"
                yield Site(family, (*path, ("args", position)), new, node.lineno, summary)


def _remove_term(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Add, ast.Sub)):
        return
    if isinstance(node.op, ast.Add):
        remaining = [node.right, node.left]
    else:
        remaining = [located(ast.UnaryOp(ast.USub(), node.right), node), node.left]
    for term in remaining:
        yield Site("remove-term", path, term, node.lineno, describe_change(node, term))


def _flip_sign(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    family = "flip-sign"
    for value, value_path in computed_values(node, path):
        negated = isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)
        if is_scalable(value) and not negated:
            new = located(ast.UnaryOp(ast.USub(), value), value)
            yield Site(family, value_path, new, value.lineno, describe_change(value, new))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield Site(family, path, node.operand, node.lineno, describe_change(node, node.operand))


def _change_constant(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    if not is_number(node) or context.in_axis_keyword:
        return
    value = node.value
    arithmetic = isinstance(context.parent, (ast.BinOp, ast.AugAssign))
    replacements = [value + 1]
    if type(value) is int:
        if value == 1 and arithmetic:
            replacements.append(0.5)
        elif value >= 2:
            replacements.append(value - 1)
    elif type(value) is float:
        replacements += {0.5: [1.0], 1.0: [0.5], 2.0: [1.0]}.get(value, [])
    for replacement in replacements:
        new = located(ast.Constant(replacement), node)
        yield Site("change-constant", path, new, node.lineno, describe_change(node, new))


def _swap_argument(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    family = "swap-argument"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        new = located(ast.BinOp(node.right, ast.MatMult(), node.left), node)
        yield Site(family, path, new, node.lineno, describe_change(node, new))
    elif isinstance(node, ast.Call):
        arguments = node.args
        for index in range(len(arguments) - 1):
            first, second = arguments[index], arguments[index + 1]
            if isinstance(first, ast.Starred) or isinstance(second, ast.Starred):
                continue
            if ast.dump(first) == ast.dump(second):
                continue
            new = copy.copy(node)
            new.args = [*arguments[:index], second, first, *arguments[index + 2 :]]
            yield Site(family, path, new, node.lineno, describe_change(node, new))


def _variable_kind(name: str) -> tuple[bool, bool]:
    """Classify a variable as (is a gradient, is capitalised), the naming convention of backprop."""
    if name.startswith("grad"):
        return True, name[4:].lstrip("_")[:1].isupper()
    if _GRADIENT_NAME.match(name):
        return True, name[1:].lstrip("_")[:1].isupper()
    return False, name[:1].isupper()


def _swap_variable(node: ast.AST, path: Path, context: Context, scope: Scope) -> Iterator[Site]:
    if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load) or context.nested:
        return
    if path[-1][0] == "func" or node.id not in scope.definitions or node.id in ("self", "cls"):
        return
    kind = _variable_kind(node.id)
    candidates = [
        other
        for other, line in scope.definitions.items()
        if other not in (node.id, "self", "cls")
        and line < node.lineno
        and _variable_kind(other) == kind
    ]
    # The most recently defined variables are the likeliest slips (`A.T` for `A_prev.T`), and
    # bounding the swaps keeps their number linear in the length of the function.
    for other in candidates[::-1][:_SWAPS_PER_VARIABLE]:
        new = located(ast.Name(other, ast.Load()), node)
        yield Site("swap-variable", path, new, node.lineno, describe_change(node, new))


OPERATORS: dict[str, Operator] = {
    "swap-operator": _swap_operator,
    "add-factor": _add_factor,
    "drop-factor": _drop_factor,
    "remove-transpose": _remove_transpose,
    "change-axis": _change_axis,
    "remove-term": _remove_term,
    "flip-sign": _flip_sign,
    "change-constant": _change_constant,
    "swap-argument": _swap_argument,
    "swap-variable": _swap_variable,
}
