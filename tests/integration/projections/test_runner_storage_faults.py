"""An async projection runner whose batches the database refuses (SQLite read-only or full,
see tests.sqlite_conditions) stays alive, commits nothing half-done, and catches up from
its checkpoint once the condition is lifted. The PostgreSQL counterpart, a server restart,
is in tests/e2e/test_postgres_restart.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from eventstore import START
from eventstore.factory import open_store
from projections import checkpoints
from projections.audit import AuditProjection
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from tests.integration.projections.support import Scenario, build_small_scorecard
from tests.integration.projections.test_runner import Batches, _audit_rows, _stop
from tests.sqlite_conditions import Condition, impose, lift


class RefusalSeen(ProjectionRunner):
    """The real runner, telling the test when a batch of it failed."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.refused = asyncio.Event()

    async def run_once(self) -> int:
        try:
            return await super().run_once()
        except Exception:
            self.refused.set()
            raise


@pytest.fixture
async def s(sqlite_url: str) -> AsyncIterator[Scenario]:
    store = open_store(sqlite_url)
    scenario = Scenario(store)
    await build_small_scorecard(scenario)
    yield scenario
    await store.close()


@pytest.mark.parametrize("condition", list(Condition), ids=lambda c: c.value)
async def test_a_runner_waits_out_a_database_refusing_writes_and_then_catches_up(
    s: Scenario, condition: Condition
) -> None:
    store = s.store
    await impose(store, condition)
    batches = Batches()
    runner = RefusalSeen(store, AuditProjection(), poll_interval=0.05, on_batch=batches)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await asyncio.wait_for(runner.refused.wait(), timeout=30)
        runner.refused.clear()
        await asyncio.wait_for(runner.refused.wait(), timeout=30)  # it tried again
        assert not task.done()
        async with store.engine.connect() as conn:
            assert await checkpoints.load(conn, "audit") == START
        assert await _audit_rows(store) == []

        await lift(store, condition)

        total = len(await store.read_feed(limit=10_000))

        async def caught_up() -> bool:
            return len(await _audit_rows(store)) == total

        await batches.until(caught_up)
    finally:
        await _stop(task, stop)
    incremental = await _audit_rows(store)
    await rebuild(store, AuditProjection(), checkpointed=True)
    assert await _audit_rows(store) == incremental
