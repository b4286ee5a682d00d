"""Reading and writing snapshot heads and their segments (both backends, SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventstore.envelope import FeedPosition
from eventstore.snapshots import Snapshot, SnapshotSegment
from eventstore.tables import aggregate_snapshot_segments as segments
from eventstore.tables import aggregate_snapshots as heads

_KEY = ("tenant_id", "stream_id", "shape")


async def read_snapshot(
    engine: AsyncEngine, tenant_id: str, stream_id: str, shape: str
) -> Snapshot | None:
    """The stored head in ``shape`` with the segments covering it, oldest first; None when
    there is no head, or when its segments leave a gap (then it describes nothing whole)."""
    columns = (heads.c.version, heads.c.transaction_id, heads.c.position, heads.c.data)
    head_query = sa.select(*columns).where(*_where(heads, tenant_id, stream_id, shape))
    async with engine.connect() as conn:
        head = (await conn.execute(head_query)).first()
        if head is None:
            return None
        segment_query = (
            sa.select(segments.c.after_version, segments.c.version, segments.c.data)
            .where(
                *_where(segments, tenant_id, stream_id, shape), segments.c.version <= head.version
            )
            .order_by(segments.c.version, segments.c.after_version)
        )
        rows = (await conn.execute(segment_query)).all()
    covered = _covering(rows, head.version)
    if covered is None:
        return None
    last = FeedPosition(head.transaction_id, head.position)
    return Snapshot(head.version, last, bytes(head.data), tuple(bytes(r.data) for r in covered))


def _covering(rows: Sequence[Any], version: int) -> Sequence[Any] | None:
    """The segments that, together, cover versions 1 to ``version``: those from the newest
    segment that starts at the first event on (older ones only repeat what it holds)."""
    start = max((i for i, row in enumerate(rows) if row.after_version == 0), default=None)
    if start is None:
        return [] if version == 0 else None
    reached = 0
    for row in rows[start:]:
        if row.after_version > reached:
            return None
        reached = max(reached, row.version)
    return rows[start:] if reached == version else None


async def write_snapshot(
    engine: AsyncEngine,
    tenant_id: str,
    stream_id: str,
    shape: str,
    snapshot: Snapshot,
    segment: SnapshotSegment | None,
) -> None:
    """Store the head unless one at the same or a later version is stored, and the segment
    beside it in the same transaction. A segment from the first event makes the older
    segments of the shape redundant; they are removed."""
    values = {
        "tenant_id": tenant_id,
        "stream_id": stream_id,
        "shape": shape,
        "version": snapshot.version,
        "transaction_id": snapshot.last.transaction_id,
        "position": snapshot.last.position,
        "data": snapshot.data,
        "written_at": datetime.now(UTC),
    }
    insert = _insert(engine, heads).values(values)
    newer = {name: insert.excluded[name] for name in values if name not in _KEY}
    upsert = insert.on_conflict_do_update(
        index_elements=list(_KEY), set_=newer, where=heads.c.version < insert.excluded.version
    )
    async with engine.begin() as conn:
        if segment is not None:
            await _write_segment(conn, engine, tenant_id, stream_id, shape, segment)
        await conn.execute(upsert)


async def _write_segment(
    conn: AsyncConnection,
    engine: AsyncEngine,
    tenant_id: str,
    stream_id: str,
    shape: str,
    segment: SnapshotSegment,
) -> None:
    if segment.after == 0:
        await conn.execute(
            segments.delete().where(
                *_where(segments, tenant_id, stream_id, shape),
                segments.c.version < segment.version,
            )
        )
    row = {
        "tenant_id": tenant_id,
        "stream_id": stream_id,
        "shape": shape,
        "version": segment.version,
        "after_version": segment.after,
        "data": segment.data,
        "written_at": datetime.now(UTC),
    }
    await conn.execute(_insert(engine, segments).values(row).on_conflict_do_nothing())


def _where(table: sa.Table, tenant_id: str, stream_id: str, shape: str) -> list[Any]:
    return [table.c.tenant_id == tenant_id, table.c.stream_id == stream_id,
            table.c.shape == shape]  # fmt: skip


def _insert(engine: AsyncEngine, table: sa.Table) -> Any:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
