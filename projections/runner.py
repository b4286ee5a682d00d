"""The async lifecycle: follow the gap-safe feed, apply batches, checkpoint atomically."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import structlog

from eventstore import FeedPosition
from eventstore.outages import storage_fault
from eventstore.store import EventStore
from projections import checkpoints, failures
from projections.leadership import Leadership, leadership_for
from projections.projection import Projection, live_generation

log = structlog.get_logger(__name__)


class ProjectionRunner:
    """Keeps one async projection up to date.

    Each batch is applied and the checkpoint advanced in one transaction, so a crash at any
    point loses nothing and applies nothing twice. The checkpoint update is conditional on the
    checkpoint the batch started from: should two runners ever both run, one batch rolls back.
    Only the instance holding the projection's leadership runs; others wait and take over.
    """

    def __init__(
        self,
        store: EventStore,
        projection: Projection,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        takeover_interval: float = 1.0,
        leadership: Leadership | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.takeover_interval = takeover_interval
        self.leadership = leadership or leadership_for(store.engine, projection.name)
        self.on_batch = on_batch
        self.active = asyncio.Event()

    async def run_once(self) -> int:
        """Apply the next batch, if any; return how many events it held."""
        name = self.projection.name
        async with self.store.engine.connect() as conn:
            checkpoint = await checkpoints.load(conn, name)
        events = await self.store.read_feed(checkpoint, limit=self.batch_size)
        if not events:
            return 0
        try:
            async with self.store.write_engine.begin() as conn:
                generation = await live_generation(conn, name)
                await self.projection.apply(conn, events, generation)
                await checkpoints.advance(conn, name, checkpoint, events[-1].feed_position)
        except checkpoints.CheckpointMoved:
            log.info("checkpoint_moved", projection=name)
            return 0
        except Exception as error:
            if storage_fault(error) is None:  # an outage is waited out, not recorded
                await self._record_failure(error, checkpoint)
            raise
        if self.on_batch is not None:
            self.on_batch(len(events))
        return len(events)

    async def _record_failure(self, error: Exception, checkpoint: FeedPosition) -> None:
        log.error(
            "projection_batch_failed",
            projection=self.projection.name,
            error=failures.describe(error),
        )
        try:
            await failures.record(self.store.write_engine, self.projection.name, error, checkpoint)
        except Exception:  # the database is what failed: the log line above is all there is
            log.exception("projection_failure_not_recorded", projection=self.projection.name)

    async def catch_up(self) -> int:
        """Apply batches until the feed has nothing more; return how many events."""
        total = 0
        while count := await self.run_once():
            total += count
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for leadership, then follow the feed until ``stop`` is set; if leadership is
        lost on the way (its database session ended), step down and wait for it again.

        While the database is away, read-only or full (:func:`storage_fault`), the runner
        waits and tries again rather than end: nothing of a failed batch was committed, so
        it resumes from its checkpoint once the database is back. Any other error ends it.
        """
        try:
            while not stop.is_set():
                if not await self._try_lead():
                    await _pause(stop, self.takeover_interval)
                    continue
                self.active.set()
                log.info("projection_runner_active", projection=self.projection.name)
                await self._follow(stop)
                self.active.clear()
        finally:
            self.active.clear()
            await self.leadership.release()

    async def _try_lead(self) -> bool:
        try:
            return await self.leadership.try_acquire()
        except Exception as error:
            if storage_fault(error) is None:
                raise
            log.warning(
                "projection_runner_waiting_for_database",
                projection=self.projection.name,
                error=str(error).splitlines()[0] if str(error) else repr(error),
            )
            return False

    async def _follow(self, stop: asyncio.Event) -> None:
        waiter = self.store.waiter()
        failing = False
        while not stop.is_set():
            try:
                if not await self.leadership.still_leading():
                    log.warning(
                        "projection_runner_lost_leadership", projection=self.projection.name
                    )
                    return
                applied = await self.run_once()
            except Exception as error:
                fault = storage_fault(error)
                if fault is None:
                    raise
                if not failing:  # once while the condition lasts
                    log.warning(
                        "projection_batch_failed",
                        projection=self.projection.name,
                        fault=fault.value,
                        error=str(error).splitlines()[0] if str(error) else repr(error),
                    )
                failing = True
                # Then check the leadership again: its session may have gone with the rest.
                await _pause(stop, self.poll_interval)
                continue
            if failing:
                log.info("projection_batches_resumed", projection=self.projection.name)
                failing = False
            if not applied:
                await waiter.wait(timeout=self.poll_interval)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less when ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
