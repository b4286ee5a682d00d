"""A small, hand-made scorecard whose figures are worked out by hand in the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.commands import Command
from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.organization import CreateOrganization, CreateTeam
from domain.periods import Frequency, Period
from domain.scorecard import commands as c
from eventstore import Metadata
from eventstore.executor import ExecutionResult
from eventstore.sql import SqlEventStore
from ledger import Ledger

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
SC = "sc-1"
P = Period.parse


class Clock:
    """Hands out strictly increasing recorded_at times, one hour apart."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(hours=1)
        return self.now


class Scenario:
    """Runs commands for one tenant with a deterministic clock and actor."""

    def __init__(self, store: SqlEventStore, tenant_id: str = "acme") -> None:
        self.store = store
        self.ledger = Ledger(store)
        self.tenant_id = tenant_id
        self.clock = Clock()
        self.times: list[datetime] = []

    async def run(
        self, command: Command, actor: str = "alice", reason: str | None = None
    ) -> ExecutionResult[Any, Any]:
        at = self.clock.tick()
        self.times.append(at)
        metadata = Metadata(actor=actor, recorded_at=at, reason=reason)
        return await self.ledger.execute(self.tenant_id, command, metadata)

    @asynccontextmanager
    async def conn(self) -> AsyncIterator[AsyncConnection]:
        async with self.store.engine.connect() as conn:
            yield conn


def kpi(kpi_id: str, objective_id: str, **kw: Any) -> c.DefineKpi:
    fields: dict[str, Any] = {
        "scorecard_id": SC,
        "kpi_id": kpi_id,
        "objective_id": objective_id,
        "name": kpi_id,
        "description": "",
        "unit": "",
        "direction": Direction.HIGHER_IS_BETTER,
        "frequency": Frequency.MONTH,
        "aggregation": Aggregation.SUM,
        "kind": KpiKind.LAGGING,
        "owner": "ops",
        "weight": 1.0,
    }
    fields.update(kw)
    return c.DefineKpi(**fields)


def measure(mid: str, kpi_id: str, period: str, value: float | None, **kw: Any) -> Command:
    return c.RecordMeasurement(
        scorecard_id=SC,
        measurement_id=mid,
        kpi_id=kpi_id,
        period=P(period),
        value=value,
        not_available=value is None,
        source_system=kw.pop("source", "itsm"),
        external_reference=kw.pop("ref", mid),
        note="",
        **kw,
    )


def target(kpi_id: str, period: str, value: float, **kw: Any) -> Command:
    return c.SetTarget(
        scorecard_id=SC,
        kpi_id=kpi_id,
        period=P(period),
        value=value,
        effective_from=kw.pop("effective_from", True),
        reason=kw.pop("reason", "plan"),
        **kw,
    )


async def build_small_scorecard(s: Scenario) -> None:
    """Two perspectives in use, three objectives, four KPIs:

    - ``avail`` (higher is better, average, monthly) under ``o-service`` (Customer), target
      99.0 from 2026-01;
    - ``mttr`` (lower is better, average, monthly) under ``o-service``, weight 3, target 4.0
      from 2026-01;
    - ``cost`` (lower is better, sum, monthly) under ``o-cost`` (Financial), baseline 120,
      target 100 from 2026-01;
    - ``skills`` (higher is better, last, quarterly) under ``o-people`` (Learning), no data.
    """
    await s.run(CreateOrganization(organization_id="org", name="Acme IT"))
    await s.run(CreateTeam(organization_id="org", team_id="ops", name="Ops", parent_team_id=None))
    await s.run(
        c.CreateScorecard(
            scorecard_id=SC,
            team_id="ops",
            name="Ops 2026",
            perspective_ids=("fin", "cus", "int", "lrn"),
        )
    )
    await s.run(
        c.AddObjective(
            scorecard_id=SC, objective_id="o-cost", perspective_id="fin", title="Cut cost"
        )
    )
    await s.run(
        c.AddObjective(
            scorecard_id=SC,
            objective_id="o-service",
            perspective_id="cus",
            title="Keep services up",
        )
    )
    await s.run(
        c.AddObjective(
            scorecard_id=SC, objective_id="o-people", perspective_id="lrn", title="Grow skills"
        )
    )
    await s.run(kpi("avail", "o-service", aggregation=Aggregation.AVERAGE))
    await s.run(
        kpi(
            "mttr",
            "o-service",
            direction=Direction.LOWER_IS_BETTER,
            aggregation=Aggregation.AVERAGE,
            weight=3.0,
        )
    )
    await s.run(kpi("cost", "o-cost", direction=Direction.LOWER_IS_BETTER))
    await s.run(
        kpi("skills", "o-people", frequency=Frequency.QUARTER, aggregation=Aggregation.LAST)
    )
    await s.run(target("avail", "2026-01", 99.0))
    await s.run(target("mttr", "2026-01", 4.0))
    await s.run(target("cost", "2026-01", 100.0, baseline=120.0))
    for month, (avail, mttr, cost) in {
        "2026-01": (99.0, 5.0, 110.0),
        "2026-02": (98.0, 4.0, 100.0),
        "2026-03": (99.9, 2.0, 130.0),
    }.items():
        await s.run(measure(f"a-{month}", "avail", month, avail))
        await s.run(measure(f"m-{month}", "mttr", month, mttr))
        await s.run(measure(f"c-{month}", "cost", month, cost))
