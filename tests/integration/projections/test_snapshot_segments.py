"""Snapshot heads and segments on both backends: a cold load whose segments are partly stale
or missing folds from the start and is right; a segment beyond its head is ignored; an id
used long before a restart is still refused with the same code; each segment holds only
the ids added since the snapshot before it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from domain.errors import DomainError
from domain.scorecard import commands as c
from domain.scorecard import scorecard_decider
from eventstore import Metadata
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from eventstore.tables import aggregate_snapshot_segments as segments
from ledger import Ledger
from ledger.state_snapshots import ids_in_segment, scorecard_snapshots
from streams import scorecard_stream
from streams.codec import codec
from tests.integration.projections.support import SC, Scenario, build_small_scorecard, measure

EVERY = 10


@pytest.fixture
async def s(database_url: str) -> AsyncIterator[Scenario]:
    store = open_store(database_url)
    scenario = Scenario(store)
    scenario.ledger = Ledger(store, snapshot_every=EVERY)
    await build_small_scorecard(scenario)
    yield scenario
    await store.close()


async def _record(s: Scenario, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        await s.run(measure(f"x-{n}", "avail", f"{1900 + n // 12}-{n % 12 + 1:02d}", float(n)))


async def _folded_from_the_start(store: SqlEventStore) -> tuple[Any, int]:
    events = await store.read_stream("acme", scorecard_stream(SC))
    return scorecard_decider.fold(codec.decode(r) for r in events), events[-1].version


async def _segments(s: Scenario) -> list[Any]:
    async with s.conn() as conn:
        query = sa.select(segments.c.after_version, segments.c.version, segments.c.data)
        return list((await conn.execute(query.order_by(segments.c.version))).all())


def _meta(s: Scenario) -> Metadata:
    return Metadata(actor="alice", recorded_at=s.clock.tick())


async def test_each_segment_holds_only_the_ids_added_since_the_snapshot_before(s):
    await _record(s, 60)
    rows = await _segments(s)
    assert len(rows) >= 5
    assert [r.after_version for r in rows[1:]] == [r.version for r in rows[:-1]]
    assert all(ids_in_segment(r.data) <= EVERY for r in rows[1:])
    expected, _ = await _folded_from_the_start(s.store)
    written = len(expected.measurement_ids) + len(expected.retracted)
    assert (
        sum(ids_in_segment(r.data) for r in rows) <= written
    )  # (the newest events: no snapshot yet)
    assert sum(ids_in_segment(r.data) for r in rows) > written - EVERY


async def test_a_cold_load_with_a_segment_missing_folds_from_the_start_and_writes_one_whole(s):
    await _record(s, 45)
    middle = (await _segments(s))[2]
    async with s.store.write_engine.begin() as conn:
        await conn.execute(segments.delete().where(segments.c.version == middle.version))
    cold = Ledger(s.store, snapshot_every=EVERY)
    result = await cold.execute(s.tenant_id, measure("late", "cost", "2026-04", 1.0), _meta(s))
    expected, version = await _folded_from_the_start(s.store)
    assert cold.executor.events_folded == version - 1  # everything but its own event
    assert (await cold.executor.load(s.tenant_id, scorecard_stream(SC), scorecard_decider,
                                     codec)) == (expected, version)  # fmt: skip
    assert result.state == expected
    rows = await _segments(s)
    assert [r.after_version for r in rows] == [0]  # the older ones, now redundant, are gone
    assert ids_in_segment(rows[0].data) == len(expected.measurement_ids) - 1  # all but its own


async def test_a_segment_beyond_its_head_is_ignored(s):
    await _record(s, 25)
    newest = (await _segments(s))[-1]
    async with s.store.write_engine.begin() as conn:
        await conn.execute(
            segments.insert().values(
                tenant_id=s.tenant_id, stream_id=scorecard_stream(SC),
                shape=scorecard_snapshots.shape, version=newest.version + 3,
                after_version=newest.version, data=b"garbage",
                written_at=s.clock.tick(),
            )
        )  # fmt: skip
    cold = Ledger(s.store, snapshot_every=EVERY)
    result = await cold.execute(s.tenant_id, measure("late", "cost", "2026-04", 1.0), _meta(s))
    assert cold.executor.events_folded <= EVERY
    assert result.state == (await _folded_from_the_start(s.store))[0]


async def test_an_id_used_before_a_restart_is_refused_after_it_with_the_same_code(s):
    await _record(s, 35)
    codes = []
    for ledger in (s.ledger, Ledger(s.store, snapshot_every=EVERY)):
        with pytest.raises(DomainError) as refused:
            await ledger.execute(s.tenant_id, measure("x-2", "cost", "2026-04", 1.0), _meta(s))
        codes.append(refused.value.code)
    assert codes == ["measurement.already_exists"] * 2
    restarted = Ledger(s.store, snapshot_every=EVERY)
    retract = c.RetractMeasurement(scorecard_id=SC, kpi_id="avail", period=None,
                                   measurement_id="x-1", reason="duplicate row")  # fmt: skip
    await restarted.execute(s.tenant_id, retract, _meta(s))
    again = Ledger(s.store, snapshot_every=EVERY)
    with pytest.raises(DomainError) as twice:
        await again.execute(s.tenant_id, retract, _meta(s))
    assert twice.value.code == "measurement.already_retracted"


async def test_every_few_snapshots_one_whole_segment_replaces_the_others(s):
    s.ledger = Ledger(s.store, snapshot_every=EVERY, compact_segments=3)
    seen: list[list[Any]] = []
    for start in range(0, 80, EVERY):
        await _record(s, EVERY, start)
        seen.append(await _segments(s))
    assert max(len(rows) for rows in seen) <= 3
    assert any(len(rows) == 1 for rows in seen[3:])  # a whole one was written after a while
    rows = seen[-1]
    assert rows[0].after_version == 0
    assert [r.after_version for r in rows[1:]] == [r.version for r in rows[:-1]]
    expected, version = await _folded_from_the_start(s.store)
    written = len(expected.measurement_ids) + len(expected.retracted)
    held = sum(ids_in_segment(r.data) for r in rows)
    assert written - EVERY < held <= written  # each id once (the newest: no snapshot yet)
    cold = Ledger(s.store, snapshot_every=EVERY, compact_segments=3)
    stream = scorecard_stream(SC)
    restored = await cold.executor.load(
        s.tenant_id, stream, scorecard_decider, codec, snapshots=scorecard_snapshots
    )
    assert restored == (expected, version)
    assert cold.executor.events_folded < EVERY
    with pytest.raises(DomainError) as refused:
        await cold.execute(
            s.tenant_id, measure("x-1", "avail", "2030-01", 1.0), _meta(s)
        )  # an id used before the first whole segment
    assert refused.value.code == "measurement.already_exists"


async def test_a_whole_segment_from_a_restored_state_keeps_the_buckets_it_never_built(s):
    s.ledger = Ledger(s.store, snapshot_every=EVERY, compact_segments=4)
    await _record(s, 3 * EVERY)  # three segments stored beside the head
    # A restarted process: its state's id buckets are the stored frames until a command
    # needs one; its next snapshots reach the fourth segment and write one whole.
    s.ledger = Ledger(s.store, snapshot_every=EVERY, compact_segments=4)
    await _record(s, 2 * EVERY, start=3 * EVERY)
    rows = await _segments(s)
    assert rows[0].after_version == 0 and len(rows) <= 2
    expected, version = await _folded_from_the_start(s.store)
    cold = Ledger(s.store, snapshot_every=EVERY)
    restored = await cold.executor.load(
        s.tenant_id, scorecard_stream(SC), scorecard_decider, codec, snapshots=scorecard_snapshots
    )
    assert restored == (expected, version)
    assert cold.executor.events_folded < EVERY
    for n in (0, EVERY, 3 * EVERY + 1):  # ids of every stretch are still known
        with pytest.raises(DomainError) as refused:
            await cold.execute(s.tenant_id, measure(f"x-{n}", "avail", "2031-01", 1.0), _meta(s))
        assert refused.value.code == "measurement.already_exists"
