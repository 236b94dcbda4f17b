"""The command line's exit status: the outcome of a check, as a shell reads it.

0 pass; 1 fail (confirmed wrong, or a structural problem); 2 could not be checked (a
refusal or a usage error: click's own status for a bad option, and a refused problem);
3 cannot tell (the finite difference could not decide: see the report's advice). Every
command that judges a user's derivative ends with ``exit_status(report)``.
"""

from __future__ import annotations

from ..report import Outcome, Report

PASSED, FAILED, NOT_CHECKED, CANNOT_TELL = 0, 1, 2, 3

EXIT_STATUS = {
    Outcome.PASS: PASSED,
    Outcome.WRONG: FAILED,
    Outcome.STRUCTURAL: FAILED,
    Outcome.CANNOT_TELL: CANNOT_TELL,
}


def exit_status(report: Report) -> int:
    """The exit status that says ``report``'s outcome: 0 pass, 1 fail, 3 cannot tell."""
    return EXIT_STATUS[report.outcome]
