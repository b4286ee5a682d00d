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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_the_worker_projects_the_log_and_stops_on_a_signal(
    database_url: str, signum: signal.Signals
) -> None:
    if signum is signal.SIGINT and database_url.startswith("postgresql"):
        pytest.skip("one signal on PostgreSQL is enough: the stop path is the same")
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
