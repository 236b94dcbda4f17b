"""User errors on the command line: one line that says what to fix, exit status 2.

A bad target, a FUNC that raises, an invalid problem, a check that refuses its input, an
unwritable output path: none of them is the check's outcome, so each ends the command with
``NOT_CHECKED`` (2) and a single line on stderr, never a traceback (``--traceback`` prints
it above the line).
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator

import click

from ..errors import GradientCheckError
from .status import NOT_CHECKED

TRACEBACK_HINT = "--traceback shows where"


class NotChecked(GradientCheckError):
    """The problem could not be checked: a bad target, a FUNC that raised, an invalid
    problem, an unwritable output path. Its message is one line with the fix."""


class CommandFailed(click.ClickException):
    """click's one-line ``Error: ...`` on stderr, with the status of "could not be checked"."""

    exit_code = NOT_CHECKED


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces collapsed to single spaces."""
    return " ".join(text.split())


def described_error(error: BaseException) -> str:
    """An exception the user's code raised, in one line: its type, its message, the notes
    a check added (which function raised, at which call), and where to see more."""
    message = one_line(str(error))
    notes = "; ".join(one_line(note) for note in getattr(error, "__notes__", ()))
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if notes:
        text += f" ({notes})"
    return f"{text}; {TRACEBACK_HINT}"


def message_of(error: Exception) -> str:
    """The line a command prints for ``error``: the package's own errors already name the
    parameter and the fix; anything else was raised by the user's code during the check."""
    if isinstance(error, GradientCheckError):
        return one_line(str(error))
    return f"the check stopped: {described_error(error)}"


@contextlib.contextmanager
def refusals(show_traceback: bool = False) -> Iterator[None]:
    """Turn any error raised inside the block into ``CommandFailed`` (exit 2, one line);
    with ``show_traceback`` print the traceback to stderr first. click's own exits and
    errors, and KeyboardInterrupt, pass through."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as error:
        if show_traceback:
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        raise CommandFailed(message_of(error)) from error
