"""Waiting until the gap-safe feed shows every committed event.

On PostgreSQL an append still in flight in the same database (another test's writer left
open on purpose) holds feed readers back until it ends: they wait, they never skip. Tests
that read the feed right after writing wait for that first, on a deadline, so a slow writer
delays them instead of failing them.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from eventstore import START
from eventstore.sql import SqlEventStore


async def settled(store: SqlEventStore, deadline: float = 60.0) -> None:
    """Return once the feed releases as many events as the events table holds."""
    async with store.engine.connect() as conn:
        total = (await conn.execute(sa.text("SELECT count(*) FROM events"))).scalar_one()
    waiter = store.waiter()
    async with asyncio.timeout(deadline):
        while (await store.feed_lag(START)).released < total:
            await waiter.wait(timeout=0.1)
