"""A projection runner in a process of its own, for the crash test.

    python -m tests.integration.projections.runner_process URL BLOCK_AT_BATCH

Runs the audit projection with batches of 5. In batch number BLOCK_AT_BATCH, after the
batch's rows are written and before its transaction commits, it prints ``mid-batch`` and
waits forever, so the test can kill it at exactly that point.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from eventstore.factory import open_store
from projections.audit import AuditProjection
from projections.runner import ProjectionRunner


class BlockingAudit(AuditProjection):
    def __init__(self, block_at: int) -> None:
        self.block_at = block_at
        self.batches = 0

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        await super().apply(conn, events, generation)
        self.batches += 1
        if self.batches == self.block_at:
            print("mid-batch", flush=True)
            await asyncio.Event().wait()


async def main(url: str, block_at: int) -> None:
    store = open_store(url)
    runner = ProjectionRunner(store, BlockingAudit(block_at), batch_size=5, poll_interval=0.2)
    await runner.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
