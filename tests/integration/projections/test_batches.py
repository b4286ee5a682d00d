"""Batches of commands on one scorecard, on both backends: decided in order against one
state, appended in one transaction, an outcome per command; a rejected command writes
nothing and does not stop the others."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from domain.commands import Command
from domain.errors import DomainError
from domain.scorecard import commands as c
from domain.scorecard import events as e
from eventstore import Metadata
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from projections import tables as t
from streams import scorecard_stream
from tests.integration.projections.support import SC, Scenario, build_small_scorecard, measure


class CountingAppends:
    """The real store, counting its appends (everything else goes to it unchanged)."""

    def __init__(self, inner: SqlEventStore) -> None:
        self._inner = inner
        self.appends = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def append(self, *args: Any, **kwargs: Any) -> Any:
        self.appends += 1
        return await self._inner.append(*args, **kwargs)


@pytest.fixture
async def s(database_url: str) -> AsyncIterator[Scenario]:
    store = open_store(database_url)
    scenario = Scenario(store)
    await build_small_scorecard(scenario)
    counting = CountingAppends(store)
    scenario.ledger.executor.store = counting
    yield scenario
    await store.close()


async def _batch(s: Scenario, commands: Sequence[Command], key: str | None = None) -> Any:
    metadata = Metadata(actor="feed", recorded_at=s.clock.tick())
    return await s.ledger.execute_batch(s.tenant_id, commands, metadata, idempotency_key=key)


def _appends(s: Scenario) -> int:
    store = s.ledger.executor.store
    assert isinstance(store, CountingAppends)
    return store.appends


async def _current_values(s: Scenario) -> dict[tuple[str, str], float | None]:
    m = t.measurements
    async with s.conn() as conn:
        rows = await conn.execute(
            sa.select(m.c.kpi_id, m.c.period, m.c.value).where(m.c.sys_to_pos.is_(None))
        )
        return {(row.kpi_id, row.period): row.value for row in rows}


async def test_each_command_sees_the_events_of_those_before_it_and_all_land_in_one_append(s):
    before = _appends(s)
    result = await _batch(
        s,
        [
            measure("b1", "avail", "2026-04", 97.0),
            measure("b2", "avail", "2026-04", 98.0, reason="late fix"),
            measure("b3", "mttr", "2026-04", 3.0),
        ],
    )
    assert _appends(s) == before + 1
    kinds = [[type(ev) for ev in outcome.events] for outcome in result.outcomes]
    assert kinds == [[e.MeasurementRecorded], [e.MeasurementCorrected], [e.MeasurementRecorded]]
    assert all(outcome.error is None for outcome in result.outcomes)
    stored = await s.store.read_stream(s.tenant_id, scorecard_stream(SC), from_version=1)
    assert [r.version for r in stored[-3:]] == list(range(result.version - 2, result.version + 1))
    assert len({r.transaction_id for r in stored[-3:]}) == 1
    assert result.token is not None and result.token.position == stored[-1].position
    values = await _current_values(s)
    assert values[("avail", "2026-04")] == 98.0 and values[("mttr", "2026-04")] == 3.0


async def test_a_rejected_command_gets_its_error_writes_nothing_and_does_not_stop_the_others(s):
    version = (await s.store.stream_info(s.tenant_id, scorecard_stream(SC))).version
    result = await _batch(
        s,
        [
            measure("b1", "avail", "2026-04", 97.0),
            measure("b1", "mttr", "2026-04", 3.0),  # the id is taken by the first
            measure("b3", "nope", "2026-04", 1.0),
            measure("b4", "cost", "2026-04", 90.0),
        ],
    )
    errors = [o.error.code if isinstance(o.error, DomainError) else None for o in result.outcomes]
    assert errors == [None, "measurement.already_exists", "kpi.not_found", None]
    assert [len(o.events) for o in result.outcomes] == [1, 0, 0, 1]
    assert result.version == version + 2
    values = await _current_values(s)
    assert ("mttr", "2026-04") not in values and values[("cost", "2026-04")] == 90.0


async def test_a_batch_whose_commands_are_all_rejected_appends_nothing(s):
    before = _appends(s)
    info = await s.store.stream_info(s.tenant_id, scorecard_stream(SC))
    result = await _batch(s, [measure("a-2026-01", "avail", "2026-05", 1.0)])
    assert isinstance(result.outcomes[0].error, DomainError)
    assert _appends(s) == before
    assert result.version == info.version and result.position == info.last_position


async def test_a_retried_batch_returns_the_first_result_and_appends_nothing(s):
    commands = [measure("b1", "avail", "2026-04", 97.0), measure("b2", "cost", "2026-04", 9.0)]
    first = await _batch(s, commands, key="batch-1")
    again = await _batch(s, commands, key="batch-1")
    assert again.duplicate and again.token == first.token and again.version == first.version
    assert len(await s.store.read_stream(s.tenant_id, scorecard_stream(SC))) == first.version


async def test_a_batch_across_two_streams_is_refused(s):
    other = c.RenameScorecard(scorecard_id="sc-2", name="Other")
    with pytest.raises(ValueError, match="one stream"):
        await _batch(s, [measure("b1", "avail", "2026-04", 97.0), other])


async def test_a_period_closed_earlier_in_the_batch_rejects_the_measurements_after_it(s):
    close = c.ClosePeriod(scorecard_id=SC, period=measure("x", "avail", "2026-04", 1).period)
    result = await _batch(s, [measure("b1", "avail", "2026-04", 97.0), close,
                              measure("b2", "cost", "2026-04", 9.0)])  # fmt: skip
    assert [o.error.code if isinstance(o.error, DomainError) else None
            for o in result.outcomes] == [None, None, "period.closed"]  # fmt: skip


async def test_a_creation_naming_an_unknown_team_is_refused_in_its_place_in_the_batch(s):
    def create(team_id: str) -> c.CreateScorecard:
        return c.CreateScorecard(scorecard_id="sc-9", team_id=team_id, name="New",
                                 perspective_ids=("a", "b", "c", "d"))  # fmt: skip

    rename = c.RenameScorecard(scorecard_id="sc-9", name="Renamed")
    result = await _batch(s, [create("nobody"), rename, create("ops"), rename])
    codes = [o.error.code if isinstance(o.error, DomainError) else None for o in result.outcomes]
    assert codes == ["team.not_found", "scorecard.not_found", None, None]
    assert result.state.name == "Renamed" and result.state.team_id == "ops"


async def test_rows_of_many_kinds_written_by_one_batch_read_back_as_they_were_decided(s):
    """One flush inserts several rows per read-model table at once (on PostgreSQL from one
    array per column), JSON, dates and nulls among them."""
    initiatives = [
        c.CreateInitiative(
            scorecard_id=SC,
            initiative_id=f"init-{n}",
            title=f"Initiative {n}",
            objective_ids=("o-cost", "o-service")[: n + 1],
            start_date=dt.date(2026, 1, n + 1),
            due_date=dt.date(2026, 6, n + 1),
        )
        for n in range(2)
    ]
    measurements = [
        measure("many-1", "avail", "2026-05", 97.5, ref="first"),
        measure("many-2", "mttr", "2026-05", None),
    ]
    await _batch(s, [*initiatives, *measurements])

    i, m = t.initiatives, t.measurements
    async with s.conn() as conn:
        stored_initiatives = (
            await conn.execute(
                sa.select(i.c.initiative_id, i.c.objective_ids, i.c.start_date, i.c.due_date)
                .where(i.c.sys_to_pos.is_(None))
                .order_by(i.c.initiative_id)
            )
        ).all()
        stored_measurements = (
            await conn.execute(
                sa.select(m.c.measurement_id, m.c.value, m.c.external_reference, m.c.not_available)
                .where(m.c.measurement_id.in_(["many-1", "many-2"]))
                .order_by(m.c.measurement_id)
            )
        ).all()
    assert [tuple(row) for row in stored_initiatives] == [
        ("init-0", ["o-cost"], dt.date(2026, 1, 1), dt.date(2026, 6, 1)),
        ("init-1", ["o-cost", "o-service"], dt.date(2026, 1, 2), dt.date(2026, 6, 2)),
    ]
    assert [tuple(row) for row in stored_measurements] == [
        ("many-1", 97.5, "first", False),
        ("many-2", None, "many-2", True),
    ]
