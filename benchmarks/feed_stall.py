"""How long an unrelated transaction delays an event on the PostgreSQL feed.

    python -m benchmarks.feed_stall [--hold SECONDS]

Each scenario opens a transaction that holds a transaction id and keeps it open for
``--hold`` seconds (default 5), appends one event through the store meanwhile and times how
long it takes until a feed reader (polling every 10 ms, also woken by NOTIFY) receives it:

* ``other database``: a write in database ``postgres`` (a temporary table);
* ``temp table``: a temporary-table write in our own database;
* ``other table``: a write to a table of ours that is not ``events``;
* ``our writer``: an append of ours left open (this one must hold the feed back: it may
  still commit an event below the one just appended).

The last line prints, per scenario, the delay as a fraction of the hold (1.00: the event
waited for the whole transaction; near 0: it did not wait).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg

from api.migrations import upgrade_async
from benchmarks._common import (
    benchmark_parser,
    libpq_url,
    postgres_url,
    scratch_postgres_database,
    with_database,
)
from eventstore import NO_STREAM, FeedPosition, Metadata, NewEvent
from eventstore.postgres import PostgresEventStore

POLL = 0.01


def _meta() -> Metadata:
    return Metadata(actor="benchmark", recorded_at=datetime.now(UTC))


@asynccontextmanager
async def _held_xid(dsn: str, statements: Sequence[str]) -> AsyncIterator[None]:
    """A transaction that ran ``statements`` (so it holds an xid) until the block ends."""
    conn = await asyncpg.connect(dsn)
    try:
        tx = conn.transaction()
        await tx.start()
        for statement in statements:
            await conn.execute(statement)
        assert await conn.fetchval("SELECT pg_current_xact_id_if_assigned()") is not None
        yield
        await tx.rollback()
    finally:
        await conn.close()


@asynccontextmanager
async def _open_append(store: PostgresEventStore) -> AsyncIterator[None]:
    """An append of ours whose transaction stays open until the block ends."""
    inserted, release = asyncio.Event(), asyncio.Event()

    async def hold(conn: Any, events: Any) -> None:
        inserted.set()
        await release.wait()

    task = asyncio.create_task(
        store.append("bench", "held", NO_STREAM, [NewEvent("held", {})], _meta(), inline=[hold])
    )
    await inserted.wait()
    try:
        yield
    finally:
        release.set()
        await task


async def _delay(store: PostgresEventStore, after: FeedPosition, stream: str) -> float:
    """Append one event to ``stream``; seconds until the feed after ``after`` shows it."""
    waiter = store.waiter()
    await store.append("bench", stream, NO_STREAM, [NewEvent("timed", {})], _meta())
    started = time.perf_counter()
    while True:
        events = await store.read_feed(after, limit=10_000)
        if any(e.stream_id == stream for e in events):
            return time.perf_counter() - started
        await waiter.wait(timeout=POLL)


async def measure(url: str, hold: float) -> list[tuple[str, float]]:
    """Delay per scenario, each while an unrelated (or our own) transaction is open."""
    await upgrade_async(url)
    store = PostgresEventStore.from_url(url)
    dsn = libpq_url(url)
    other_db = libpq_url(with_database(url, "postgres"))
    try:
        setup = await asyncpg.connect(dsn)
        await setup.execute("CREATE TABLE IF NOT EXISTS bench_notes (note text)")
        await setup.close()
        scenarios: dict[str, Callable[[], Any]] = {
            "other database": lambda: _held_xid(
                other_db, ["CREATE TEMP TABLE t (x int)", "INSERT INTO t VALUES (1)"]
            ),
            "temp table": lambda: _held_xid(
                dsn, ["CREATE TEMP TABLE t (x int)", "INSERT INTO t VALUES (1)"]
            ),
            "other table": lambda: _held_xid(dsn, ["INSERT INTO bench_notes VALUES ('x')"]),
            "our writer": lambda: _open_append(store),
        }
        results = []
        for index, (name, scenario) in enumerate(scenarios.items()):
            after = await store.head()
            async with scenario():
                timer = asyncio.create_task(_delay(store, after, f"timed-{index}"))
                # The transaction stays open for the hold, or until the event was seen.
                await asyncio.wait({timer}, timeout=hold)
            delay = await timer
            results.append((name, delay))
            print(f"{name:>15}: event seen after {delay:7.3f} s (transaction held {hold} s)")
        return results
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser("python -m benchmarks.feed_stall", __doc__, "same as without")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds each hold lasts")
    args = parser.parse_args(argv)

    async def run() -> list[tuple[str, float]]:
        async with scratch_postgres_database(postgres_url(), "scoreledger_stall") as url:
            return await measure(url, args.hold)

    results = asyncio.run(run())
    print("delay/hold: " + ", ".join(f"{name} {delay / args.hold:.2f}" for name, delay in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
