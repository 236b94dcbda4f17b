"""``gradient-check check FILE.py:FUNC``: check the user's own problem, for people and CI.

Exit status (``cli.status``): 0 pass, 1 fail (confirmed wrong, or a structural problem),
2 not checked (a bad target, a FUNC that raised, an invalid problem, an unwritable path:
one line on stderr, the traceback only with ``--traceback``), 3 cannot tell, 130 stopped
by Ctrl-C (one line saying how far the check got; the parameters were restored; the
partial report, when the check had one, printed and written to --json/--html first).

``--mode``, ``--directions``, ``--samples`` and ``--budget`` are check's options of the
same names; ``--workers N`` and ``--scheduler ADDRESS`` choose where the evaluations run
(cli.executors). A check longer than about two seconds draws a progress bar on stderr
when it is a terminal (render.progress).
"""

from __future__ import annotations

from typing import Any

import click

from ..core.evaluate import AUTO_PROGRESS
from ..core.schemes import SCHEMES
from ..core.settings import MODES, as_budget
from ..core.steps import relative
from ..errors import GradientCheckError, StepError
from ..render import progress  # noqa: F401  (registers the terminal's progress bar)
from ..render.console import print_report
from .executors import executor_for
from .failures import NotChecked, one_line, refusals
from .outputs import console_for, output_options, require_outputs, write_outputs
from .problem import KINDS, Problem, keyword_options, read_problem, run_problem
from .status import exit_status
from .target import load_problem

INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C (128 + SIGINT)


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


class BudgetParam(click.ParamType):
    """``--budget``: evaluations (an integer) or a time with its unit (30s, 2min, 1h)."""

    name = "N|TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if not isinstance(value, str):
            return value
        budget = int(value) if value.strip().isdigit() else value
        try:
            as_budget(budget)
        except GradientCheckError:
            self.fail(
                f"{value!r} is not a budget; give evaluations (such as 5000) or a time with "
                "its unit (such as 30s, 2min, 1h)",
                param,
                ctx,
            )
        return budget


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
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=None,
    help=(
        "full: every element (default); directional: random directions per tensor; sample: "
        "some elements per tensor; locate: directions, then the wrong elements by halving."
    ),
)
@click.option(
    "--directions",
    type=click.IntRange(min=1),
    default=None,
    help="Random directions per tensor (directional: 3, locate: 2).",
)
@click.option(
    "--samples", type=click.IntRange(min=1), default=None, help="Elements per tensor (sample)."
)
@click.option(
    "--budget",
    type=BudgetParam(),
    default=None,
    help="Evaluations (5000) or time (30s, 2min): the check picks the mode that fits.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Evaluate on N worker processes (a pool made for this check).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Evaluate on a running dask cluster (tcp://host:8786); needs dask.distributed.",
)
@output_options
@click.pass_context
def check_command(
    ctx: click.Context,
    target: str,
    json_path: str | None,
    html_path: str | None,
    show_traceback: bool,
    width: int | None,
    workers: int | None,
    scheduler: str | None,
    **given: Any,
) -> None:
    try:
        with refusals(show_traceback):
            require_outputs(json=json_path, html=html_path)
            problem = read_problem(load_problem(target), f"{target}()")
            options = supported(problem, check_options(**given), workers, scheduler)
            with executor_for(workers, scheduler) as executor:
                if executor is not None:
                    options["executor"] = executor
                report = run_problem(problem, options, f"{target}()")
    except KeyboardInterrupt as interrupt:
        message = one_line(str(interrupt)) or "interrupted before the check began"
        partial = getattr(interrupt, "report", None)  # CheckInterrupted's, if any
        if partial is not None:  # what was measured, shown and written as a report is
            print_report(console_for(width, json_path, html_path), partial)
            with refusals(show_traceback):
                write_outputs(partial, json_path, html_path)
        click.echo(f"gradient-check: {message}", err=True)
        ctx.exit(INTERRUPTED)
    print_report(console_for(width, json_path, html_path), report)
    with refusals(show_traceback):
        write_outputs(report, json_path, html_path)
    ctx.exit(exit_status(report))


def supported(
    problem: Problem, options: dict[str, Any], workers: int | None, scheduler: str | None
) -> dict[str, Any]:
    """``options`` with the progress bar where the problem's check takes one, refusing a
    flag that its check does not take (a framework adapter's own options differ)."""
    known = keyword_options(KINDS[problem.kind].function(), len(problem.pieces))
    if known is None:  # an adapter that passes its options on: it says what it refuses
        return options
    flags = dict(options)
    if workers is not None or scheduler is not None:
        flags["executor"] = None
    refused = [name for name in flags if name not in known]
    if refused:
        named = ", ".join(
            "--workers/--scheduler" if name == "executor" else f"--{name}" for name in refused
        )
        raise NotChecked(
            f"{named}: not available for a {problem.kind} problem; its options are "
            f"{', '.join(sorted(known))}"
        )
    if "progress" in known and "progress" not in problem.options:
        return {"progress": AUTO_PROGRESS, **options}
    return options
