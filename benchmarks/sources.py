"""Which gradient_check the benchmarks measure: ``--src PATH``, else this repository's src/.

Imported first by a benchmark (the script's own folder is on sys.path), before anything
imports gradient_check, so that the sources named win over an installed copy.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def source() -> str:
    """The gradient_check sources to benchmark: ``--src PATH``, else this repository's src/."""
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--src" and i + 1 < len(argv):
            return os.path.abspath(argv[i + 1])
        if arg.startswith("--src="):
            return os.path.abspath(arg.split("=", 1)[1])
    return os.path.join(os.path.dirname(HERE), "src")


sys.path.insert(0, HERE)
sys.path.insert(0, source())  # ahead of whatever the environment has installed
