"""The house rules of the layout (README "Layout and design"), checked on every module.

Hard limits: no module over 400 lines, no function body over 80; no underscore name
imported from another module; imports point down the rooms (errors, report, core, checks,
render, nn, mutation, cli); no framework in core/ or checks/.
"""

import ast
from pathlib import Path

import pytest

import gradient_check

PACKAGE = Path(gradient_check.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_BODY_LINES = 80
FRAMEWORKS = {"torch", "jax", "jaxlib", "dask", "click", "rich", "matplotlib", "scipy"}
# what each room may import from the package (itself always)
MAY_IMPORT = {
    "errors": set(),
    "report": set(),
    "core": {"errors", "report"},
    "checks": {"errors", "report", "core"},
    "render": {"errors", "report", "core", "checks"},
    "adapters": {"errors", "report", "core", "checks"},
    "nn": {"errors", "report", "core", "checks"},
    "mutation": {"errors", "report", "core", "checks", "nn", "render"},
    "cli": {
        "errors",
        "report",
        "core",
        "checks",
        "render",
        "nn",
        "mutation",
        "adapters",
        "torch",
        "jax",
    },
    "pytest_plugin": {"errors", "report", "core", "checks", "render"},
    "torch": {"errors", "report", "core", "checks", "adapters"},
    "jax": {"errors", "report", "core", "checks", "adapters"},
}


def _room(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _targets(path: Path, tree: ast.Module) -> list[tuple[str, str]]:
    """(room imported from, name) for every import of the package in the module."""
    package = path.relative_to(PACKAGE).parent.parts
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = list(package[: len(package) - node.level + 1])
            module = [*base, *(node.module.split(".") if node.module else [])]
        elif node.module and node.module.split(".")[0] == "gradient_check":
            module = node.module.split(".")[1:]
        else:
            continue
        for alias in node.names:
            room = module[0] if module else alias.name
            found.append((room, alias.name))
    return found


def _body_lines(function: ast.FunctionDef) -> int:
    body = function.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_keeps_the_house_rules(path):
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and _body_lines(node) > MAX_BODY_LINES
    ]
    assert long == []
    room = _room(path)
    targets = _targets(path, tree)
    assert [name for _, name in targets if name.startswith("_") and name != "__version__"] == []
    if room in MAY_IMPORT:
        upward = {r for r, _ in targets if r != room and r in MAY_IMPORT} - MAY_IMPORT[room]
        assert upward == set(), f"{room} imports from rooms above it: {upward}"
    if room in ("core", "checks"):
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and not node.level
        }
        assert imported & FRAMEWORKS == set()


def test_the_rules_catch_an_upward_import(tmp_path):
    """The check itself can fail: a core module importing a renderer is caught."""
    fake = PACKAGE / "core" / "bands.py"
    tree = ast.parse("from ..render.text import render_text\n")
    targets = _targets(fake, tree)
    assert targets == [("render", "render_text")]
    assert {r for r, _ in targets} - MAY_IMPORT["core"] == {"render"}
