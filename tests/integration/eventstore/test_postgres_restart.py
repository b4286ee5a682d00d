"""The PostgreSQL store across restarts of its server while it sat idle: every pooled
connection from before is one the server has closed, and the first reads and writes after
the restart must not fail on them (the pools replace them at checkout).

The server is a private cluster of the test's own (tests.pgcluster), crashed and shut
down with ``pg_ctl``; the shared server is never touched.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from eventstore import ANY, Metadata, NewEvent
from eventstore.factory import open_store
from tests.pgcluster import PrivateCluster

pytestmark = pytest.mark.postgres

POOLED = 4


async def test_the_first_statements_after_a_restart_succeed_on_fresh_connections(
    private_postgres_url: tuple[PrivateCluster, str],
) -> None:
    cluster, url = private_postgres_url
    store = open_store(url)
    checked_out = asyncio.Barrier(POOLED)

    async def select_one() -> int:
        async with store.engine.connect() as conn:
            await checked_out.wait()  # all of them out at once: distinct connections
            return int((await conn.execute(sa.text("SELECT 1"))).scalar_one())

    async def append(number: int) -> None:
        await store.append(
            "acme",
            "probe",
            ANY,
            [NewEvent("probe.written", {"number": number})],
            Metadata(actor="probe", recorded_at=datetime.now(UTC)),
        )

    try:
        assert await asyncio.gather(*(select_one() for _ in range(POOLED))) == [1] * POOLED
        await append(0)
        for number, mode in enumerate(("immediate", "fast"), start=1):
            await asyncio.to_thread(cluster.stop, mode)
            await asyncio.to_thread(cluster.start)

            assert await asyncio.gather(*(select_one() for _ in range(POOLED))) == [1] * POOLED
            await append(number)
            feed = await store.read_feed()
            assert [event.data["number"] for event in feed] == list(range(number + 1))
    finally:
        await store.close()
