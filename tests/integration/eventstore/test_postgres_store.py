"""The event-store contract on PostgreSQL, plus concurrency, gap-safety and tamper tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import NO_STREAM, START, ConcurrencyError, FeedPosition, RecordedEvent
from eventstore.factory import open_store
from eventstore.postgres import PostgresEventStore
from tests.feed import settled
from tests.integration.eventstore.contract import EventStoreContract, ev, meta

pytestmark = pytest.mark.postgres


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    def url(self, postgres_url: str) -> str:
        return postgres_url

    async def test_events_cannot_be_truncated(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev()], meta())
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            async with store.engine.begin() as conn:
                await conn.execute(sa.text("TRUNCATE events"))
        assert len(await store.read_stream(tenant, "s")) == 1


@pytest.fixture
async def pg_store(postgres_url: str) -> AsyncIterator[PostgresEventStore]:
    store = PostgresEventStore.from_url(postgres_url, pool_size=20)
    yield store
    await store.close()


async def test_of_sixteen_writers_with_the_same_expected_version_exactly_one_wins(pg_store):
    writers, rounds = 16, 12
    barrier = asyncio.Barrier(writers)
    outcomes: list[list[object]] = [[] for _ in range(rounds)]

    async def writer(index: int) -> None:
        for round_ in range(rounds):
            expected = round_ if round_ else NO_STREAM
            await barrier.wait()  # everyone holds the same expectation
            try:
                result = await pg_store.append("t", "hot", expected, [ev(w=index)], meta())
                outcomes[round_].append(result.version)
            except ConcurrencyError as error:
                assert error.actual == round_ + 1
                outcomes[round_].append(error)
            await barrier.wait()  # the round is over for everyone

    await asyncio.gather(*(writer(i) for i in range(writers)))
    for round_, results in enumerate(outcomes):
        winners = [r for r in results if isinstance(r, int)]
        losers = [r for r in results if isinstance(r, ConcurrencyError)]
        assert winners == [round_ + 1]
        assert len(losers) == writers - 1
    stored = await pg_store.read_stream("t", "hot")
    assert [e.version for e in stored] == list(range(1, rounds + 1))


async def _naive_read(store: PostgresEventStore, after: int) -> list[int]:
    """The tempting reader: everything with a position above the checkpoint."""
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT global_position FROM events WHERE global_position > :p "
                "ORDER BY global_position"
            ),
            {"p": after},
        )
        return [r.global_position for r in rows]


async def test_transactions_committing_out_of_order_are_skipped_by_a_naive_reader_not_by_ours(
    pg_store,
):
    writers = 10
    inserted = [asyncio.Event() for _ in range(writers)]
    release = [asyncio.Event() for _ in range(writers)]

    def holding(index: int):
        async def hold(conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
            inserted[index].set()
            await release[index].wait()  # the transaction stays open, its rows uncommitted

        return hold

    # Writer i inserts before writer i+1, so positions and transaction ids rise with i.
    tasks = []
    for i in range(writers):
        tasks.append(
            asyncio.create_task(
                pg_store.append(
                    "t", f"stream-{i}", NO_STREAM, [ev(i=i)], meta(), inline=[holding(i)]
                )
            )
        )
        await inserted[i].wait()

    naive_checkpoint, naive_seen = 0, []
    ours_checkpoint, ours_seen = START, []

    async def follow() -> None:
        nonlocal naive_checkpoint, ours_checkpoint
        naive = await _naive_read(pg_store, naive_checkpoint)
        naive_seen.extend(naive)
        naive_checkpoint = max([naive_checkpoint, *naive])
        batch = await pg_store.read_feed(ours_checkpoint, limit=3)
        while batch:
            ours_seen.extend(e.position for e in batch)
            ours_checkpoint = batch[-1].feed_position
            batch = await pg_store.read_feed(ours_checkpoint, limit=3)

    # A follower that keeps reading the live feed the whole time, woken by notifications.
    live_seen: list[int] = []

    async def live_follower() -> None:
        waiter = pg_store.waiter()
        checkpoint = START
        while len(live_seen) < writers:
            batch = await pg_store.read_feed(checkpoint, limit=2)
            if not batch:
                await waiter.wait(timeout=0.5)
                continue
            live_seen.extend(e.position for e in batch)
            checkpoint = batch[-1].feed_position

    live = asyncio.create_task(live_follower())
    for i in reversed(range(writers)):  # commit in the opposite order of insertion
        release[i].set()
        await tasks[i]
        await follow()
    await asyncio.wait_for(live, timeout=60)
    await settled(pg_store)  # a transaction open elsewhere on the server only delays us
    await follow()

    positions = sorted(task.result().position for task in tasks)
    assert sorted(naive_seen) != positions, "the naive reader should have skipped events"
    assert len(naive_seen) < writers
    assert sorted(ours_seen) == positions
    assert len(ours_seen) == writers
    assert sorted(live_seen) == positions
    assert len(live_seen) == writers


async def test_tampering_with_one_event_is_named_by_verify(pg_store):
    await pg_store.append("t", "audit", NO_STREAM, [ev(v=1), ev(v=2), ev(v=3)], meta())
    await pg_store.append("t", "other", NO_STREAM, [ev(v=1)], meta())
    victim = (await pg_store.read_stream("t", "audit"))[1]
    async with pg_store.engine.begin() as conn:
        # As superuser: disable triggers for this transaction and rewrite history.
        await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            sa.text("UPDATE events SET data = CAST(:d AS json) WHERE global_position = :p"),
            {"d": '{"v": 200}', "p": victim.position},
        )
    report = await pg_store.verify("t")
    assert not report.ok
    assert [(b.stream_id, b.version, b.event_id, b.position) for b in report.broken] == [
        ("audit", 2, str(victim.event_id), victim.position)
    ]
    assert (await pg_store.verify("t", "other")).ok


async def test_a_dropped_listen_connection_does_not_stall_a_reader(postgres_url, pg_store):
    other_process = open_store(postgres_url)  # its appends reach us only through NOTIFY
    try:
        waiter = pg_store.waiter()
        await waiter.wait(timeout=0.01)
        first = pg_store.hub.connection
        assert first is not None
        async with pg_store.engine.connect() as conn:
            await conn.execute(
                sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first.get_server_pid()}
            )
        await other_process.append("t", "s", NO_STREAM, [ev()], meta())

        checkpoint: FeedPosition = START
        received = []
        async with asyncio.timeout(30):
            while not received:
                received = await pg_store.read_feed(checkpoint)
                if not received:
                    await waiter.wait(timeout=0.2)
        assert [e.stream_id for e in received] == ["s"]
        checkpoint = received[-1].feed_position

        async with asyncio.timeout(30):
            while pg_store.hub.connection in (None, first):
                await waiter.wait(timeout=0.1)
        await other_process.append("t", "s", 1, [ev()], meta())
        assert await waiter.wait(timeout=30) is True
        await settled(pg_store)
        assert len(await pg_store.read_feed(checkpoint)) == 1
    finally:
        await other_process.close()
