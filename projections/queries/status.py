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
    report how many committed events follow their checkpoint, how old the oldest is, and
    how many of them an append still in flight holds back (which backend, for how long)."""
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
            lag = await store.feed_lag(checkpoint)
            oldest = lag.oldest
            seconds = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            hold = lag.hold
            result.append(
                ProjectionStatus(
                    projection.name,
                    "async",
                    generation,
                    str(checkpoint),
                    lag.events,
                    seconds,
                    held_back_events=lag.held_back,
                    held_by_pid=None if hold is None else hold.pid,
                    held_for_seconds=None if hold is None else hold.seconds,
                )
            )
    return result
