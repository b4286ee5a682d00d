"""Waking feed readers: in-process wake-ups, and LISTEN/NOTIFY on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import structlog

log = structlog.get_logger(__name__)

CHANNEL = "scoreledger_events"


class LocalWaiter:
    """Set by a notification; :meth:`wait` returns early when it was set."""

    def __init__(self, hub: LocalHub) -> None:
        self._event = asyncio.Event()
        self._hub = hub
        hub.register(self)

    def wake(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """True when woken, False when ``timeout`` seconds passed; readers then poll."""
        await self._hub.before_wait()
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._event.clear()


class LocalHub:
    """Fans a notification out to every live waiter of this process."""

    def __init__(self) -> None:
        self._waiters: weakref.WeakSet[LocalWaiter] = weakref.WeakSet()

    def register(self, waiter: LocalWaiter) -> None:
        self._waiters.add(waiter)

    def notify(self) -> None:
        for waiter in list(self._waiters):
            waiter.wake()

    async def before_wait(self) -> None:
        """Hook for hubs that must (re)connect before waiting."""

    async def close(self) -> None:
        """Release what the hub holds."""


class PostgresHub(LocalHub):
    """LISTENs on a dedicated asyncpg connection; reconnects on the next wait if it dropped.

    A dropped connection never stalls a reader: waits always end on their timeout, and the
    reader polls the feed then. Writers :meth:`publish` after they commit, outside their
    transaction (a NOTIFY inside it would serialise every commit on the notification queue's
    lock); publishes that arrive while one is on its way are folded into one more.
    """

    def __init__(self, dsn: str, *, min_interval: float = 0.005) -> None:
        super().__init__()
        self._dsn = dsn
        self._min_interval = min_interval
        self._conn: Any = None
        self._lock = asyncio.Lock()
        self._was_connected = False
        self._publishing: asyncio.Task[None] | None = None
        self._again = False

    def publish(self) -> None:
        """Wake local waiters now and other processes' waiters through NOTIFY."""
        self.notify()
        if self._publishing is not None and not self._publishing.done():
            self._again = True
            return
        self._publishing = asyncio.get_running_loop().create_task(self._publish())

    async def _publish(self) -> None:
        """Send one NOTIFY, then at most one more per ``min_interval`` while writers keep
        committing: the notification only says "look again", so one stands for many."""
        loop = asyncio.get_running_loop()
        while True:
            self._again = False
            sent_at = loop.time()
            try:
                await self._connect()
                if self._conn is not None:
                    await self._conn.execute(f"NOTIFY {CHANNEL}")
            except Exception as exc:  # readers fall back to polling
                log.warning("notify_failed", error=str(exc))
            if not self._again:
                return
            await asyncio.sleep(max(0.0, sent_at + self._min_interval - loop.time()))

    @property
    def connection(self) -> Any:
        """The LISTEN connection (for tests that drop it)."""
        return self._conn

    async def before_wait(self) -> None:
        await self._connect()

    async def _connect(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            import asyncpg

            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
            except Exception as exc:  # the server is away: waits end on their timeouts
                log.warning("listen_connection_failed", error=str(exc))
                return
            try:
                await conn.add_listener(CHANNEL, self._on_notification)
            except Exception as exc:  # it went away again at once
                log.warning("listen_connection_failed", error=str(exc))
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)
                return
            conn.add_termination_listener(self._on_termination)
            self._conn = conn
            if self._was_connected:
                # Events may have committed while we were not listening: readers poll once.
                self.notify()
            self._was_connected = True

    def _on_notification(self, *_: object) -> None:
        self.notify()

    def _on_termination(self, *_: object) -> None:
        log.warning("listen_connection_lost")
        self._conn = None
        self.notify()

    async def close(self) -> None:
        if self._publishing is not None:
            with contextlib.suppress(Exception):
                await self._publishing
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.remove_termination_listener(self._on_termination)
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
