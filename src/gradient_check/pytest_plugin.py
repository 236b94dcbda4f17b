"""The pytest plugin (entry point ``pytest11``): a ``gradcheck`` fixture for any project.

``gradcheck(loss, params, grads, **options)`` takes ``check``'s arguments and returns its
Report; when the outcome is not a pass it fails the test with the outcome on the first
line of the message and the report's table below it::

    def test_backward(gradcheck):
        gradcheck(loss, params, grads)

Options: ``--gradcheck-seed N`` is the seed of every check through the fixture that gives
none of its own; ``--gradcheck-json DIR`` writes each report there as JSON, named after
the test's id (``-2``, ``-3`` ... for a test's later checks).

pytest loads this module in every project that installs gradient-check: it imports pytest
and the package's numpy core alone, never click, rich, matplotlib or a framework.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .checks.gradient import check

if TYPE_CHECKING:
    from .report import Report

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")  # characters a file name does without


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "gradient_check's gradcheck fixture")
    group.addoption(
        "--gradcheck-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of every check through the gradcheck fixture that does not give one",
    )
    group.addoption(
        "--gradcheck-json",
        default=None,
        metavar="DIR",
        help="write each gradcheck report to DIR as JSON, named after the test's id",
    )


def report_name(nodeid: str, index: int) -> str:
    """The JSON file of a test's ``index``-th check (from 1): its id, made a file name.

    >>> report_name("tests/test_net.py::test_backward[relu-1]", 1)
    'tests_test_net.py_test_backward_relu-1.json'
    >>> report_name("tests/test_net.py::test_backward", 2)
    'tests_test_net.py_test_backward-2.json'
    """
    stem = UNSAFE.sub("_", nodeid).strip("_")
    return f"{stem}{'' if index == 1 else f'-{index}'}.json"


def failure_message(report: Report) -> str:
    """The outcome on the first line, then the report's table, details and summary."""
    return f"{report.headline}\n\n{report}"


def write_report(report: Report, folder: str, nodeid: str, index: int) -> Path:
    """Write ``report`` as JSON into ``folder`` (made if missing), named after the test."""
    path = Path(folder) / report_name(nodeid, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> Callable[..., Report]:
    """``check(loss, params, grads, **options)`` that fails the test unless it passes.

    The outcome heads the failure message and the report's table follows; the Report is
    returned when the check passes (to assert more on it).
    """
    seed = request.config.getoption("gradcheck_seed")
    folder = request.config.getoption("gradcheck_json")
    calls = 0

    @functools.wraps(check)
    def checked(loss: Any, params: Any, grads: Any, **options: Any) -> Report:
        __tracebackhide__ = True  # the failure points at the test's line, not at this one
        nonlocal calls
        calls += 1
        if seed is not None:
            options.setdefault("seed", seed)
        report = check(loss, params, grads, **options)
        if folder is not None:
            write_report(report, folder, request.node.nodeid, calls)
        if not report.ok:
            pytest.fail(failure_message(report))
        return report

    return checked
