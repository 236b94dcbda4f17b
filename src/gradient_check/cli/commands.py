"""The click commands behind ``gradient-check`` (imported only when click is there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.console import Console

from ..errors import GradientCheckError
from ..mutation.operators import FAMILIES
from .demo import SECTIONS

if TYPE_CHECKING:
    from ..mutation.report import MutationReport


@click.group(help="Check gradients against finite differences, and say where they are wrong.")
@click.version_option(package_name="gradient-check")
def cli() -> None:
    pass


@cli.command(help="Run the texts' story end to end: worked examples, a network, bugs, training.")
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(list(SECTIONS)),
    help="Run only these sections (repeatable).",
)
@click.option("--width", type=int, default=None, help="Console width (default: the terminal's).")
def demo(sections: tuple[str, ...], width: int | None) -> None:
    from .demo import run_demo

    run_demo(Console(width=width), list(sections) or None)


@cli.command(help="Mutation-test backward passes: mutate each line, run the check, count catches.")
@click.option(
    "--target",
    metavar="MODULE:FUNC",
    default=None,
    help=(
        "Your backward FUNC(params, *args) -> grads instead of the texts' networks. MODULE "
        "(importable, or a .py path) must also define loss(params, *args) -> float and "
        "params, and may define args (a tuple); params and args may be functions returning them."
    ),
)
@click.option(
    "--family",
    "families",
    multiple=True,
    type=click.Choice(list(FAMILIES)),
    help="Generate only mutants of these families (repeatable).",
)
@click.option(
    "--max-mutants",
    type=click.IntRange(min=0),
    default=None,
    help="At most this many mutants per backward method, spread over the families.",
)
@click.option("--width", type=int, default=None, help="Console width (default: the terminal's).")
def mutate(
    target: str | None, families: tuple[str, ...], max_mutants: int | None, width: int | None
) -> None:
    from ..mutation.console import print_mutation_reports

    console = Console(width=width)
    try:
        reports = mutation_reports(console, target, list(families) or None, max_mutants)
    except GradientCheckError as error:  # a MutationError, or a target the check refuses
        raise click.ClickException(str(error)) from error
    print_mutation_reports(console, reports)


def mutation_reports(
    console: Console, target: str | None, families: list[str] | None, max_mutants: int | None
) -> list[MutationReport]:
    """Mutation-test the user's ``target`` (MODULE:FUNC) or, without one, the texts' networks."""
    from ..mutation.judge import mutation_test, mutation_test_reference_networks
    from ..mutation.targets import load_target

    if target is not None:
        backward, loss, params, args = load_target(target)
        return [
            mutation_test(backward, loss, params, args, families=families, max_mutants=max_mutants)
        ]
    return mutation_test_reference_networks(
        families=families,
        max_mutants=max_mutants,
        announce=lambda reference: console.print(
            f"Mutating the backward methods of {reference.net!r}"
        ),
    )


@cli.command(help="Sweep the step h from 1e-1 to 1e-12: truncation falls, rounding rises.")
@click.option(
    "--problem",
    type=click.Choice(["network", "relu-network", "quadratic"]),
    default="network",
    show_default=True,
    help="The texts' 7-16-12-10 network, the 4-5-3-1 ReLU network, or x^2 + 3x.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw measured and estimated error against h into this PNG.",
)
def sweep(problem: str, plot: str | None) -> None:
    from .problems import sweep_problem

    result = sweep_problem(problem)
    Console().print(str(result), highlight=False)
    if plot:
        from ..render.plots import plot_sweep

        plot_sweep(result, plot)
        Console().print(f"plot written to {plot}")
