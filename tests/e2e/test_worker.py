"""``scoreledger worker``: the async projections in a process of their own, which leads them,
catches them up, and stops cleanly on SIGTERM and SIGINT (releasing the leadership)."""

from __future__ import annotations

import signal

import pytest

from eventstore.factory import open_store
from projections import async_projections
from projections.leadership import holder
from tests.e2e.processes import start_worker, until_projected
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
