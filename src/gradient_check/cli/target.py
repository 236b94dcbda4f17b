"""The user's problem named on the command line: ``FILE.py:FUNC`` or ``package.module:FUNC``.

FUNC takes no arguments and returns the problem (``cli.problem`` reads it). Everything that
can go wrong before the check starts (a spec without a colon, a missing file, a module that
does not import, a mistyped FUNC, a FUNC that needs arguments or raises) is a
``NotChecked`` error of one line that says what to fix.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.util
import inspect
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..core.describe import given
from .failures import NotChecked, described_error

EXAMPLE = "e.g. model.py:problem or mypackage.model:problem"


def split_spec(spec: str) -> tuple[str, str]:
    """``FILE.py:FUNC`` or ``MODULE:FUNC`` split at its last colon, refused if malformed."""
    where, colon, name = spec.rpartition(":")
    if not colon or not where or not name.isidentifier():
        raise NotChecked(
            f"target {spec!r} is not FILE.py:FUNC or MODULE:FUNC; name the function that "
            f"returns the problem, {EXAMPLE}"
        )
    return where, name


@contextlib.contextmanager
def first_on_path(folder: str) -> Iterator[None]:
    """``folder`` first on sys.path while the block runs, as ``python FILE.py`` (the file's
    folder) and ``python -m`` (the current directory) have it, so that the user's module
    imports its neighbours."""
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def load_module(where: str) -> types.ModuleType:
    """Execute ``where`` as a file (it ends in .py) or import it as a module."""
    if where.endswith(".py"):
        return _load_file(Path(where))
    with first_on_path(""):
        try:
            return importlib.import_module(where)
        except ModuleNotFoundError as error:
            if error.name and where.startswith(error.name):
                raise NotChecked(
                    f"cannot import {where!r} ({error}); run from the folder that holds it, "
                    "or give the path of its .py file"
                ) from error
            raise NotChecked(f"importing {where!r} raised {described_error(error)}") from error
        except Exception as error:
            raise NotChecked(f"importing {where!r} raised {described_error(error)}") from error


def _load_file(path: Path) -> types.ModuleType:
    if not path.is_file():
        folder = Path.cwd() if not path.is_absolute() else path.parent
        raise NotChecked(f"no file {str(path)!r} (looked in {folder}); check the path")
    name = f"gradient_check_target_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise NotChecked(f"cannot load {str(path)!r} as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up here
    try:
        with first_on_path(str(path.resolve().parent)):
            spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[name]
        raise NotChecked(f"running {str(path)!r} raised {described_error(error)}") from error
    # no worker (--workers, --scheduler) can import a file loaded by path: its functions
    # travel by value
    with contextlib.suppress(ImportError):
        import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    return module


def problem_function(module: types.ModuleType, where: str, name: str) -> Callable[[], Any]:
    """``module``'s FUNC ``name``: a function of no arguments, or a one-line error naming
    the functions the module does define, and the one nearest to ``name``."""
    if not hasattr(module, name):
        defined = sorted(
            key
            for key, value in vars(module).items()
            if callable(value)
            and not key.startswith("_")
            and not isinstance(value, type)
            and getattr(value, "__module__", None) == module.__name__
        )
        near = difflib.get_close_matches(name, defined, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        listed = ", ".join(defined) if defined else "no functions"
        raise NotChecked(f"{where!r} has no {name!r}; {hint}it defines {listed}")
    function = getattr(module, name)
    if not callable(function):
        raise NotChecked(
            f"{where}:{name} is {given(function)}, not a function; FUNC must be a function "
            "of no arguments that returns the problem"
        )
    with contextlib.suppress(TypeError, ValueError):  # no signature to read: its call tells
        signature = inspect.signature(function)
        try:
            signature.bind()
        except TypeError:
            raise NotChecked(
                f"{where}:{name}{signature} needs arguments; FUNC must take none and return "
                "the problem, e.g. (loss, params, grads)"
            ) from None
    return function


def load_problem(spec: str) -> Any:
    """Load ``spec`` (FILE.py:FUNC or MODULE:FUNC), call FUNC, and return what it returns."""
    where, name = split_spec(spec)
    module = load_module(where)
    function = problem_function(module, where, name)
    folder = str(Path(where).resolve().parent) if where.endswith(".py") else ""
    with first_on_path(folder):  # FUNC may import its neighbours when it runs
        try:
            return function()
        except Exception as error:
            raise NotChecked(f"{where}:{name}() raised {described_error(error)}") from error
