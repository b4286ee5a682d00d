"""KPI history and the changes between two moments, from the versioned rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from projections import tables as t
from projections.asof import AsOf, bind_moments, ends_after_position, ends_after_time, scoped
from projections.tables import SYSTEM_COLUMNS
from projections.views import EntityChange, KpiHistory, RowVersion
from streams.names import scorecard_stream


def row_version(row: Any) -> RowVersion:
    """A read-model row as a version with its interval and provenance."""
    mapping = row._mapping
    return RowVersion(
        values={k: v for k, v in mapping.items() if k not in SYSTEM_COLUMNS},
        valid_from=row.sys_from_time,
        from_position=row.sys_from_pos,
        changed_by=row.changed_by,
        change_event=row.change_event,
        change_reason=row.change_reason,
        valid_to=row.sys_to_time,
        to_position=row.sys_to_pos,
        ended_by=row.ended_by,
        end_event=row.end_event,
        end_reason=row.end_reason,
    )


async def kpi_history(
    conn: AsyncConnection, tenant_id: str, scorecard_id: str, kpi_id: str
) -> KpiHistory | None:
    """Every version of a KPI's definition, every target change and every measurement
    (superseded and retracted ones too), oldest first, with actor, time and reason."""
    parts = []
    for table, order in (
        (t.kpis, (t.kpis.c.sys_from_pos, t.kpis.c.row_id)),
        (t.targets, (t.targets.c.sys_from_pos, t.targets.c.row_id)),
        (
            t.measurements,
            (t.measurements.c.period_start, t.measurements.c.sys_from_pos, t.measurements.c.row_id),
        ),
    ):
        rows = (
            await conn.execute(
                sa.select(table)
                .where(
                    *scoped(table, tenant_id),
                    table.c.scorecard_id == scorecard_id,
                    table.c.kpi_id == kpi_id,
                )
                .order_by(*order)
            )
        ).all()
        parts.append(tuple(row_version(r) for r in rows))
    if not parts[0]:
        return None
    return KpiHistory(kpi_id, parts[0], parts[1], parts[2])


_CHANGE_SOURCES = (
    ("kpi", t.kpis, ("kpi_id",)),
    ("target", t.targets, ("kpi_id", "period")),
    ("measurement", t.measurements, ("kpi_id", "period")),
    ("objective", t.objectives, ("objective_id",)),
)


Moment = datetime | int
"""A time, or a global position of the scorecard's stream (see projections.asof)."""


def _moment(row: Any, moment: Moment, start: bool) -> bool:
    """Whether the row's start (or end) lies at or before the moment."""
    if isinstance(moment, datetime):
        when = row.sys_from_time if start else row.sys_to_time
        return when is not None and bool(when <= moment)
    value = row.sys_from_pos if start else row.sys_to_pos
    return value is not None and bool(value <= moment)


def _visible_at(row: Any, moment: Moment) -> bool:
    return _moment(row, moment, start=True) and not _moment(row, moment, start=False)


async def changes_between(
    conn: AsyncConnection,
    tenant_id: str,
    scorecard_id: str,
    since: AsOf,
    until: AsOf,
) -> list[EntityChange]:
    """Which KPI definitions, targets, measurements and objectives differ between two
    moments (two times, or two feed positions), with the row versions (events) that changed
    them in between."""
    if (since.time is None) != (until.time is None):
        raise ValueError("compare two times or two positions, not one of each")
    stream = {"at": scorecard_stream(scorecard_id)}
    start: Moment = (await bind_moments(conn, tenant_id, since, stream))["at"]
    end: Moment = (await bind_moments(conn, tenant_id, until, stream))["at"]
    changes: list[EntityChange] = []
    for entity_type, table, key in _CHANGE_SOURCES:
        overlapping = _overlapping(table, start, end)
        rows = (
            await conn.execute(
                sa.select(table)
                .where(*scoped(table, tenant_id), table.c.scorecard_id == scorecard_id, overlapping)
                .order_by(table.c.sys_from_pos, table.c.row_id)
            )
        ).all()
        by_entity: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        for row in rows:
            by_entity[tuple(getattr(row, k) for k in key)].append(row)
        for entity_key, versions in by_entity.items():
            before = next((r for r in versions if _visible_at(r, start)), None)
            after = next((r for r in versions if _visible_at(r, end)), None)
            old = row_version(before).values if before is not None else None
            new = row_version(after).values if after is not None else None
            if old is not None and new is not None:
                old = {k: v for k, v in old.items() if k != "measurement_id"}
                new = {k: v for k, v in new.items() if k != "measurement_id"}
            if old == new:
                continue
            kind = "added" if old is None else "removed" if new is None else "changed"
            between = tuple(
                row_version(r)
                for r in versions
                if (_moment(r, end, True) and not _moment(r, start, True))
                or (_moment(r, end, False) and not _moment(r, start, False))
            )
            changes.append(
                EntityChange(entity_type, "/".join(map(str, entity_key)), kind, old, new, between)
            )
    return changes


def _overlapping(table: sa.Table, since: Moment, until: Moment) -> sa.ColumnElement[bool]:
    """Rows that were current at some moment in [since, until]."""
    if isinstance(since, datetime) and isinstance(until, datetime):
        column_type = table.c.sys_from_time.type
        return sa.and_(
            table.c.sys_from_time <= sa.literal(until, column_type),
            ends_after_time(table, sa.literal(since, column_type)),
        )
    return sa.and_(table.c.sys_from_pos <= until, ends_after_position(table, since))
