"""The ``gradient-check`` command line, its demo, and the reference problems it runs."""

from .main import main

__all__ = ["main"]
