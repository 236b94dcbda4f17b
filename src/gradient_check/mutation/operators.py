"""AST mutation operators: each family proposes single-node edits of a function's body."""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

Path = tuple[tuple[str, int | None], ...]

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
_SWAPS_PER_VARIABLE = 2
_GRADIENT_NAME = re.compile(r"d[A-Z_]|d[a-z]$|dout")


@dataclass(frozen=True)
class Site:
    """One mutation: put `replacement` at `path` inside the function definition."""

    family: str
    path: Path
    replacement: ast.AST
    lineno: int
    summary: str


@dataclass(frozen=True)
class _Context:
    """Where a node sits: its parent, whether it is an axis argument, whether in a nested scope."""

    parent: ast.AST | None = None
    in_axis_keyword: bool = False
    nested: bool = False


@dataclass(frozen=True)
class _Scope:
    """What the operators know about the function: its local variables and its modules."""

    is_module: Callable[[str], bool]
    definitions: dict[str, int]


def get_node(root: ast.AST, path: Path) -> ast.AST:
    """Return the node reached from `root` by following `path`."""
    node = root
    for name, index in path:
        node = getattr(node, name) if index is None else getattr(node, name)[index]
    return node


def apply_site(definition: ast.FunctionDef | ast.AsyncFunctionDef, site: Site) -> ast.AST:
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
    definition: ast.FunctionDef | ast.AsyncFunctionDef,
    families: tuple[str, ...],
    is_module: Callable[[str], bool],
) -> Iterator[Site]:
    """Yield the mutation sites of the function body, family by family in source order."""
    nodes = [
        visited
        for index, statement in enumerate(definition.body)
        if not _is_unmutated(statement)
        for visited in _walk(statement, (("body", index),), _Context())
    ]
    scope = _Scope(is_module, _local_definitions(definition))
    for family in families:
        operator = _OPERATORS[family]
        for node, path, context in nodes:
            yield from operator(node, path, context, scope)


def _walk(node: ast.AST, path: Path, context: _Context) -> Iterator[tuple[ast.AST, Path, _Context]]:
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


def _local_definitions(definition: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, int]:
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


def _unparse(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _change(old: ast.AST, new: ast.AST) -> str:
    return f"`{_unparse(old)}` -> `{_unparse(new)}`"


def _located(new: ast.AST, old: ast.AST) -> ast.AST:
    return ast.copy_location(new, old)


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


def _int_value(node: ast.AST) -> int | None:
    """Return the value of an integer literal such as `1` or `-1`, else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_value(node.operand)
        return None if inner is None else -inner
    return None


def _int_node(value: int, old: ast.AST) -> ast.AST:
    literal = ast.Constant(abs(value))
    node = literal if value >= 0 else ast.UnaryOp(ast.USub(), literal)
    return _located(node, old)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_module_expression(node: ast.AST, scope: _Scope) -> bool:
    root = _root_name(node)
    return root is not None and scope.is_module(root)


def _value_targets(node: ast.AST, path: Path) -> Iterator[tuple[ast.expr, Path]]:
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


def _is_scalable(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return _is_number(node)
    return not isinstance(node, _UNSCALABLE_VALUES)


def _swap_operator(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    family = "swap-operator"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _is_number(node.right):
        exponent = node.right.value + 1
        summary = f"`**{node.right.value!r}` -> `**{exponent!r}`"
        new = _located(ast.Constant(exponent), node.right)
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


def _add_factor(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    for value, value_path in _value_targets(node, path):
        if _is_scalable(value):
            new = _located(ast.BinOp(ast.Constant(2), ast.Mult(), value), value)
            yield Site("add-factor", value_path, new, value.lineno, _change(value, new))


def _drop_factor(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    if not isinstance(node, ast.BinOp):
        return
    if isinstance(node.op, (ast.Mult, ast.MatMult)):
        kept = [node.left, node.right]
    elif isinstance(node.op, (ast.Div, ast.FloorDiv)):
        kept = [node.left]  # dropping the divisor; dropping the dividend leaves no product
    else:
        return
    for operand in kept:
        yield Site("drop-factor", path, operand, node.lineno, _change(node, operand))


def _remove_transpose(
    node: ast.AST, path: Path, context: _Context, scope: _Scope
) -> Iterator[Site]:
    family = "remove-transpose"
    if (
        isinstance(node, ast.Attribute)
        and node.attr in _TRANSPOSE_ATTRIBUTES
        and isinstance(node.ctx, ast.Load)
    ):
        yield Site(family, path, node.value, node.lineno, _change(node, node.value))
    elif isinstance(node, ast.Call):
        function = node.func
        first = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
        if isinstance(function, ast.Name) and function.id in _TRANSPOSE_FUNCTIONS:
            array = first
        elif isinstance(function, ast.Attribute) and function.attr in _TRANSPOSE_FUNCTIONS:
            array = first if _is_module_expression(function.value, scope) else function.value
        else:
            array = None
        if array is not None:
            yield Site(family, path, array, node.lineno, _change(node, array))


def _change_axis(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    family = "change-axis"
    if not isinstance(node, ast.Call):
        return
    for index, keyword in enumerate(node.keywords):
        keyword_path: Path = (*path, ("keywords", index), ("value", None))
        if keyword.arg == "axis":
            axis = _int_value(keyword.value)
            if axis is not None:
                new = _int_node(1 if axis == 0 else 0, keyword.value)
                summary = f"`axis={axis}` -> `axis={_unparse(new)}`"
                yield Site(family, keyword_path, new, node.lineno, summary)
            if not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None):
                without = copy.copy(node)
                without.keywords = [k for k in node.keywords if k is not keyword]
                summary = f"`axis={_unparse(keyword.value)}` removed"
                yield Site(family, path, without, node.lineno, summary)
        elif keyword.arg == "keepdims" and isinstance(keyword.value, ast.Constant):
            flag = keyword.value.value
            if isinstance(flag, bool):
                new = _located(ast.Constant(not flag), keyword.value)
                summary = f"`keepdims={flag}` -> `keepdims={not flag}`"
                yield Site(family, keyword_path, new, node.lineno, summary)
    function = node.func
    if isinstance(function, ast.Attribute) and function.attr in _AXIS_FUNCTIONS:
        position = 1 if _is_module_expression(function.value, scope) else 0
        positional = node.args[: position + 1]
        if len(positional) == position + 1 and not any(
            isinstance(a, ast.Starred) for a in positional
        ):
            axis = _int_value(node.args[position])
            if axis is not None:
                new = _int_node(1 if axis == 0 else 0, node.args[position])
                summary = f"axis `{axis}` -> `{_unparse(new)}`"
                yield Site(family, (*path, ("args", position)), new, node.lineno, summary)


def _remove_term(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Add, ast.Sub)):
        return
    if isinstance(node.op, ast.Add):
        remaining = [node.right, node.left]
    else:
        remaining = [_located(ast.UnaryOp(ast.USub(), node.right), node), node.left]
    for term in remaining:
        yield Site("remove-term", path, term, node.lineno, _change(node, term))


def _flip_sign(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    family = "flip-sign"
    for value, value_path in _value_targets(node, path):
        negated = isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)
        if _is_scalable(value) and not negated:
            new = _located(ast.UnaryOp(ast.USub(), value), value)
            yield Site(family, value_path, new, value.lineno, _change(value, new))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield Site(family, path, node.operand, node.lineno, _change(node, node.operand))


def _change_constant(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    if not _is_number(node) or context.in_axis_keyword:
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
        new = _located(ast.Constant(replacement), node)
        yield Site("change-constant", path, new, node.lineno, _change(node, new))


def _swap_argument(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
    family = "swap-argument"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        new = _located(ast.BinOp(node.right, ast.MatMult(), node.left), node)
        yield Site(family, path, new, node.lineno, _change(node, new))
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
            yield Site(family, path, new, node.lineno, _change(node, new))


def _variable_kind(name: str) -> tuple[bool, bool]:
    """Classify a variable as (is a gradient, is capitalised), the naming convention of backprop."""
    if name.startswith("grad"):
        return True, name[4:].lstrip("_")[:1].isupper()
    if _GRADIENT_NAME.match(name):
        return True, name[1:].lstrip("_")[:1].isupper()
    return False, name[:1].isupper()


def _swap_variable(node: ast.AST, path: Path, context: _Context, scope: _Scope) -> Iterator[Site]:
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
        new = _located(ast.Name(other, ast.Load()), node)
        yield Site("swap-variable", path, new, node.lineno, _change(node, new))


_OPERATORS: dict[str, Callable[[ast.AST, Path, _Context, _Scope], Iterator[Site]]] = {
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
