"""The checks' modules stay small and talk through public names (issue 13).

Each piece of logic shared by the checks lives once, in ``checks.derivatives`` (options,
modes, conventions, the derivative's precision, the opening steps) or ``checks.blocks``
(Jacobian blocks as a matrix); no check imports another check's internals.
"""

import ast
from pathlib import Path

import pytest

import gradient_check.checks

CHECKS = Path(gradient_check.checks.__file__).parent
MODULES = sorted(CHECKS.glob("*.py"))
MAX_MODULE_LINES = 300
MAX_BODY_LINES = 60  # a function's code, its docstring aside
CHECK_MODULES = {"gradient", "jacobian", "products", "hessian"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _code_lines(function: ast.FunctionDef) -> int:
    body = function.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_is_short_and_imports_no_private_name(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES
    tree = _tree(path)
    imported = [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert [name for name in imported if name[1].startswith("_")] == []
    siblings = {module for module, _ in imported if module in CHECK_MODULES}
    assert siblings == set(), "a check imports from another check: share through derivatives"
    long = [
        (node.name, _code_lines(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and _code_lines(node) >= MAX_BODY_LINES
    ]
    assert long == []
