"""The click commands behind ``gradient-check`` (imported only when click is there)."""

from __future__ import annotations

import click
from rich.console import Console

from ..mutation.operators import FAMILIES
from .demo import SECTIONS


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
    from ..mutation.judge import (
        load_target,
        mutation_test,
        mutation_test_network,
        print_mutation_reports,
    )
    from ..mutation.mutants import MutationError
    from ..nn.reference import reference_networks

    console = Console(width=width)
    selected = list(families) or None
    try:
        if target is not None:
            backward, loss, params, args = load_target(target)
            reports = [
                mutation_test(
                    backward, loss, params, args, families=selected, max_mutants=max_mutants
                )
            ]
        else:
            reports = []
            for reference in reference_networks():
                console.print(f"Mutating the backward methods of {reference.net!r}")
                reports += mutation_test_network(
                    reference.net,
                    reference.X,
                    reference.Y,
                    families=selected,
                    max_mutants=max_mutants,
                    subject=reference.name,
                )
    except MutationError as error:
        raise click.ClickException(str(error)) from error
    print_mutation_reports(console, reports)


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
