"""The golden problems' reports, built once per session."""

from __future__ import annotations

import pytest
from goldens import PROBLEMS

from gradient_check import Report


@pytest.fixture(scope="session")
def reports() -> dict[str, Report]:
    """Each golden problem's report, by name."""
    return {name: build() for name, build in PROBLEMS.items()}
