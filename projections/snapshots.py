"""Period-close snapshots: the frozen scorecard of a closed period, the official record."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.periods import Period
from eventstore import RecordedEvent
from projections.asof import AsOf, scoped
from projections.queries.scorecard import scorecard
from projections.tables import period_snapshots

CLOSED = "scorecard.period_closed"
REOPENED = "scorecard.period_reopened"


def to_json(value: Any) -> Any:
    """A JSON-safe copy of a view (dataclasses, periods, enums, dates)."""
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class PeriodSnapshotProjection:
    """On each period close, stores the scorecard of that period as it stood at the close."""

    name = "period_snapshots"
    tables = (period_snapshots,)

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        for event in events:
            if event.event_type == CLOSED:
                await self._closed(conn, event, generation)
            elif event.event_type == REOPENED:
                await self._reopened(conn, event, generation)

    async def _closed(self, conn: AsyncConnection, event: RecordedEvent, generation: int) -> None:
        scorecard_id = event.data["scorecard_id"]
        period = Period.parse(event.data["period"])
        view = await scorecard(
            conn, event.tenant_id, scorecard_id, period, AsOf(position=event.feed_position)
        )
        await conn.execute(
            period_snapshots.insert(),
            {
                "generation": generation,
                "tenant_id": event.tenant_id,
                "scorecard_id": scorecard_id,
                "period": str(period),
                "closed_at": event.metadata.recorded_at,
                "closed_position": event.position,
                "closed_by": event.metadata.actor,
                "snapshot": to_json(view),
            },
        )

    async def _reopened(self, conn: AsyncConnection, event: RecordedEvent, generation: int) -> None:
        table = period_snapshots
        await conn.execute(
            table.update()
            .where(
                table.c.tenant_id == event.tenant_id,
                table.c.generation == generation,
                table.c.scorecard_id == event.data["scorecard_id"],
                table.c.period == event.data["period"],
                table.c.reopened_at.is_(None),
            )
            .values(
                reopened_at=event.metadata.recorded_at,
                reopened_by=event.metadata.actor,
                reopen_reason=event.data.get("reason"),
            )
        )


async def official_snapshot(
    conn: AsyncConnection, tenant_id: str, scorecard_id: str, period: Period
) -> dict[str, Any] | None:
    """The latest snapshot stored for a closed period (None if it was never closed)."""
    table = period_snapshots
    row = (
        await conn.execute(
            sa.select(table)
            .where(
                *scoped(table, tenant_id, PeriodSnapshotProjection.name),
                table.c.scorecard_id == scorecard_id,
                table.c.period == str(period),
            )
            .order_by(table.c.closed_position.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return {
        "closed_at": row.closed_at,
        "closed_by": row.closed_by,
        "reopened_at": row.reopened_at,
        "reopen_reason": row.reopen_reason,
        "snapshot": row.snapshot,
    }
