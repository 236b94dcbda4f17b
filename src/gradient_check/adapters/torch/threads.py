"""torch's intra-op threads while a check runs, and the user's setting put back after.

A check makes thousands of small evaluations. On a shared machine torch's intra-op thread
pool makes each of them 5-45 times slower (the threads wait for cores that other work
holds, and every op pays their start-up), so the adapter runs on THREADS thread unless the
caller asks otherwise (``threads=None`` keeps torch's setting). The user's setting is
restored however the check ends, KeyboardInterrupt included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ...errors import InvalidProblemError

THREADS = 1  # see the module's docstring


def check_threads(threads: int | None) -> None:
    """Refuse a thread count that is not None or a positive int, naming the fix."""
    whole = isinstance(threads, int) and not isinstance(threads, bool)
    if threads is not None and not (whole and threads >= 1):
        raise InvalidProblemError(
            f"`threads` must be a positive int, or None to keep torch's setting; got {threads!r}."
        )


@contextmanager
def intra_op_threads(threads: int | None = THREADS) -> Iterator[None]:
    """Run the block on ``threads`` intra-op threads (None: as torch is set), then restore."""
    check_threads(threads)
    before = torch.get_num_threads()
    if threads is not None and threads != before:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def thread_note(threads: int | None, before: int) -> list[str]:
    """The report's note when the check ran on another thread count than torch's."""
    if threads is None or threads == before:
        return []
    return [f"ran on {threads} intra-op thread(s); torch's setting ({before}) restored after"]
