"""Fan-out of the gap-safe feed to subscribers in this process.

One follower per process reads the feed (woken by notifications, polling as a fallback) and
hands each event to the queues of the subscribers of its tenant, so a change written by any
process on the same database reaches every subscription. While the database is away it
keeps its place in the feed and reads on from there once it is back, so its subscribers
miss nothing committed before the outage or after it. A subscriber whose queue is full
is dropped rather than let it hold the others back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator

import structlog

from eventstore import START, FeedPosition, RecordedEvent
from eventstore.outages import storage_fault
from eventstore.sql import SqlEventStore

log = structlog.get_logger(__name__)

QUEUE_SIZE = 1000


class Overflow(Exception):
    """The subscriber fell too far behind and was dropped."""


class FeedFanout:
    """Follows the feed from its head at start and delivers each event once per subscriber."""

    def __init__(self, store: SqlEventStore, *, poll_interval: float = 1.0) -> None:
        self.store = store
        self.poll_interval = poll_interval
        self._subscribers: dict[str, set[asyncio.Queue[RecordedEvent | None]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.started = asyncio.Event()
        self._joined = asyncio.Condition()
        self._progress = asyncio.Condition()
        self.position = START
        """The feed position of the last event handed to the subscribers."""

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="feed-fanout")
        await self.started.wait()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for queues in self._subscribers.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)

    @contextlib.asynccontextmanager
    async def subscribe(self, tenant_id: str) -> AsyncIterator[AsyncIterator[RecordedEvent]]:
        """The tenant's events from now on, as an async iterator."""
        queue: asyncio.Queue[RecordedEvent | None] = asyncio.Queue(QUEUE_SIZE)
        async with self._joined:
            self._subscribers[tenant_id].add(queue)
            self._joined.notify_all()

        async def events() -> AsyncIterator[RecordedEvent]:
            while True:
                event = await queue.get()
                if event is None:
                    if self._stop.is_set():
                        return
                    raise Overflow("the subscription fell behind the feed and was closed")
                yield event

        try:
            yield events()
        finally:
            self._subscribers[tenant_id].discard(queue)
            if not self._subscribers[tenant_id]:
                del self._subscribers[tenant_id]

    def subscribers(self, tenant_id: str) -> int:
        """How many subscriptions of ``tenant_id`` this process is feeding."""
        return len(self._subscribers.get(tenant_id, ()))

    def subscriptions(self) -> int:
        """How many subscriptions of every organization this process is feeding."""
        return sum(len(queues) for queues in self._subscribers.values())

    async def wait_for_subscribers(self, tenant_id: str, count: int) -> None:
        """Return once ``tenant_id`` has at least ``count`` subscriptions here."""
        async with self._joined:
            await self._joined.wait_for(lambda: self.subscribers(tenant_id) >= count)

    async def wait_until(self, position: FeedPosition) -> None:
        """Return once every event up to ``position`` has been handed to the subscribers."""
        async with self._progress:
            await self._progress.wait_for(lambda: position <= self.position)

    async def _run(self) -> None:
        waiter = self.store.waiter()
        after = self.position = await self.store.head()
        self.started.set()
        failing = False
        while not self._stop.is_set():
            try:
                batch = await self.store.read_feed(after, limit=500)
                if not batch:
                    await waiter.wait(timeout=self.poll_interval)
            except Exception as error:  # the database is away, or a hiccup: wait, try again
                if storage_fault(error) is None:
                    log.exception("feed_fanout_read_failed")
                elif not failing:  # once per outage, without a traceback
                    log.warning("feed_fanout_waiting_for_database", error=str(error))
                failing = True
                await asyncio.sleep(self.poll_interval)
                continue
            if failing:
                log.info("feed_fanout_resumed", after=str(after))
                failing = False
            if not batch:
                continue
            for event in batch:
                self._deliver(event)
            after = batch[-1].feed_position
            async with self._progress:
                self.position = after
                self._progress.notify_all()

    def _deliver(self, event: RecordedEvent) -> None:
        for queue in list(self._subscribers.get(event.tenant_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._subscribers[event.tenant_id].discard(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)
