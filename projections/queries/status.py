"""Projection status: checkpoint, lag, leader and last failure per projection."""

from __future__ import annotations

from datetime import UTC, datetime

from eventstore.store import EventStore
from projections import checkpoints, failures
from projections.leadership import holder
from projections.projection import Projection, live_generation
from projections.views import ProjectionStatus


async def projection_status(
    store: EventStore,
    inline: tuple[Projection, ...],
    asynchronous: tuple[Projection, ...],
) -> list[ProjectionStatus]:
    """Inline projections are current by construction (lag 0 at the feed head); async ones
    report how many committed events follow their checkpoint, how old the oldest is, how
    many of them an append still in flight holds back (which backend, for how long), who
    holds their leadership (runs them) and the last error their runner recorded."""
    head = await store.head()
    now = datetime.now(UTC)
    result = []
    async with store.engine.connect() as conn:
        failed = await failures.last_failures(conn)
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
            failure = failed.get(projection.name)
            hold = lag.hold
            result.append(
                ProjectionStatus(
                    projection.name,
                    "async",
                    generation,
                    str(checkpoint),
                    lag.events,
                    seconds,
                    leader=await holder(store.engine, projection.name),
                    last_error=None if failure is None else failure.message,
                    last_error_at=None if failure is None else failure.failed_at,
                    held_back_events=lag.held_back,
                    held_by_pid=None if hold is None else hold.pid,
                    held_for_seconds=None if hold is None else hold.seconds,
                )
            )
    return result
