"""Subscriptions over graphql-transport-ws, driven by the gap-safe feed.

Every event of the caller's organization arrives through the process's feed fan-out, which
follows the database's feed: a change written by any server process on the same database
is delivered too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from api.auth.roles import Capability, allows
from api.graphql.context import Info
from api.graphql.history import Provenance
from api.graphql.ids import global_id, parse_id, scorecard_of
from api.graphql.loaders import ScorecardKey
from api.graphql.reads import parse_period
from api.graphql.scorecards import Scorecard
from api.positions import encode_position
from api.runtime import Runtime
from eventstore.outages import StorageFault, storage_fault
from projections.queries.scorecard import scorecard as scorecard_query
from projections.views import ScorecardView
from streams import scorecard_stream

MEASUREMENT_EVENTS = (
    "scorecard.measurement_recorded",
    "scorecard.measurement_corrected",
    "scorecard.measurement_retracted",
)


async def current_scorecard(
    runtime: Runtime, tenant_id: str, key: ScorecardKey
) -> ScorecardView | None:
    """The scorecard as it is now; while the database is away, waits for it to come back,
    so the subscription resumes with this change rather than end in an error."""
    while True:
        try:
            async with runtime.store.engine.connect() as conn:
                return await scorecard_query(
                    conn, tenant_id, key.scorecard_id, key.period, None, key.trend
                )
        except Exception as error:
            if storage_fault(error) is not StorageFault.UNAVAILABLE:
                raise
        await asyncio.sleep(runtime.settings.poll_interval)


@strawberry.type(description="A KPI's value was recorded, corrected or retracted.")
class MeasurementEvent:
    kpi: strawberry.ID = strawberry.field(description="The KPI's global id.")
    kpi_id: str = strawberry.field(description="The KPI's id within its scorecard.")
    scorecard_id: str = strawberry.field(description="Its scorecard.")
    event_type: str = strawberry.field(description="recorded, corrected or retracted event type.")
    period: str = strawberry.field(description="The period.")
    value: float | None = strawberry.field(description="The value (none: retracted or n/a).")
    measurement_id: str | None = strawberry.field(description="The measurement's id.")
    position: str = strawberry.field(description="Consistency token of the event.")
    recorded: Provenance = strawberry.field(description="Who, when and why.")


@strawberry.type(description="Live updates over graphql-transport-ws (token in connection_init).")
class Subscription:
    @strawberry.subscription(
        description="The scorecard for a period, pushed again after every change to it."
    )
    async def scorecard_changed(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The scorecard's global id.")],
        period: Annotated[
            str | None, strawberry.argument(description="The period (default: this month).")
        ] = None,
        trend: Annotated[int, strawberry.argument(description="Trend length (1..36).")] = 6,
    ) -> AsyncGenerator[Scorecard, None]:
        context = info.context
        context.require(Capability.READ_CURRENT, "read scorecards")
        scorecard_id = scorecard_of(id, "id")
        the_period = parse_period(period)
        stream = scorecard_stream(scorecard_id)
        runtime = context.runtime
        key = ScorecardKey(scorecard_id, the_period, None, max(1, min(trend, 36)))
        async with runtime.fanout.subscribe(context.tenant_id) as events:
            async for event in events:
                if event.stream_id != stream:
                    continue
                view = await current_scorecard(runtime, context.tenant_id, key)
                if view is not None:
                    yield Scorecard(view=view)

    @strawberry.subscription(description="Each value recorded, corrected or retracted for a KPI.")
    async def measurement_recorded(
        self,
        info: Info,
        kpi_id: Annotated[strawberry.ID, strawberry.argument(description="The KPI's global id.")],
    ) -> AsyncGenerator[MeasurementEvent, None]:
        context = info.context
        caller = context.require(Capability.READ_CURRENT, "follow measurements")
        key = parse_id(kpi_id, "kpiId", "Kpi")
        stream = scorecard_stream(key.scorecard_id)
        history = allows(caller.role, Capability.READ_HISTORY)
        async with context.runtime.fanout.subscribe(context.tenant_id) as events:
            async for event in events:
                if event.stream_id != stream or event.event_type not in MEASUREMENT_EVENTS:
                    continue
                if event.data.get("kpi_id") != key.entity_id:
                    continue
                meta = event.metadata
                value = event.data.get("value")
                yield MeasurementEvent(
                    kpi=strawberry.ID(global_id("Kpi", key.scorecard_id, key.entity_id)),
                    kpi_id=key.entity_id,
                    scorecard_id=key.scorecard_id,
                    event_type=event.event_type,
                    period=str(event.data.get("period", "")),
                    value=None if value is None else float(value),
                    measurement_id=event.data.get("measurement_id"),
                    position=encode_position(event.feed_position),
                    recorded=Provenance(
                        actor=meta.actor if history else "",
                        at=meta.recorded_at,
                        event_id=str(event.event_id),
                        reason=meta.reason if history else None,
                    ),
                )
