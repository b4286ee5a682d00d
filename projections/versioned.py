"""Writing versioned rows: every change closes the current version and opens a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from projections.tables import SYSTEM_COLUMNS


class ProjectionError(Exception):
    """An event does not fit the read model (a bug or a log the model cannot follow)."""


@dataclass(frozen=True, slots=True)
class Change:
    """Where a change comes from: the event, its place in the log, who and why."""

    generation: int
    tenant_id: str
    time: datetime
    position: int
    transaction_id: int
    actor: str
    event_type: str
    reason: str | None

    @classmethod
    def of(cls, event: RecordedEvent, generation: int, reason: str | None) -> Change:
        return cls(
            generation=generation,
            tenant_id=event.tenant_id,
            time=event.metadata.recorded_at,
            position=event.position,
            transaction_id=event.transaction_id,
            actor=event.metadata.actor,
            event_type=event.event_type,
            reason=reason if reason is not None else event.metadata.reason,
        )


def current(table: sa.Table, change: Change, key: dict[str, Any]) -> sa.ColumnElement[bool]:
    """The filter for the current version of the rows matching ``key``."""
    return sa.and_(
        table.c.tenant_id == change.tenant_id,
        table.c.generation == change.generation,
        table.c.sys_to_pos.is_(None),
        *(table.c[name] == value for name, value in key.items()),
    )


def opened(change: Change, values: dict[str, Any]) -> dict[str, Any]:
    """The row of a version that ``change`` opens with ``values``."""
    return {
        **values,
        "generation": change.generation,
        "tenant_id": change.tenant_id,
        "sys_from_time": change.time,
        "sys_from_pos": change.position,
        "sys_from_tx": change.transaction_id,
        "changed_by": change.actor,
        "change_event": change.event_type,
        "change_reason": change.reason,
    }


async def close(
    conn: AsyncConnection,
    table: sa.Table,
    change: Change,
    key: dict[str, Any],
    **extra: Any,
) -> int:
    """End the current version of the rows matching ``key``; return how many ended."""
    result = await conn.execute(
        table.update()
        .where(current(table, change, key))
        .values(
            sys_to_time=change.time,
            sys_to_pos=change.position,
            ended_by=change.actor,
            end_event=change.event_type,
            end_reason=change.reason,
            **extra,
        )
    )
    return int(result.rowcount)


async def replace(
    conn: AsyncConnection,
    table: sa.Table,
    change: Change,
    key: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    """Close the current version of one entity and open a new one with ``changes`` applied."""
    row = (await conn.execute(sa.select(table).where(current(table, change, key)))).first()
    if row is None:
        raise ProjectionError(f"{table.name}: no current row for {key} ({change.event_type})")
    values = {k: v for k, v in row._mapping.items() if k not in SYSTEM_COLUMNS}
    values.update(changes)
    await close(conn, table, change, key)
    await conn.execute(table.insert(), opened(change, values))


class Writer:
    """Writes versioned rows for one batch of events on one connection.

    Consecutive inserts into the same table are sent as one multi-row statement; anything
    else (closing or replacing a version) first flushes them, so statements keep event order.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._table: sa.Table | None = None
        self._rows: list[dict[str, Any]] = []

    async def flush(self) -> None:
        """Send the pending inserts."""
        if self._table is not None and self._rows:
            await self.conn.execute(self._table.insert(), self._rows)
        self._table, self._rows = None, []

    async def insert(self, table: sa.Table, change: Change, values: dict[str, Any]) -> None:
        if self._table is not table:
            await self.flush()
            self._table = table
        self._rows.append(opened(change, values))

    async def close(
        self, table: sa.Table, change: Change, key: dict[str, Any], **extra: Any
    ) -> int:
        await self.flush()
        return await close(self.conn, table, change, key, **extra)

    async def replace(
        self, table: sa.Table, change: Change, key: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        await self.flush()
        await replace(self.conn, table, change, key, changes)
