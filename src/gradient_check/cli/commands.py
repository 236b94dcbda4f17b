"""The click commands behind ``gradient-check`` (imported only when click is there).

The commands that judge end with the exit status of ``cli.status``: ``check`` (0 pass,
1 fail, 3 cannot tell) and ``mutate`` (1 when a mutant survives); every user error, on any
command, is one line on stderr with status 2 (``cli.failures``). ``demo`` is a show, and
``sweep`` a measurement: both exit 0 unless they could not run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.console import Console

from ..core.schemes import SCHEMES
from ..mutation.operators import FAMILIES
from .check_command import check_command
from .demo import SECTIONS
from .failures import refusals
from .outputs import (
    console_for,
    output_options,
    require_outputs,
    require_writable,
    write_json,
    write_outputs,
)
from .status import FAILED, PASSED

if TYPE_CHECKING:
    from ..checks.sweep import Sweep
    from ..mutation.report import MutationReport

WIDTH_HELP = "Console width (default: the terminal's; piped, each table's own)."


@click.group(help="Check gradients against finite differences, and say where they are wrong.")
@click.version_option(package_name="gradient-check")
def cli() -> None:
    pass


cli.add_command(check_command)


@cli.command(help="Run the texts' story end to end: worked examples, a network, bugs, training.")
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(list(SECTIONS)),
    help="Run only these sections (repeatable).",
)
@click.option("--width", type=click.IntRange(min=20), default=None, help=WIDTH_HELP)
def demo(sections: tuple[str, ...], width: int | None) -> None:
    from .demo import run_demo

    run_demo(Console(width=width), list(sections) or None)


@cli.command(
    help=(
        "Mutation-test backward passes: mutate each line, run the check, count catches. "
        "Exit status 1 when a mutant survives, 0 when the check catches every one."
    )
)
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
@click.option(
    "--verbose", is_flag=True, help="Also list the mutants that crashed or changed nothing."
)
@click.option(
    "--traceback",
    "show_traceback",
    is_flag=True,
    help="On an error, print its traceback above the one-line message.",
)
@click.option(
    "--json",
    "json_path",
    metavar="PATH",
    default=None,
    help="Also write every mutant's outcome as JSON to PATH ('-' for stdout: tables to stderr).",
)
@click.option("--width", type=click.IntRange(min=20), default=None, help=WIDTH_HELP)
@click.pass_context
def mutate(
    ctx: click.Context,
    target: str | None,
    families: tuple[str, ...],
    max_mutants: int | None,
    verbose: bool,
    show_traceback: bool,
    json_path: str | None,
    width: int | None,
) -> None:
    from ..mutation.console import print_mutation_reports
    from ..mutation.report import overall
    from .mutants import print_unjudged

    console = console_for(width, json_path)
    with refusals(show_traceback):
        require_outputs(json=json_path)
        reports = mutation_reports(console, target, list(families) or None, max_mutants)
    print_mutation_reports(console, reports)
    if verbose:
        print_unjudged(console, reports)
    everything = overall(reports)
    if json_path is not None:
        data = everything.to_dict()  # the overall counts and score; mutants by report
        data["mutants"] = []
        data["reports"] = [report.to_dict() for report in reports]
        with refusals(show_traceback):
            write_json(data, json_path)
    ctx.exit(FAILED if everything.survivors else PASSED)


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


@cli.command(
    help=(
        "Sweep the step h from 1e-1 to 1e-12: truncation falls, rounding rises. Sweeps one "
        "of the texts' problems, or yours with --target."
    )
)
@click.option(
    "--problem",
    type=click.Choice(["network", "relu-network", "quadratic"]),
    default=None,
    help=("The texts' 7-16-12-10 network (the default), the 4-5-3-1 ReLU network, or x^2 + 3x."),
)
@click.option(
    "--target",
    metavar="FILE.py:FUNC",
    default=None,
    help=(
        "Sweep your own problem: FUNC takes no arguments and returns (loss, params, grads), "
        "as for `gradient-check check` (grads may be None: Richardson's reference is used)."
    ),
)
@click.option("--scheme", type=click.Choice(list(SCHEMES)), default=None, help="Default: central.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Default: 0.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw measured and estimated error against h into this PNG.",
)
@output_options
def sweep(
    problem: str | None,
    target: str | None,
    scheme: str | None,
    seed: int | None,
    plot: str | None,
    json_path: str | None,
    html_path: str | None,
    show_traceback: bool,
    width: int | None,
) -> None:
    if problem is not None and target is not None:
        raise click.UsageError("give --problem or --target, not both")
    with refusals(show_traceback):
        require_outputs(json=json_path, html=html_path)
        require_writable(plot if plot != "-" else "./-", "--plot")  # a PNG never goes to stdout
        result = swept(problem, target, scheme, seed)
    console = console_for(width, json_path, html_path)
    console.print(str(result), highlight=False)
    with refusals(show_traceback):
        if plot:
            from ..render.plots import plot_sweep

            plot_sweep(result, plot)
            console.print(f"plot written to {plot}")
        write_outputs(result, json_path, html_path)


def swept(problem: str | None, target: str | None, scheme: str | None, seed: int | None) -> Sweep:
    """The sweep of the user's ``target`` or of the texts' ``problem`` (network by default)."""
    from .problems import sweep_problem

    options = {k: v for k, v in (("scheme", scheme), ("seed", seed)) if v is not None}
    if target is None:
        return sweep_problem(problem or "network", **options)
    from .problem import sweep_target

    return sweep_target(target, options)
