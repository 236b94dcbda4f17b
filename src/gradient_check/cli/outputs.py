"""Where a command's results go: the console (stdout, or stderr when JSON takes stdout),
``--json PATH`` (``-``: stdout), ``--html PATH`` and ``--plot PATH``.

Paths are tried before the check runs, so a typo in a folder name costs nothing; a write
that still fails is a one-line error (``NotChecked``, exit status 2) after the table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .failures import NotChecked

STDOUT = "-"


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every judging command shares: --json, --html, --traceback, --width."""
    for option in reversed(
        (
            click.option(
                "--json",
                "json_path",
                metavar="PATH",
                default=None,
                help=(
                    "Also write the result as JSON (its schema is versioned) to PATH; '-' "
                    "writes it to stdout and moves the table to stderr."
                ),
            ),
            click.option(
                "--html",
                "html_path",
                metavar="PATH",
                default=None,
                help="Also write the result as one self-contained HTML page to PATH ('-': stdout).",
            ),
            click.option(
                "--traceback",
                "show_traceback",
                is_flag=True,
                help="On an error, print its traceback above the one-line message.",
            ),
            click.option(
                "--width",
                type=click.IntRange(min=20),
                default=None,
                help="Console width (default: the terminal's; piped, each table's own).",
            ),
        )
    ):
        command = option(command)
    return command


def console_for(width: int | None, *paths: str | None) -> Console:
    """The console the table goes to: stderr when the JSON or the page goes to stdout,
    else stdout. rich colours it only on a terminal, and honours ``NO_COLOR``."""
    return Console(width=width, stderr=STDOUT in paths)


def require_outputs(**paths: str | None) -> None:
    """Refuse, before any work, output ``paths`` (by option name) that cannot be written,
    or more than one of them on stdout."""
    on_stdout = [f"--{option}" for option, path in paths.items() if path == STDOUT]
    if len(on_stdout) > 1:
        raise NotChecked(f"{' and '.join(on_stdout)} cannot both go to stdout; give file paths")
    for option, path in paths.items():
        require_writable(path, f"--{option}")


def require_writable(path: str | None, option: str) -> None:
    """Refuse, before any work, a ``path`` that cannot be written: a missing or read-only
    folder, or a folder where a file should be."""
    if path is None or path == STDOUT:
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise NotChecked(f"{option} {path!r} is a folder; give the name of a file inside it")
    if not folder.is_dir():
        raise NotChecked(f"{option} {path!r}: no folder {str(folder)!r}; create it first")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise NotChecked(f"{option} {path!r} cannot be written here; choose another path")


def write_json(data: dict[str, Any], path: str) -> None:
    """``data`` as strict JSON (no NaN) to ``path``, or to stdout for ``-``."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    if path == STDOUT:
        click.echo(text, nl=False)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise NotChecked(f"--json {path!r} could not be written ({error.strerror})") from error


def write_html(result: Any, path: str) -> None:
    """``result.to_html(path)``: the page, written by the result's own renderer; to
    stdout for ``-``."""
    if path == STDOUT:
        click.echo(result.to_html())
        return
    try:
        result.to_html(path)
    except OSError as error:
        raise NotChecked(f"--html {path!r} could not be written ({error.strerror})") from error


def write_outputs(result: Any, json_path: str | None, html_path: str | None) -> None:
    """Write ``result`` where --json and --html asked for it."""
    if json_path is not None:
        write_json(result.to_dict(), json_path)
    if html_path is not None:
        write_html(result, html_path)
