"""The event-store contract, written once and run against every backend.

Subclasses provide a ``url`` fixture naming a fresh, migrated database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import (
    ANY,
    NO_STREAM,
    START,
    ConcurrencyError,
    DuplicateEventId,
    EmptyAppend,
    IdempotencyKeyReused,
    Metadata,
    NewEvent,
    RecordedEvent,
    UpcasterRegistry,
    verify_export,
)
from eventstore.executor import CommandExecutor
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from tests.feed import settled

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def meta(at: datetime = T0, **kw: Any) -> Metadata:
    return Metadata(actor=kw.pop("actor", "user-1"), recorded_at=at, **kw)


def ev(kind: str = "Happened", **data: Any) -> NewEvent:
    return NewEvent(kind, data or {"n": 1})


# -- a tiny counter aggregate for the executor --------------------------------------------


@dataclass(frozen=True)
class Add:
    amount: int


@dataclass(frozen=True)
class Added:
    amount: int


class TooBig(Exception):
    pass


def _decide(command: Add, state: int) -> list[Added]:
    if state + command.amount > 100:
        raise TooBig(f"total would be {state + command.amount}")
    return [Added(command.amount)] if command.amount else []


@dataclass(frozen=True)
class CounterDecider:
    initial_state: int = 0

    @property
    def evolve(self) -> Any:
        return lambda state, event: state + event.amount

    @property
    def decide(self) -> Any:
        return _decide


class CounterCodec:
    def encode(self, event: Added) -> NewEvent:
        return NewEvent("counter.added", {"amount": event.amount})

    def decode(self, recorded: RecordedEvent) -> Added:
        return Added(recorded.data["amount"])


class InterleavingStore:
    """The real store, plus another writer that appends right after each of the first
    ``times`` stream reads (so the following append of the executor conflicts); everything
    else goes to the real store unchanged."""

    def __init__(self, inner: SqlEventStore, times: int) -> None:
        self.inner = inner
        self.remaining = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def read_stream(self, tenant_id: str, stream_id: str, **kw: Any) -> list[RecordedEvent]:
        events = await self.inner.read_stream(tenant_id, stream_id, **kw)
        if self.remaining > 0:
            self.remaining -= 1
            await self.inner.append(
                tenant_id, stream_id, ANY, [ev("counter.added", amount=1)], meta()
            )
        return events

    async def append(self, *args: Any, **kw: Any) -> Any:
        return await self.inner.append(*args, **kw)


class RecordingStore(InterleavingStore):
    """The real store, recording the first version each stream read asked for."""

    def __init__(self, inner: SqlEventStore) -> None:
        super().__init__(inner, times=0)
        self.from_versions: list[int] = []

    async def read_stream(self, tenant_id: str, stream_id: str, **kw: Any) -> list[RecordedEvent]:
        self.from_versions.append(kw.get("from_version", 1))
        return await super().read_stream(tenant_id, stream_id, **kw)


class EventStoreContract:
    """Every guarantee of ARCHITECTURE §3 that both backends share."""

    @pytest.fixture
    async def store(self, url: str) -> AsyncIterator[SqlEventStore]:
        store = open_store(url)
        yield store
        await store.close()

    @pytest.fixture
    def tenant(self) -> str:
        return f"tenant-{uuid.uuid4().hex[:8]}"

    # -- append and versions -----------------------------------------------------------

    async def test_append_to_a_new_stream_numbers_versions_from_one(self, store, tenant):
        result = await store.append(tenant, "s", NO_STREAM, [ev(), ev(), ev()], meta())
        assert (result.first_version, result.version) == (1, 3)
        stored = await store.read_stream(tenant, "s")
        assert [e.version for e in stored] == [1, 2, 3]
        assert [e.position for e in stored] == sorted(e.position for e in stored)
        assert result.position == stored[-1].position

    async def test_append_with_the_current_version_succeeds(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev(), ev()], meta())
        result = await store.append(tenant, "s", 2, [ev()], meta())
        assert result.version == 3

    async def test_a_stale_expected_version_raises_a_conflict_naming_stream_and_versions(
        self, store, tenant
    ):
        await store.append(tenant, "orders-7", NO_STREAM, [ev(), ev()], meta())
        with pytest.raises(ConcurrencyError) as caught:
            await store.append(tenant, "orders-7", 1, [ev()], meta())
        error = caught.value
        assert (error.stream_id, error.expected, error.actual) == ("orders-7", 1, 2)
        assert "orders-7" in str(error)
        assert "1" in str(error)
        assert "2" in str(error)
        assert len(await store.read_stream(tenant, "orders-7")) == 2

    async def test_no_stream_expectation_fails_when_the_stream_exists(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev()], meta())
        with pytest.raises(ConcurrencyError) as caught:
            await store.append(tenant, "s", NO_STREAM, [ev()], meta())
        assert caught.value.actual == 1

    async def test_an_exact_version_on_a_missing_stream_reports_no_stream(self, store, tenant):
        with pytest.raises(ConcurrencyError) as caught:
            await store.append(tenant, "missing", 3, [ev()], meta())
        assert caught.value.actual is None
        assert "no stream" in str(caught.value)

    async def test_any_appends_whatever_the_version(self, store, tenant):
        await store.append(tenant, "s", ANY, [ev()], meta())
        result = await store.append(tenant, "s", ANY, [ev()], meta())
        assert result.version == 2

    async def test_an_empty_append_is_rejected(self, store, tenant):
        with pytest.raises(EmptyAppend):
            await store.append(tenant, "s", NO_STREAM, [], meta())

    async def test_all_events_of_one_append_land_or_none_do(self, store, tenant):
        taken = uuid.uuid4()
        await store.append(tenant, "a", NO_STREAM, [NewEvent("X", {}, event_id=taken)], meta())
        batch = [ev(), ev(), NewEvent("X", {}, event_id=taken)]
        with pytest.raises(DuplicateEventId):
            await store.append(tenant, "b", NO_STREAM, batch, meta())
        assert await store.read_stream(tenant, "b") == []
        assert not (await store.stream_info(tenant, "b")).exists

    # -- idempotency -------------------------------------------------------------------

    async def test_a_repeated_idempotency_key_returns_the_first_result_and_writes_nothing(
        self, store, tenant
    ):
        first = await store.append(
            tenant, "s", NO_STREAM, [ev(n=1)], meta(), idempotency_key="req-1"
        )
        again = await store.append(
            tenant, "s", NO_STREAM, [ev(n=1)], meta(), idempotency_key="req-1"
        )
        assert again.duplicate
        assert not first.duplicate
        assert (again.version, again.position) == (first.version, first.position)
        assert len(await store.read_stream(tenant, "s")) == 1

    async def test_the_same_key_with_a_different_payload_is_rejected(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev(n=1)], meta(), idempotency_key="req-1")
        with pytest.raises(IdempotencyKeyReused) as caught:
            await store.append(tenant, "s", 1, [ev(n=2)], meta(), idempotency_key="req-1")
        assert "req-1" in str(caught.value)
        assert len(await store.read_stream(tenant, "s")) == 1

    async def test_concurrent_requests_with_one_idempotency_key_write_once(self, store, tenant):
        results = await asyncio.gather(
            *(
                store.append(tenant, "s", NO_STREAM, [ev(n=1)], meta(), idempotency_key="k")
                for _ in range(4)
            )
        )
        assert len({(r.version, r.position) for r in results}) == 1
        assert sum(not r.duplicate for r in results) == 1
        assert len(await store.read_stream(tenant, "s")) == 1

    async def test_racing_retries_with_the_same_key_and_event_ids_get_the_first_result(
        self, store, tenant
    ):
        batch = [NewEvent("X", {"n": 1}, event_id=uuid.uuid4())]
        results = await asyncio.gather(
            *(store.append(tenant, "s", ANY, batch, meta(), idempotency_key="k") for _ in range(4))
        )
        assert len({(r.version, r.position) for r in results}) == 1
        assert len(await store.read_stream(tenant, "s")) == 1

    async def test_idempotency_keys_belong_to_one_tenant(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev(n=1)], meta(), idempotency_key="k")
        other = await store.append("other", "s", NO_STREAM, [ev(n=1)], meta(), idempotency_key="k")
        assert not other.duplicate
        assert len(await store.read_stream("other", "s")) == 1

    async def test_event_ids_are_unique(self, store, tenant):
        event_id = uuid.uuid4()
        await store.append(tenant, "a", NO_STREAM, [NewEvent("X", {}, event_id=event_id)], meta())
        with pytest.raises(DuplicateEventId):
            await store.append(tenant, "a", 1, [NewEvent("X", {}, event_id=event_id)], meta())

    # -- reading -----------------------------------------------------------------------

    async def test_a_stream_reads_back_the_envelope_it_was_given(self, store, tenant):
        metadata = Metadata(
            actor="alice",
            recorded_at=T0,
            correlation_id="c-1",
            causation_id="k-9",
            source_system="itsm",
            reason="quarterly review",
        )
        event_id = uuid.uuid4()
        data = {"value": 12.5, "nested": {"list": [1, 2]}, "text": "ü"}
        await store.append(
            tenant,
            "s",
            NO_STREAM,
            [NewEvent("scorecard.target_set", data, schema_version=2, event_id=event_id)],
            metadata,
        )
        (read,) = await store.read_stream(tenant, "s")
        assert (read.event_id, read.event_type, read.schema_version) == (
            event_id,
            "scorecard.target_set",
            2,
        )
        assert read.data == data
        assert read.metadata == metadata
        assert (read.tenant_id, read.stream_id) == (tenant, "s")

    async def test_a_stream_reads_between_versions(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev(i=i) for i in range(6)], meta())
        part = await store.read_stream(tenant, "s", from_version=2, to_version=4)
        assert [e.version for e in part] == [2, 3, 4]

    async def test_a_stream_reads_as_of_a_global_position(self, store, tenant):
        first = await store.append(tenant, "s", NO_STREAM, [ev(), ev()], meta())
        await store.append(tenant, "other", NO_STREAM, [ev()], meta())
        await store.append(tenant, "s", 2, [ev()], meta())
        as_of = await store.read_stream(tenant, "s", as_of_position=first.position)
        assert [e.version for e in as_of] == [1, 2]

    async def test_a_stream_reads_as_of_a_time(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev()], meta(T0))
        await store.append(tenant, "s", 1, [ev()], meta(T0 + timedelta(days=2)))
        as_of = await store.read_stream(tenant, "s", as_of_time=T0 + timedelta(days=1))
        assert [e.version for e in as_of] == [1]

    async def test_stream_info_tells_existence_version_and_last_position(self, store, tenant):
        missing = await store.stream_info(tenant, "s")
        assert (missing.exists, missing.version, missing.last_position) == (False, 0, None)
        result = await store.append(tenant, "s", NO_STREAM, [ev(), ev()], meta())
        info = await store.stream_info(tenant, "s")
        assert (info.exists, info.version, info.last_position) == (True, 2, result.position)

    async def test_the_feed_returns_every_event_once_in_order_across_checkpoints(
        self, store, tenant
    ):
        for i in range(7):
            await store.append(tenant, f"s{i % 3}", ANY, [ev(i=i)], meta())
        await settled(store)
        seen: list[int] = []
        checkpoint = START
        while batch := await store.read_feed(checkpoint, tenant_id=tenant, limit=3):
            seen.extend(e.data["i"] for e in batch)
            checkpoint = batch[-1].feed_position
        assert seen == list(range(7))
        assert await store.head(tenant) == checkpoint

    async def test_feed_lag_counts_the_committed_events_after_a_position(self, store, tenant):
        for i in range(3):
            await store.append(tenant, f"s{i}", NO_STREAM, [ev(i=i)], meta(T0 + timedelta(i)))
        await settled(store)
        first = (await store.read_feed(START, limit=1))[0]
        lag = await store.feed_lag(START)
        assert (lag.events, lag.released, lag.held_back, lag.hold) == (3, 3, 0, None)
        assert lag.oldest is not None
        assert lag.oldest.replace(tzinfo=UTC) == T0
        assert (await store.feed_lag(first.feed_position)).events == 2
        at_head = await store.feed_lag(await store.head())
        assert (at_head.events, at_head.oldest) == (0, None)

    async def test_the_feed_and_streams_never_cross_tenants(self, store, tenant):
        await store.append(tenant, "shared-name", NO_STREAM, [ev(who="mine")], meta())
        await store.append("intruder", "shared-name", NO_STREAM, [ev(who="theirs")], meta())
        mine = await store.read_stream(tenant, "shared-name")
        assert [e.data["who"] for e in mine] == ["mine"]
        await settled(store)
        feed = await store.read_feed(START, tenant_id=tenant)
        assert {e.tenant_id for e in feed} == {tenant}
        everything = await store.read_feed(START)
        assert {e.tenant_id for e in everything} == {tenant, "intruder"}

    async def test_upcasters_bring_old_events_to_the_current_shape_on_read(self, url, tenant):
        plain = open_store(url)
        await plain.append(tenant, "s", NO_STREAM, [NewEvent("kpi.defined", {"name": "x"})], meta())
        await plain.close()
        registry = UpcasterRegistry()
        registry.register("kpi.defined", 1, lambda d: {**d, "unit": "count"})
        registry.register("kpi.defined", 2, lambda d: {"title": d["name"], "unit": d["unit"]})
        upcasting = open_store(url, upcasters=registry)
        try:
            (read,) = await upcasting.read_stream(tenant, "s")
            await settled(upcasting)
            (fed,) = await upcasting.read_feed(START, tenant_id=tenant)
        finally:
            await upcasting.close()
        assert (read.schema_version, read.data) == (3, {"title": "x", "unit": "count"})
        assert fed.data == read.data

    # -- tamper evidence and immutability ----------------------------------------------

    async def test_untouched_chains_verify(self, store, tenant):
        for i in range(3):
            await store.append(tenant, f"s{i}", NO_STREAM, [ev(i=i), ev(i=i + 1)], meta())
        report = await store.verify(tenant)
        assert report.ok
        assert (report.streams_checked, report.events_checked) == (3, 6)

    async def test_each_hash_chains_to_the_previous_one_in_its_stream(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev(), ev()], meta())
        await store.append(tenant, "s", 2, [ev()], meta())
        stored = await store.read_stream(tenant, "s")
        assert len({e.hash for e in stored}) == 3
        exported = [row async for row in store.export(tenant, "s")]
        assert [row["hash"] for row in exported] == [e.hash for e in stored]

    async def test_an_export_verifies_offline_and_an_edited_export_names_the_event(
        self, store, tenant
    ):
        await store.append(tenant, "s", NO_STREAM, [ev(v=1), ev(v=2), ev(v=3)], meta())
        rows = [row async for row in store.export(tenant)]
        assert verify_export(tenant, rows).ok
        rows[1] = {**rows[1], "data": {"v": 20}}
        report = verify_export(tenant, rows)
        assert [(b.stream_id, b.version) for b in report.broken] == [("s", 2)]
        missing = [rows[0], rows[2]]
        assert verify_export(tenant, missing).broken[0].reason == "version 2 is missing"

    async def test_events_cannot_be_updated_or_deleted(self, store, tenant):
        await store.append(tenant, "s", NO_STREAM, [ev()], meta())
        for statement in ("UPDATE events SET event_type = 'x'", "DELETE FROM events"):
            with pytest.raises(sa.exc.DBAPIError, match="immutable"):
                async with store.engine.begin() as conn:
                    await conn.execute(sa.text(statement))
        assert len(await store.read_stream(tenant, "s")) == 1

    # -- waiting for events ------------------------------------------------------------

    async def test_a_waiter_wakes_when_an_event_is_appended(self, store, tenant):
        waiter = store.waiter()
        waiting = asyncio.create_task(waiter.wait(timeout=30))
        await asyncio.sleep(0)  # let the waiter start listening
        await store.append(tenant, "s", NO_STREAM, [ev()], meta())
        assert await asyncio.wait_for(waiting, 30) is True

    async def test_a_waiter_returns_false_when_nothing_happens(self, store):
        assert await store.waiter().wait(timeout=0.05) is False

    # -- the executor and the inline hook ---------------------------------------------

    async def test_the_executor_folds_decides_and_returns_a_consistency_token(self, store, tenant):
        executor = CommandExecutor(store)
        await executor.execute(tenant, "c", Add(5), CounterDecider(), CounterCodec(), meta())
        result = await executor.execute(
            tenant, "c", Add(7), CounterDecider(), CounterCodec(), meta()
        )
        assert (result.state, result.version, result.events) == (12, 2, [Added(7)])
        info = await store.stream_info(tenant, "c")
        assert result.position == info.last_position
        assert result.token is not None

    @pytest.mark.parametrize("cache_size", [0, 8])
    async def test_a_command_that_changes_nothing_returns_the_streams_last_position(
        self, store, tenant, cache_size
    ):
        executor = CommandExecutor(store, cache_size=cache_size)
        decider, codec = CounterDecider(), CounterCodec()
        assert (await executor.execute(tenant, "c", Add(0), decider, codec, meta())).token is None
        written = await executor.execute(tenant, "c", Add(5), decider, codec, meta())
        await store.append(tenant, "other", NO_STREAM, [ev()], meta())
        unchanged = await executor.execute(tenant, "c", Add(0), decider, codec, meta())
        (last,) = await store.read_stream(tenant, "c")
        assert (unchanged.events, unchanged.state, unchanged.version) == ([], 5, 1)
        assert unchanged.token == written.token == last.feed_position
        assert unchanged.position == (await store.stream_info(tenant, "c")).last_position

    async def test_the_executor_retries_after_a_conflict(self, store, tenant):
        interleaving = InterleavingStore(store, times=2)
        result = await CommandExecutor(interleaving, max_attempts=3).execute(
            tenant, "c", Add(5), CounterDecider(), CounterCodec(), meta()
        )
        assert result.attempts == 3
        assert result.state == 7  # two concurrent +1 and our +5
        assert [e.data["amount"] for e in await store.read_stream(tenant, "c")] == [1, 1, 5]

    async def test_the_executor_gives_up_after_its_bounded_attempts(self, store, tenant):
        interleaving = InterleavingStore(store, times=10)
        with pytest.raises(ConcurrencyError):
            await CommandExecutor(interleaving, max_attempts=3).execute(
                tenant, "c", Add(5), CounterDecider(), CounterCodec(), meta()
            )
        assert [e.data["amount"] for e in await store.read_stream(tenant, "c")] == [1, 1, 1]

    async def test_a_caching_executor_folds_only_the_events_appended_since(self, store, tenant):
        reads = RecordingStore(store)
        executor = CommandExecutor(reads, cache_size=8)
        decider, codec = CounterDecider(), CounterCodec()
        await executor.execute(tenant, "c", Add(5), decider, codec, meta())
        await store.append(tenant, "c", 1, [ev("counter.added", amount=10)], meta())  # another
        result = await executor.execute(tenant, "c", Add(1), decider, codec, meta())
        assert result.state == 16 and result.version == 3
        assert reads.from_versions == [1, 2]  # the second command read from version 2 on

    async def test_a_rejected_command_writes_nothing(self, store, tenant):
        with pytest.raises(TooBig):
            await CommandExecutor(store).execute(
                tenant, "c", Add(500), CounterDecider(), CounterCodec(), meta()
            )
        assert not (await store.stream_info(tenant, "c")).exists

    async def test_a_repeated_command_with_its_idempotency_key_is_applied_once(self, store, tenant):
        executor = CommandExecutor(store)
        args = (tenant, "c", Add(5), CounterDecider(), CounterCodec(), meta())
        first = await executor.execute(*args, idempotency_key="k", request_hash="add-5")
        again = await executor.execute(*args, idempotency_key="k", request_hash="add-5")
        assert again.duplicate
        assert again.position == first.position
        assert again.state == 5
        with pytest.raises(IdempotencyKeyReused):
            await executor.execute(
                tenant,
                "c",
                Add(6),
                CounterDecider(),
                CounterCodec(),
                meta(),
                idempotency_key="k",
                request_hash="add-6",
            )

    async def test_inline_handlers_write_in_the_append_transaction(self, store, tenant):
        await self._create_counter_table(store)
        await CommandExecutor(store).execute(
            tenant, "c", Add(5), CounterDecider(), CounterCodec(), meta(), inline=[_project]
        )
        assert await self._projected(store) == [("c", 5)]

    async def test_a_failing_inline_handler_rolls_the_append_back(self, store, tenant):
        await self._create_counter_table(store)

        async def broken(conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
            await _project(conn, events)
            raise RuntimeError("projection failed")

        with pytest.raises(RuntimeError, match="projection failed"):
            await CommandExecutor(store).execute(
                tenant, "c", Add(5), CounterDecider(), CounterCodec(), meta(), inline=[broken]
            )
        assert not (await store.stream_info(tenant, "c")).exists
        assert await self._projected(store) == []

    async def test_a_handlers_own_integrity_error_is_not_taken_for_a_conflict(self, store, tenant):
        await self._create_counter_table(store)

        async def clash(conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
            for _ in range(2):
                await conn.execute(
                    sa.text("INSERT INTO test_counter (stream_id, total) VALUES ('x', 1)")
                )

        with pytest.raises(sa.exc.IntegrityError):
            await store.append(tenant, "s", ANY, [ev()], meta(), inline=[clash])
        assert not (await store.stream_info(tenant, "s")).exists

    async def test_a_stream_read_as_of_a_time_without_a_zone_is_refused(self, store, tenant):
        with pytest.raises(ValueError, match="as_of_time"):
            await store.read_stream(tenant, "s", as_of_time=datetime(2026, 1, 1))

    async def _create_counter_table(self, store: SqlEventStore) -> None:
        async with store.engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "CREATE TABLE test_counter (stream_id TEXT PRIMARY KEY, total INTEGER NOT NULL)"
                )
            )

    async def _projected(self, store: SqlEventStore) -> list[tuple[str, int]]:
        async with store.engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT stream_id, total FROM test_counter"))
            return [(r.stream_id, r.total) for r in rows]


async def _project(conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
    for event in events:
        await conn.execute(
            sa.text(
                "INSERT INTO test_counter (stream_id, total) VALUES (:s, :a) "
                "ON CONFLICT (stream_id) DO UPDATE SET total = test_counter.total + :a"
            ),
            {"s": event.stream_id, "a": event.data["amount"]},
        )
