"""The PostgreSQL feed waits for appends in flight and for nothing else on the server.

Unrelated transactions hold transaction ids (a temporary-table write and a write to a table
that is not events, here; a write in another database) for the whole of each test; events
must reach readers while they are still open, and appends left open must hold readers back
without anything being skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from eventstore import NO_STREAM, START, FeedPosition, RecordedEvent
from eventstore.horizon import APPEND_LOCK
from eventstore.postgres import PostgresEventStore, to_libpq_url
from tests.inflight import GUARD, HeldWriter, still_in_progress, unrelated_transactions
from tests.integration.eventstore.contract import ev, meta

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_store(postgres_url: str) -> AsyncIterator[PostgresEventStore]:
    store = PostgresEventStore.from_url(postgres_url, pool_size=20)
    yield store
    await store.close()


async def whole_feed(store: PostgresEventStore) -> list[RecordedEvent]:
    seen: list[RecordedEvent] = []
    checkpoint: FeedPosition = START
    while batch := await store.read_feed(checkpoint, limit=3):
        seen.extend(batch)
        checkpoint = batch[-1].feed_position
    return seen


async def released_streams(store: PostgresEventStore, expected: set[str]) -> list[str]:
    """Read the whole feed until it shows exactly ``expected``, checking on every read that
    it never shows more. (A read may show less for a moment: a transaction anywhere on the
    server that ends between a read's snapshot and its look at the locks is counted as if
    it might have written events.)"""
    waiter = store.waiter()
    async with asyncio.timeout(GUARD):
        while True:
            streams = [e.stream_id for e in await whole_feed(store)]
            assert set(streams) <= expected, f"released too early: {set(streams) - expected}"
            assert len(streams) == len(set(streams)), f"delivered twice: {streams}"
            if set(streams) == expected:
                return streams
            await waiter.wait(timeout=0.05)


@pytest.mark.parametrize(
    ("events", "key"),
    [(1, None), (2, None), (1, "retry-safe")],
    ids=["one-statement", "multi-row", "in-a-transaction"],
)
async def test_an_append_takes_the_append_lock_before_it_has_a_transaction_id(
    postgres_url, pg_store, events, key
):
    blocker = await asyncpg.connect(to_libpq_url(postgres_url))
    try:
        await blocker.execute("SELECT pg_advisory_lock($1, $2)", *APPEND_LOCK)
        append = asyncio.create_task(
            pg_store.append(
                "t", "s", NO_STREAM, [ev(i=i) for i in range(events)], meta(), idempotency_key=key
            )
        )
        waiting = None
        async with asyncio.timeout(GUARD):
            while waiting is None:
                waiting = await blocker.fetchrow(
                    "SELECT a.pid, a.backend_xid FROM pg_stat_activity AS a "
                    "JOIN pg_locks AS l ON l.pid = a.pid AND NOT l.granted "
                    "WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 "
                    "AND a.datname = current_database()",
                    *APPEND_LOCK,
                )
        assert waiting["backend_xid"] is None
        await blocker.execute("SELECT pg_advisory_unlock($1, $2)", *APPEND_LOCK)
        result = await append
    finally:
        await blocker.close()
    assert result.version == events


async def test_events_reach_readers_while_unrelated_transactions_hold_ids_here_and_elsewhere(
    postgres_url, pg_store
):
    async with unrelated_transactions(postgres_url) as xids:
        await pg_store.append("t", "s", NO_STREAM, [ev()], meta())
        assert await released_streams(pg_store, {"s"}) == ["s"]
        assert await pg_store.head() != START
        lag = await pg_store.feed_lag(START)
        assert (lag.events, lag.held_back, lag.hold) == (1, 0, None)
        assert await still_in_progress(pg_store, xids)


async def test_writers_racing_a_live_reader_are_never_skipped_nor_held_by_unrelated_transactions(
    postgres_url, pg_store
):
    order = [3, 7, 1, 5, 0, 6, 2, 4]  # the commit order; they insert in index order
    async with unrelated_transactions(postgres_url) as xids:
        writers = [HeldWriter(pg_store, "t", f"w{i}") for i in range(len(order))]
        for writer in writers:
            await writer.start()  # so transaction ids and positions rise with the index

        live_seen: list[str] = []

        async def live_follower() -> None:
            waiter = pg_store.waiter()
            checkpoint: FeedPosition = START
            while len(live_seen) < len(writers):
                batch = await pg_store.read_feed(checkpoint, limit=2)
                if not batch:
                    await waiter.wait(timeout=0.2)
                    continue
                live_seen.extend(e.stream_id for e in batch)
                checkpoint = batch[-1].feed_position

        live = asyncio.create_task(live_follower())
        committed: set[int] = set()
        for index in order:
            await writers[index].commit()
            committed.add(index)
            prefix = next(i for i in range(len(writers) + 1) if i not in committed)
            expected = {f"w{i}" for i in range(prefix)}
            assert await released_streams(pg_store, expected) == sorted(expected)
        async with asyncio.timeout(GUARD):
            await live
        assert live_seen == [f"w{i}" for i in range(len(writers))]
        assert await still_in_progress(pg_store, xids)


async def test_feed_lag_counts_held_back_events_and_names_the_backend_holding_them(
    postgres_url, pg_store
):
    async with unrelated_transactions(postgres_url):
        first = HeldWriter(pg_store, "t", "first")
        await first.start()
        for i in range(3):
            await pg_store.append("t", f"later-{i}", NO_STREAM, [ev()], meta())
        assert await pg_store.read_feed(START) == []
        async with asyncio.timeout(GUARD):
            lag = await pg_store.feed_lag(START)
            while lag.hold is None or lag.hold.pid is None:  # see released_streams
                lag = await pg_store.feed_lag(START)
        assert (lag.events, lag.held_back, lag.released) == (3, 3, 0)
        assert lag.hold.pid == first.pid
        assert lag.hold.seconds is not None and lag.hold.seconds >= 0
        assert lag.oldest is not None

        await first.commit()
        await released_streams(pg_store, {"first", "later-0", "later-1", "later-2"})
        lag = await pg_store.feed_lag(START)
        assert (lag.events, lag.held_back, lag.hold) == (4, 0, None)
