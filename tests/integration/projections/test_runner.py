"""The async runner: crash safety and one active runner per projection."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import Any

import pytest
import sqlalchemy as sa

from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from projections import checkpoints
from projections.audit import AuditProjection
from projections.leadership import Leadership, leadership_for
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from projections.tables import audit
from tests.feed import settled
from tests.integration.projections.support import Scenario, build_small_scorecard


async def _audit_rows(store: SqlEventStore) -> list[tuple[Any, ...]]:
    columns = [c for c in audit.c if c.name not in ("row_id", "generation")]
    async with store.engine.connect() as conn:
        rows = (await conn.execute(sa.select(*columns))).all()
    return sorted((tuple(r) for r in rows), key=repr)


class Batches:
    """Set by a runner after each batch it commits; lets a test wait for a condition."""

    def __init__(self) -> None:
        self.committed = asyncio.Event()

    def __call__(self, count: int) -> None:
        self.committed.set()

    async def until(self, condition: Any) -> None:
        async with asyncio.timeout(30):
            while not await condition():
                await self.committed.wait()
                self.committed.clear()


async def _stop(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.wait_for(task, timeout=30)


class CountingLeadership:
    """The real leadership, counting the refused attempts to take it."""

    def __init__(self, inner: Leadership, refusals_to_report: int) -> None:
        self.inner = inner
        self.refused = 0
        self.refused_enough = asyncio.Event()
        self.refusals_to_report = refusals_to_report

    async def try_acquire(self) -> bool:
        got = await self.inner.try_acquire()
        if not got:
            self.refused += 1
            if self.refused >= self.refusals_to_report:
                self.refused_enough.set()
        return got

    async def still_leading(self) -> bool:
        return await self.inner.still_leading()

    async def release(self) -> None:
        await self.inner.release()


async def test_of_two_runners_one_is_active_and_the_other_takes_over(s):
    first = ProjectionRunner(s.store, AuditProjection(), takeover_interval=0.05)
    waiting = CountingLeadership(leadership_for(s.store.engine, "audit"), refusals_to_report=3)
    batches = Batches()
    second = ProjectionRunner(
        s.store, AuditProjection(), takeover_interval=0.05, leadership=waiting, on_batch=batches
    )
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    task_first = asyncio.create_task(first.run(stop_first))
    await asyncio.wait_for(first.active.wait(), timeout=30)
    task_second = asyncio.create_task(second.run(stop_second))
    try:
        # The second is refused again and again while the first leads...
        await asyncio.wait_for(waiting.refused_enough.wait(), timeout=30)
        assert first.active.is_set() and not second.active.is_set()
        # ...and takes over once the first stops.
        await _stop(task_first, stop_first)
        await asyncio.wait_for(second.active.wait(), timeout=30)
        await settled(s.store)
        events = await s.store.read_feed(limit=10_000)

        async def caught_up() -> bool:
            return len(await _audit_rows(s.store)) == len(events)

        await batches.until(caught_up)
    finally:
        stop_first.set()
        await _stop(task_second, stop_second)
    assert len(await _audit_rows(s.store)) == len(events)


@pytest.mark.postgres
async def test_a_runner_killed_in_the_middle_of_a_batch_loses_and_repeats_nothing(postgres_url):
    store = open_store(postgres_url)
    try:
        scenario = Scenario(store)
        await build_small_scorecard(scenario)
        await settled(store)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.projections.runner_process",
            postgres_url,
            "3",
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            async with asyncio.timeout(60):
                while (line := await process.stdout.readline()).strip() != b"mid-batch":
                    assert line, "the runner process ended before its third batch"
            async with store.engine.connect() as conn:
                halfway = await checkpoints.load(conn, "audit")
            assert halfway.position > 0  # two batches committed, the third is in flight
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
            await process.wait()
        assert process.returncode == -signal.SIGKILL
        assert len(await _audit_rows(store)) == 10

        batches = Batches()
        restarted = ProjectionRunner(
            store, AuditProjection(), takeover_interval=0.05, on_batch=batches
        )
        stop = asyncio.Event()
        task = asyncio.create_task(restarted.run(stop))
        try:
            await asyncio.wait_for(restarted.active.wait(), timeout=30)
            await settled(store)
            total = len(await store.read_feed(limit=10_000))

            async def caught_up() -> bool:
                return len(await _audit_rows(store)) == total

            await batches.until(caught_up)
        finally:
            await _stop(task, stop)
        incremental = await _audit_rows(store)
        await rebuild(store, AuditProjection(), checkpointed=True)
        assert await _audit_rows(store) == incremental
        assert len(incremental) == total
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_runner_whose_lock_session_ends_steps_down_and_leads_again(postgres_url):
    store = open_store(postgres_url)
    # The server backends this test's own connections run on: the only ones it may end.
    started: set[int] = set()

    def remember(dbapi_connection: Any, _record: Any) -> None:
        started.add(dbapi_connection.driver_connection.get_server_pid())

    sa.event.listen(store.engine.sync_engine, "connect", remember)
    try:
        scenario = Scenario(store)
        await build_small_scorecard(scenario)
        leadership = CountingAcquisitions(leadership_for(store.engine, "audit"))
        runner = ProjectionRunner(
            store,
            AuditProjection(),
            takeover_interval=0.05,
            poll_interval=0.05,
            leadership=leadership,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            await asyncio.wait_for(leadership.acquired[0].wait(), timeout=30)
            async with store.engine.connect() as conn:
                ended = (
                    await conn.execute(
                        sa.text(
                            "SELECT pid, pg_terminate_backend(pid) FROM pg_locks "
                            "WHERE locktype = 'advisory' AND granted "
                            "AND pid = ANY(:started) AND pid <> pg_backend_pid()"
                        ),
                        {"started": sorted(started)},
                    )
                ).all()
            # Exactly the runner's lock session, one of this test's own backends, ended.
            assert [terminated for _, terminated in ended] == [True]
            assert ended[0][0] in started
            await asyncio.wait_for(leadership.acquired[1].wait(), timeout=30)
            assert runner.active.is_set()
        finally:
            await _stop(task, stop)
    finally:
        await store.close()


class CountingAcquisitions:
    """The real leadership, with an event per successful acquisition."""

    def __init__(self, inner: Leadership) -> None:
        self.inner = inner
        self.acquired = [asyncio.Event(), asyncio.Event()]
        self.count = 0

    async def try_acquire(self) -> bool:
        got = await self.inner.try_acquire()
        if got:
            if self.count < len(self.acquired):
                self.acquired[self.count].set()
            self.count += 1
        return got

    async def still_leading(self) -> bool:
        return await self.inner.still_leading()

    async def release(self) -> None:
        await self.inner.release()
