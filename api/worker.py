"""The async projections in a process of their own (``scoreledger worker``).

For deployments with several API processes (``SCORELEDGER_PROJECTIONS=off`` on them): each
worker runs a runner per async projection; leadership makes one runner per projection active
across all processes, the others stand by and take over when it dies. A runner that fails
has recorded its error (see :mod:`projections.failures`) and is started again after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from api.runtime import check_migrations, redacted_url
from api.settings import Settings
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from projections import async_projections
from projections.projection import Projection
from projections.runner import ProjectionRunner

log = structlog.get_logger(__name__)

RESTART_DELAY = 5.0
"""Seconds before a failed runner starts again (the failure may be a database outage)."""


async def run_worker(
    settings: Settings, stop: asyncio.Event, *, restart_delay: float = RESTART_DELAY
) -> None:
    """Run every async projection until ``stop`` is set; each runner finishes its batch."""
    store = open_store(settings.database_url)
    try:
        await check_migrations(settings, store)
        names = [projection.name for projection in async_projections()]
        log.info("worker_started", projections=names, database=redacted_url(settings.database_url))
        await asyncio.gather(
            *(
                supervise(store, projection, stop, settings.poll_interval, restart_delay)
                for projection in async_projections()
            )
        )
    finally:
        await store.close()
    log.info("worker_stopped")


async def supervise(
    store: SqlEventStore,
    projection: Projection,
    stop: asyncio.Event,
    poll_interval: float = 1.0,
    restart_delay: float = RESTART_DELAY,
) -> None:
    """Run ``projection``'s runner until ``stop`` is set, starting it again after
    ``restart_delay`` seconds whenever it fails."""
    while not stop.is_set():
        runner = ProjectionRunner(store, projection, poll_interval=poll_interval)
        try:
            await runner.run(stop)
        except Exception:
            log.exception("projection_runner_failed", projection=projection.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), restart_delay)
