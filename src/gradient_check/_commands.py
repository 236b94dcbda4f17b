"""The click commands behind ``gradient-check`` (imported only when click is there)."""

from __future__ import annotations

import click
from rich.console import Console


@click.group(help="Check gradients against finite differences, and say where they are wrong.")
@click.version_option(package_name="gradient-check")
def cli() -> None:
    pass


@cli.command(help="Run the texts' story end to end: worked examples, a network, bugs, training.")
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(["examples", "network", "regularisation", "dropout", "training", "kinks"]),
    help="Run only these sections (repeatable).",
)
@click.option("--width", type=int, default=None, help="Console width (default: the terminal's).")
def demo(sections: tuple[str, ...], width: int | None) -> None:
    from .demo import run_demo

    run_demo(Console(width=width), list(sections) or None)
