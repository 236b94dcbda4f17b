"""The ``gradient-check`` command: check your own problem, the demo, the step-size sweep
and mutation testing.

Needs the ``cli`` extra (click and rich): ``pip install 'gradient-check[cli]'``.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of ``gradient-check`` and ``python -m gradient_check``."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as error:
        sys.exit(
            f"gradient-check: the command line needs the 'cli' extra ({error.name} is missing). "
            "Install it with: pip install 'gradient-check[cli]'"
        )
    from .commands import cli

    cli()
