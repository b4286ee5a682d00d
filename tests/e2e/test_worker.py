"""``scoreledger worker``: the async projections in a process of their own, which leads them,
catches them up, and stops cleanly on SIGTERM and SIGINT (releasing the leadership)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from api.worker import supervise
from eventstore import RecordedEvent
from eventstore.factory import open_store
from projections import async_projections
from projections.audit import AuditProjection
from projections.failures import last_failures
from projections.leadership import holder
from tests.e2e.processes import start_worker, until_checkpoint, until_projected
from tests.feed import settled
from tests.integration.projections.support import Scenario, build_small_scorecard


async def test_on_sqlite_the_worker_projects_the_log_and_stops_on_sigint(sqlite_url: str) -> None:
    await _projects_and_stops(sqlite_url, signal.SIGINT)


@pytest.mark.postgres
async def test_on_postgres_the_worker_projects_the_log_and_stops_on_sigterm(
    postgres_url: str,
) -> None:
    await _projects_and_stops(postgres_url, signal.SIGTERM)


async def _projects_and_stops(database_url: str, signum: signal.Signals) -> None:
    store = open_store(database_url)
    worker = None
    try:
        await build_small_scorecard(Scenario(store))  # events only: nothing projected yet
        worker = await start_worker(database_url)
        started = await worker.logged("worker_started")
        assert started[0]["projections"] == [p.name for p in async_projections()]
        await worker.logged("projection_runner_active", count=len(async_projections()))

        await until_projected(store)

        leader = await holder(store.engine, "audit")
        if store.engine.dialect.name == "sqlite":
            assert leader == f"process {worker.pid}"
        else:
            assert leader is not None and leader.startswith("backend ")
        assert await worker.stop(signum) == 0
        stopping = await worker.logged("worker_stopping")
        assert stopping[0]["signal"] == signum.name
        await worker.logged("worker_stopped")
        assert await holder(store.engine, "audit") is None
    finally:
        if worker is not None:
            await worker.kill()
        await store.close()


class FailsOnce(AuditProjection):
    """The audit projection, whose first batch fails."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("the first batch fails")
        await super().apply(conn, events, generation)


async def test_a_worker_runner_that_fails_records_the_error_and_starts_again(
    database_url: str,
) -> None:
    store = open_store(database_url)
    stop = asyncio.Event()
    try:
        await build_small_scorecard(Scenario(store))
        await settled(store)
        written = await store.head()
        task = asyncio.create_task(
            supervise(store, FailsOnce(), stop, poll_interval=0.05, restart_delay=0)
        )
        await until_checkpoint(store, "audit", written)
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        async with store.engine.connect() as conn:
            failure = (await last_failures(conn))["audit"]
        assert failure.message == "RuntimeError: the first batch fails"
    finally:
        stop.set()
        await store.close()
