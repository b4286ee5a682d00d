"""Transactions held open on PostgreSQL, for tests of what the feed waits for: appends of
ours left open after their INSERT, and unrelated transactions that hold an xid."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import NO_STREAM, AppendResult, Metadata, NewEvent, RecordedEvent
from eventstore.postgres import PostgresEventStore, to_libpq_url

GUARD = 30.0
"""Seconds any wait may take before the test fails (a failure guard, never a pacing)."""


def _other_database(url: str) -> str:
    head, _, _ = to_libpq_url(url).rpartition("/")
    return f"{head}/postgres"


@asynccontextmanager
async def unrelated_transactions(url: str) -> AsyncIterator[list[int]]:
    """Three open transactions that hold an xid and write no events: a temporary-table
    write and a write to another table here, a write in database ``postgres``. Yields
    their xids."""
    here = to_libpq_url(url)
    setup = await asyncpg.connect(here)
    await setup.execute("CREATE TABLE IF NOT EXISTS unrelated_notes (note text)")
    await setup.close()
    work = [
        (here, "CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1)"),
        (here, "INSERT INTO unrelated_notes VALUES ('a long report')"),
        (_other_database(url), "CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1)"),
    ]
    connections = [await asyncpg.connect(dsn) for dsn, _ in work]
    try:
        xids = []
        for conn, (_, statements) in zip(connections, work, strict=True):
            await conn.execute("BEGIN")
            await conn.execute(statements)
            xids.append(await conn.fetchval("SELECT pg_current_xact_id_if_assigned()"))
        assert None not in xids
        yield xids
    finally:
        for conn in connections:
            await conn.close()


async def still_in_progress(store: PostgresEventStore, xids: Sequence[int]) -> bool:
    """Whether every one of ``xids`` is still running (asked on a connection of its own)."""
    async with store.engine.connect() as conn:
        statuses = [
            (
                await conn.execute(
                    sa.text("SELECT pg_xact_status(CAST(:x AS text)::xid8)"), {"x": str(xid)}
                )
            ).scalar_one()
            for xid in xids
        ]
    return statuses == ["in progress"] * len(xids)


@dataclass
class HeldWriter:
    """An append whose transaction stays open, after its INSERT, until released."""

    store: PostgresEventStore
    tenant: str
    stream: str
    inserted: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    pid: int | None = None
    task: asyncio.Task[AppendResult] | None = None

    async def start(self) -> None:
        async def hold(conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
            self.pid = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            self.inserted.set()
            await self.release.wait()

        self.task = asyncio.create_task(
            self.store.append(
                self.tenant,
                self.stream,
                NO_STREAM,
                [NewEvent("test.held", {"stream": self.stream})],
                Metadata(actor="held-writer", recorded_at=datetime.now(UTC)),
                inline=[hold],
            )
        )
        async with asyncio.timeout(GUARD):
            await self.inserted.wait()

    async def commit(self) -> int:
        """Let the transaction commit; the event's position."""
        assert self.task is not None
        self.release.set()
        result = await self.task
        return result.position
