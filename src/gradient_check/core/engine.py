"""The one path every check takes: flatten, probe, plan, measure, judge, refine, report.

A check of anything (a gradient, a Jacobian, a VJP, a JVP, a Hessian) is a function
f: params -> outputs and an analytic derivative matrix dF/dtheta of shape (outputs,
coordinates). The engine evaluates f at a few probe points (the centre, a repeat pair for
stochasticity, the precision probe, a noise table of six), 2n points for the central
differences, and, only for the coordinates whose verdict is in doubt, more at longer steps
(rounding) or down a ladder of shorter ones (kinks, jumps, short length scales). Each
stage is a function of the values the stages before it returned (frozen dataclasses), and
the two seams a framework or an executor plugs into are named: the ``Evaluator``
(evaluate.py) and ``AnalyticFn`` (analytic.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import CheckInterrupted
from ..report import Report
from .analytic import AnalyticFn, analytic_rows
from .domain import DomainRetries
from .evaluate import Counted, check_unchanged, evaluator_of
from .flatten import ParameterVector, flatten
from .judge import Judged, error_model
from .measure import first_differences, measure_plan
from .partial import Findings, partial_report
from .plan import plan_probes
from .precision import independent_notes
from .probe import centred, precision_notes, probe
from .refine import refine_doubt
from .rng import RngGuard, restores_rng
from .settings import Settings, make_settings
from .summarise import build_report

__all__ = ["AnalyticFn", "Settings", "make_settings", "restores_rng", "run_check"]


def run_check(
    f: Callable[[Any], Any],
    params: Any,
    analytic: AnalyticFn,
    settings: Settings,
    kind: str,
    scalar: bool,
    what: str = "loss",
    extra: dict | None = None,
    directions: int | Callable[..., Any] | None = None,
    problems: tuple[str, ...] = (),
    analytic_noise: float = 0.0,
    inspect: Callable[..., tuple[tuple[str, ...], tuple[tuple[str, int], ...]]] | None = None,
    vector: ParameterVector | None = None,
) -> Report:
    """Check ``analytic``'s derivative matrix of ``f`` at ``params`` by finite differences.

    ``kind`` names the check in the report, ``scalar`` says f is a loss (one output),
    ``what`` is f's name in messages; ``directions`` random tangents per tensor (or a
    plan builder ``(vector, eps, rng) -> DirectionPlan``) replace the coordinates when
    given; ``analytic_noise`` is the spread of two calls of the derivative; ``problems``
    and ``extra`` pass through to the report; ``inspect(evaluator, centre, plan, judged,
    coordinate steps) -> (notes, evaluations)`` measures more before the parameters are
    restored (the localising mode); ``vector`` is ``flatten(params)`` when the caller has it
    (theta is then not flattened twice).
    """
    counted: list[Counted] = []  # the evaluator, once made: what a Ctrl-C leaves
    findings = Findings()  # what the stages returned: a Ctrl-C's partial report
    try:
        return _checked(
            f,
            params,
            analytic,
            settings,
            counted,
            findings,
            kind=kind,
            scalar=scalar,
            what=what,
            extra=extra,
            directions=directions,
            problems=problems,
            analytic_noise=analytic_noise,
            inspect=inspect,
            vector=vector,
        )
    except KeyboardInterrupt as interrupt:
        # raised here, after the workspace and the RNG guard restored what they hold
        if isinstance(interrupt, CheckInterrupted):
            raise
        stopped = counted[0].interrupted() if counted else CheckInterrupted("probes", {"probes": 0})
        try:
            stopped.report = _partial(findings, stopped, settings, kind, extra, problems)
        except Exception:  # the interrupt is the news, not a partial report that failed
            stopped.report = None
        raise stopped from interrupt
    finally:
        for evaluator in counted:
            evaluator.close()


def _checked(
    f: Callable[[Any], Any],
    params: Any,
    analytic: AnalyticFn,
    settings: Settings,
    counted: list[Counted],
    findings: Findings,
    *,
    kind: str,
    scalar: bool,
    what: str,
    extra: dict | None,
    directions: int | Callable[..., Any] | None,
    problems: tuple[str, ...],
    analytic_noise: float,
    inspect: Callable[..., Any] | None,
    vector: ParameterVector | None,
) -> Report:
    """run_check's body; the Counted evaluator is put in ``counted`` as soon as it exists."""
    vector = flatten(params) if vector is None else vector
    scheme = settings.scheme
    with RngGuard() as rng_guard, centred(f, params, vector, settings.promote, what, scalar) as at:
        evaluator = evaluator_of(settings, f, at.workspace, at.spec)
        counted.append(evaluator)
        rng = np.random.default_rng(settings.seed)
        probes = probe(f, at, evaluator, settings, rng_guard)
        plan = plan_probes(vector, probes.table, probes.eps, directions, settings, rng)
        findings.centre, findings.probes, findings.plan = at, probes, plan
        evaluator.by_stage["probes"] = sum(count for _, count in probes.evaluations)
        per = settings.scheme.evaluations_per_element
        evaluator.expected = evaluator.done + per * plan.steps.size
        evaluator.enter("differences")
        rows, eps = analytic_rows(analytic, params, vector, at.workspace, at.spec, plan.matrix)
        errors = error_model(rows, eps, analytic_noise, probes.sigma, scheme, settings.margin)
        findings.rows, findings.errors = rows, errors
        domain = DomainRetries()  # elements outside f's domain at theta +/- h, retried
        first, errors = first_differences(
            evaluator,
            at,
            plan,
            rows,
            errors,
            settings,
            probes.flat,
            domain,
            probes.unseen,
            findings,
        )
        findings.first, findings.errors = first, errors
        evaluator.enter("refinement")
        measure = measure_plan(evaluator, at, scheme, plan, domain)
        refinement = refine_doubt(rows, first, errors, measure, scheme.order, at.f0)
        judged = Judged(rows, first, errors, refinement)
        more_notes, more = ((), ())
        if inspect is not None:  # a mode that measures more in this run (localisation)
            evaluator.enter("localisation")
            more_notes, more = inspect(evaluator, at, plan, judged, probes.steps)
        check_unchanged(at.workspace)
        made = probes.evaluations + first.evaluations + refinement.evaluations + more
        notes = (*at.notes, *probes.notes, *plan.notes, *precision_notes(at, probes, errors.sigma))
        notes += (*domain.notes(plan.probes.label), *independent_notes(plan.probes, first, rows))
        notes += more_notes
        return build_report(
            kind=kind,
            probes=plan.probes,
            spec=at.spec,
            judged=judged,
            settings=settings,
            evaluations=_with_retries(made, domain.evaluations),
            notes=notes,
            low_precision=probes.low_precision,
            noisy=probes.noisy(at.f0, errors.sigma),
            extra=extra,
            problems=problems,
        )


def _partial(
    findings: Findings,
    stopped: CheckInterrupted,
    settings: Settings,
    kind: str,
    extra: dict | None,
    problems: tuple[str, ...],
) -> Report | None:
    """The report of what ``findings`` hold when ``stopped`` (partial.py), or None."""
    at, probes = findings.centre, findings.probes

    def build(vector: ParameterVector, judged: Judged, notes: tuple[str, ...], more: dict):
        made = dict(probes.evaluations)
        made.update({stage: n for stage, n in stopped.evaluations.items() if stage != "probes"})
        return build_report(
            kind=kind,
            probes=vector,
            spec=at.spec,
            judged=judged,
            settings=settings,
            evaluations=tuple(made.items()),
            notes=(*at.notes, *probes.notes, *notes),
            low_precision=probes.low_precision,
            noisy=probes.noisy(at.f0, judged.errors.sigma),
            extra={**(extra or {}), **more},
            problems=problems,
        )

    said = {"stage": stopped.stage, "done": stopped.done, "expected": stopped.expected}
    return partial_report(findings, build, said)


def _with_retries(
    evaluations: tuple[tuple[str, int], ...], retries: int
) -> tuple[tuple[str, int], ...]:
    """The evaluation counts with the domain retries (differences at shorter or one-sided
    steps, their count also in the domain note) added to the differences'."""
    return tuple(
        (reason, count + retries if reason == "differences" else count)
        for reason, count in evaluations
    )
