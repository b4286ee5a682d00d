"""Projection status: checkpoint and lag per projection."""

from __future__ import annotations

from datetime import UTC, datetime

from eventstore.sql import SqlEventStore
from projections import checkpoints
from projections.projection import Projection, live_generation
from projections.views import ProjectionStatus


async def projection_status(
    store: SqlEventStore,
    inline: tuple[Projection, ...],
    asynchronous: tuple[Projection, ...],
) -> list[ProjectionStatus]:
    """Inline projections are current by construction (lag 0 at the feed head); async ones
    report how many feed events follow their checkpoint and how old the oldest is."""
    head = await store.head()
    now = datetime.now(UTC)
    result = []
    async with store.engine.connect() as conn:
        for projection in inline:
            generation = await live_generation(conn, projection.name)
            result.append(
                ProjectionStatus(projection.name, "inline", generation, str(head), 0, 0.0)
            )
        for projection in asynchronous:
            generation = await live_generation(conn, projection.name)
            checkpoint = await checkpoints.load(conn, projection.name)
            count, oldest = await store.feed_lag(checkpoint)
            seconds = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            result.append(
                ProjectionStatus(
                    projection.name, "async", generation, str(checkpoint), count, seconds
                )
            )
    return result
