"""The user's functions (a loss, a gradient, a VJP, ...), checked before they are called and
called so that an error they raise names them.

A function that cannot take the arguments a check will pass is refused at once, with its
signature; one that raises while the check calls it lets its own exception through with a
note saying which function raised, at which call, and what the check was doing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from ..core.describe import given as described
from ..errors import InvalidProblemError


def require_callable(function: Any, call: str, hint: str = "") -> None:
    """Refuse a ``function`` that is not one, or whose own signature cannot take the
    arguments of ``call`` (e.g. "vjp(params, cotangent)"), naming it and the fix."""
    name, arity = call.split("(")[0], call.count(",") + 1
    if not callable(function):
        raise InvalidProblemError(
            f"`{name}` is {described(function)}, not a function: pass a function {call}.{hint}"
        )
    try:  # the function's own signature, not a wrapped one's (a decorator may adapt it)
        signature = inspect.signature(function, follow_wrapped=False)
    except (TypeError, ValueError):
        return  # no signature to read (a builtin): its calls will tell
    try:
        signature.bind(*range(arity))
    except TypeError:
        raise InvalidProblemError(
            f"`{name}` cannot be called as {call}: its signature is {signature}. A check calls "
            f"it with {arity} positional argument(s), in that order."
        ) from None


def add_note(error: BaseException, note: str) -> None:
    """PEP 678's note on an exception (shown under its traceback from Python 3.11)."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # Python 3.10 keeps the note, but its traceback does not print it
        with suppress(AttributeError):  # a type that takes no attributes: left as it is
            error.__notes__ = [*getattr(error, "__notes__", []), note]


class UserFunction:
    """A derivative function the user gave, called so that an exception it raises names it.

    The exception propagates as itself (same object, same type: ``except ValueError`` and
    ``pytest.raises`` still catch it, as for the loss), with a note naming the function,
    which of its calls raised and what the check was doing. A wrapping DerivativeError would
    hide the user's own type from the tests that catch it. KeyboardInterrupt and other
    BaseExceptions pass untouched; the parameters are restored by the guards around calls.
    """

    def __init__(self, function: Callable[..., Any], call: str, check: str, hint: str = "") -> None:
        require_callable(function, call, hint)
        self.function, self.call, self.check = function, call, check
        self.calls, self.stage = 0, "reading the derivative under check"

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        try:
            return self.function(*args)
        except Exception as error:
            add_note(
                error,
                f"gradient_check.{self.check} called `{self.call}`"
                + (" (arguments in that order)" if "," in self.call else "")
                + f" and it raised, at call {self.calls} ({self.stage})",
            )
            raise

    @contextmanager
    def during(self, stage: str) -> Iterator[None]:
        """Name what the check is doing while ``stage`` lasts, for the note of an error."""
        previous, self.stage = self.stage, stage
        try:
            yield
        finally:
            self.stage = previous
