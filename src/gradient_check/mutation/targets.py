"""What a mutation test mutates: a user's backward named on the command line, or the backward
methods a network runs, and how a mutant takes a method's place on the network's instances.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import MutationError


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
    module = _load_module(module_name)
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


def _load_module(module_name: str) -> types.ModuleType:
    """Import a module by name (the current directory first) or execute a .py file by path."""
    if not module_name.endswith(".py"):
        sys.path.insert(0, "")  # the current directory, as `python -m` has it
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            raise MutationError(
                f"--target: cannot import {module_name!r} ({error}); run from the directory "
                "holding it, or give the path of its .py file"
            ) from error
        finally:
            sys.path.remove("")
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
    return module


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


def is_selected(function: types.FunctionType, selection: Iterable[Any] | None) -> bool:
    """Whether `selection` names `function`: by its class (`Linear`), its class's name
    (`"Linear"`), its qualified name (`"Linear.backward"`) or itself. None selects all."""
    if selection is None:
        return True
    owner = function.__qualname__.rpartition(".")[0]
    for target in selection:
        if target is function or (isinstance(target, type) and target.__name__ == owner):
            return True
        if isinstance(target, str) and target in (function.__qualname__, owner):
            return True
    return False


@contextlib.contextmanager
def installed(objects: list[Any], mutant: Callable[..., Any]) -> Iterator[None]:
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
