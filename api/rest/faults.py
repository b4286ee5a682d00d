"""A test fault-injection point, off unless configured: crash tests stop a batch in flight.

With ``SCORELEDGER_TEST_FAULT_PAUSE=<point>:<file>`` (:attr:`Settings.test_fault_pause`),
a measurement batch reaching ``<point>`` (``before_append``: the key is claimed, nothing is
written; ``after_append``: the first scorecard's batch has committed, the response is not
stored) writes the point's name to ``<file>`` (a FIFO or a plain file the test watches) and
then waits forever, so the test can kill the process at exactly that moment. Production
settings leave it unset and the checkpoint does nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from api.ingest.run import Checkpoint

POINTS = ("before_append", "after_append")

log = structlog.get_logger(__name__)


def fault_checkpoint(configured: str | None) -> Checkpoint | None:
    """The checkpoint that pauses at the configured point, or None when none is."""
    if not configured:
        return None
    point, _, file = configured.partition(":")
    if point not in POINTS or not file:
        choices = "|".join(POINTS)
        raise ValueError(f"test_fault_pause must be <{choices}>:<file>, not {configured!r}")
    path = Path(file)

    async def pause(reached: str) -> None:
        if reached != point:
            return
        log.warning("test_fault_injection_pause", point=point)
        await asyncio.to_thread(_announce, path, point)
        await asyncio.Event().wait()  # until the test kills the process

    return pause


def _announce(path: Path, point: str) -> None:
    with path.open("w") as handle:  # on a FIFO this waits for the test to open it
        handle.write(point + "\n")
