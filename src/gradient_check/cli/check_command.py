"""``gradient-check check FILE.py:FUNC``: check the user's own problem, for people and CI.

Exit status (``cli.status``): 0 pass, 1 fail (confirmed wrong, or a structural problem),
2 not checked (a bad target, a FUNC that raised, an invalid problem, an unwritable path:
one line on stderr, the traceback only with ``--traceback``), 3 cannot tell.
"""

from __future__ import annotations

from typing import Any

import click

from ..core.schemes import SCHEMES
from ..core.steps import relative
from ..errors import StepError
from ..render.console import print_report
from .failures import refusals
from .outputs import console_for, output_options, require_outputs, write_outputs
from .problem import read_problem, run_problem
from .status import exit_status
from .target import load_problem


class StepParam(click.ParamType):
    """``--h``: ``auto``, an absolute step (a number), or ``relative:R`` (h_i = R |theta_i|)."""

    name = "auto|NUMBER|relative:R"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if not isinstance(value, str) or value == "auto":
            return value
        kind, colon, number = value.partition(":")
        try:
            if colon and kind == "relative":
                return relative(float(number))
            return float(value)
        except (ValueError, StepError):
            self.fail(
                f"{value!r} is not a step; give 'auto', a number such as 1e-6 (theta_i +/- h), "
                "or relative:R such as relative:1e-6 (h_i = R |theta_i|)",
                param,
                ctx,
            )


def check_options(**given: Any) -> dict[str, Any]:
    """The options given on the command line (None: not given, so the problem's or the
    check's default holds)."""
    return {name: value for name, value in given.items() if value is not None}


@click.command(
    "check",
    help=(
        "Check your own derivative. FILE.py:FUNC (or package.module:FUNC) names a function "
        "of no arguments that returns the problem: (loss, params, grads), or a mapping "
        "naming its kind — {'kind': 'jacobian', 'f': ..., 'params': ..., 'jacobian': ...}, "
        "likewise vjp, jvp, hessian; {'kind': 'torch', 'model': ..., 'loss': ...}; "
        "{'kind': 'jax', 'loss': ..., 'params': ...}. Exit status: 0 pass, 1 fail, "
        "2 not checked (a one-line error), 3 cannot tell."
    ),
)
@click.argument("target", metavar="FILE.py:FUNC")
@click.option("--h", "h", type=StepParam(), default=None, help="The step (default: auto).")
@click.option("--scheme", type=click.Choice(list(SCHEMES)), default=None, help="Default: central.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Default: 0.")
@click.option(
    "--margin",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="How many estimated errors a difference may reach and still agree (default: 4).",
)
@output_options
@click.pass_context
def check_command(
    ctx: click.Context,
    target: str,
    h: Any,
    scheme: str | None,
    seed: int | None,
    margin: float | None,
    json_path: str | None,
    html_path: str | None,
    show_traceback: bool,
    width: int | None,
) -> None:
    with refusals(show_traceback):
        require_outputs(json=json_path, html=html_path)
        problem = read_problem(load_problem(target), f"{target}()")
        options = check_options(h=h, scheme=scheme, seed=seed, margin=margin)
        report = run_problem(problem, options, f"{target}()")
    print_report(console_for(width, json_path, html_path), report)
    with refusals(show_traceback):
        write_outputs(report, json_path, html_path)
    ctx.exit(exit_status(report))
