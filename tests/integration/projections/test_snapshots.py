"""A cold load starts from the stream's snapshot, on both backends: the events read after it
are bounded whatever the history, and the state equals folding every event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from domain.scorecard import commands as c
from domain.scorecard import scorecard_decider
from eventstore import Metadata
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from eventstore.tables import aggregate_snapshots
from ledger import Ledger
from ledger.state_snapshots import scorecard_snapshots
from streams import scorecard_stream
from streams.codec import codec
from tests.integration.projections.support import SC, Scenario, build_small_scorecard, measure

EVERY = 10


@pytest.fixture
async def s(database_url: str) -> AsyncIterator[Scenario]:
    store = open_store(database_url)
    scenario = Scenario(store)
    scenario.ledger = Ledger(store, snapshot_every=EVERY)
    yield scenario
    await store.close()


async def _record(s: Scenario, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        await s.run(measure(f"x-{n}", "avail", f"{1900 + n // 12}-{n % 12 + 1:02d}", float(n)))


async def _folded_from_the_start(store: SqlEventStore) -> tuple[Any, int]:
    events = await store.read_stream("acme", scorecard_stream(SC))
    return scorecard_decider.fold(codec.decode(r) for r in events), events[-1].version


async def test_a_restarted_ledger_folds_only_the_events_after_the_newest_snapshot(s):
    await build_small_scorecard(s)
    await _record(s, 95)
    restarted = Ledger(s.store, snapshot_every=EVERY)
    result = await s.ledger.execute(s.tenant_id, measure("late", "cost", "2026-04", 1.0), _meta(s))
    again = await restarted.execute(s.tenant_id, measure("later", "cost", "2026-05", 2.0), _meta(s))
    assert restarted.executor.events_folded <= EVERY + 1
    expected, version = await _folded_from_the_start(s.store)
    assert again.state == expected and again.version == version == result.version + 1


async def test_the_events_read_by_a_cold_load_stay_bounded_as_history_grows(s):
    await build_small_scorecard(s)
    folded = []
    for _ in range(3):
        await _record(s, 40, start=len(folded) * 40)
        cold = Ledger(s.store, snapshot_every=EVERY)
        state, _ = await cold.executor.load(
            s.tenant_id,
            scorecard_stream(SC),
            scorecard_decider,
            codec,
            snapshots=scorecard_snapshots,
        )
        folded.append(cold.executor.events_folded)
        assert state == (await _folded_from_the_start(s.store))[0]
    assert max(folded) < EVERY


async def test_a_snapshot_of_another_shape_is_ignored_and_replaced(s):
    await build_small_scorecard(s)
    await _record(s, 30)
    async with s.store.write_engine.begin() as conn:
        await conn.execute(
            aggregate_snapshots.update().values(shape="scorecard/0/old", data=b"not json")
        )
    cold = Ledger(s.store, snapshot_every=EVERY)
    result = await cold.execute(s.tenant_id, measure("y", "cost", "2026-04", 1.0), _meta(s))
    assert result.state == (await _folded_from_the_start(s.store))[0]
    async with s.conn() as conn:
        shapes = (await conn.execute(sa.select(aggregate_snapshots.c.shape))).scalars().all()
    assert sorted(shapes) == sorted(["scorecard/0/old", scorecard_snapshots.shape])


async def test_a_missing_snapshot_only_means_folding_from_the_start(s):
    await build_small_scorecard(s)
    await _record(s, 30)
    async with s.store.write_engine.begin() as conn:
        await conn.execute(aggregate_snapshots.delete())
    cold = Ledger(s.store, snapshot_every=EVERY)
    retract = c.RetractMeasurement(scorecard_id=SC, kpi_id="avail", period=None,
                                   measurement_id="x-3", reason="duplicate row")  # fmt: skip
    result = await cold.execute(s.tenant_id, retract, _meta(s))
    assert result.state == (await _folded_from_the_start(s.store))[0]
    assert "x-3" in result.state.retracted


def _meta(s: Scenario) -> Metadata:
    return Metadata(actor="alice", recorded_at=s.clock.tick())
