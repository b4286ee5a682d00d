"""Rebuild a projection from the log into a fresh generation, then switch readers over."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import START, FeedPosition
from eventstore.store import EventStore
from projections import checkpoints
from projections.leadership import leadership_for
from projections.projection import Projection, live_generation
from projections.tables import generations

Progress = Callable[[int, int], Awaitable[None] | None]
"""Called with (events applied so far, events in the log when the rebuild started) between
batches, outside any transaction; a coroutine function is awaited."""


async def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        outcome = progress(done, total)
        if inspect.isawaitable(outcome):
            await outcome


@dataclass(frozen=True)
class RebuildReport:
    name: str
    generation: int
    events: int
    checkpoint: FeedPosition


async def _set_generation(conn: AsyncConnection, name: str, generation: int) -> None:
    await conn.execute(generations.delete().where(generations.c.name == name))
    await conn.execute(generations.insert(), {"name": name, "generation": generation})


async def _delete_generations(
    conn: AsyncConnection, projection: Projection, keep: int | None, only: int | None = None
) -> None:
    for table in projection.tables:
        condition = table.c.generation == only if only is not None else table.c.generation != keep
        await conn.execute(table.delete().where(condition))


async def rebuild(
    store: EventStore,
    projection: Projection,
    *,
    batch_size: int = 1000,
    progress: Progress | None = None,
    checkpointed: bool | None = None,
) -> RebuildReport:
    """Replay the whole log into the next generation of ``projection``'s tables.

    Readers and writers keep using the live generation meanwhile (inline writers keep
    applying new events to it). The switch-over holds appends back for a moment, applies the
    events that arrived during the rebuild, makes the new generation live (and, for an async
    projection, one that keeps a checkpoint, moves that checkpoint to where the rebuild ended;
    ``checkpointed`` forces either way), then the old rows are deleted. One rebuild of a
    projection runs at a time: a second raises RebuildInProgress.
    """
    name = projection.name
    lock = leadership_for(store.engine, f"rebuild.{name}")
    if not await lock.try_acquire():
        raise RebuildInProgress(name)
    try:
        return await _rebuild(store, projection, batch_size, progress, checkpointed)
    finally:
        await lock.release()


class RebuildInProgress(Exception):
    """Another rebuild of the same projection is running."""

    def __init__(self, name: str) -> None:
        super().__init__(f"projection {name!r} is already being rebuilt")


async def _rebuild(
    store: EventStore,
    projection: Projection,
    batch_size: int,
    progress: Progress | None,
    checkpointed: bool | None,
) -> RebuildReport:
    name = projection.name
    if checkpointed is None:
        # An async projection (one with a checkpoint) resumes after the rebuilt position.
        async with store.engine.connect() as conn:
            checkpointed = await checkpoints.exists(conn, name)
    async with store.write_engine.begin() as conn:
        generation = await live_generation(conn, name) + 1
        await _delete_generations(conn, projection, keep=None, only=generation)
    total = (await store.feed_lag(START)).events
    done = 0
    position = START
    await _report(progress, 0, total)
    while batch := await store.read_feed(position, limit=batch_size):
        async with store.write_engine.begin() as conn:
            await projection.apply(conn, batch, generation)
        position = batch[-1].feed_position
        done += len(batch)
        await _report(progress, done, max(total, done))
    async with store.write_engine.begin() as conn:
        await store.lock_appends(conn)
        while batch := await store.read_committed(conn, position, limit=batch_size):
            await projection.apply(conn, batch, generation)
            position = batch[-1].feed_position
            done += len(batch)
        await _set_generation(conn, name, generation)
        if checkpointed:
            await checkpoints.store(conn, name, position)
    async with store.write_engine.begin() as conn:
        await _delete_generations(conn, projection, keep=generation)
    await _report(progress, done, done)
    return RebuildReport(name, generation, done, position)


async def generation_rows(store: EventStore, projection: Projection) -> dict[str, int]:
    """Rows per table in the live generation (for status and tests)."""
    counts: dict[str, int] = {}
    async with store.engine.connect() as conn:
        generation = await live_generation(conn, projection.name)
        for table in projection.tables:
            query = sa.select(sa.func.count()).where(table.c.generation == generation)
            counts[table.name] = int((await conn.execute(query)).scalar_one())
    return counts
