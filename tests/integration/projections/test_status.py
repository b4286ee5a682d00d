"""Projection status names who runs each async projection and the last error it met."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from projections import async_projections, inline_projections
from projections.audit import AuditProjection
from projections.leadership import holder
from projections.queries.status import projection_status
from projections.runner import ProjectionRunner
from tests.feed import settled


class BrokenAudit(AuditProjection):
    """The audit projection with a handler that fails on every batch."""

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        await super().apply(conn, events, generation)
        raise ValueError("audit handler broke on purpose")


async def _audit_status(s):
    found = await projection_status(s.store, inline_projections(), async_projections())
    return {row.name: row for row in found}["audit"]


async def test_the_leader_of_a_running_projection_is_named_and_none_once_it_stops(s):
    assert await holder(s.store.engine, "audit") is None
    runner = ProjectionRunner(s.store, AuditProjection())
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await runner.active.wait()
    status = await _audit_status(s)
    if s.store.engine.dialect.name == "postgresql":
        assert status.leader is not None and status.leader.startswith("backend ")
    else:
        assert status.leader == f"process {os.getpid()}"
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert (await _audit_status(s)).leader is None


async def test_a_failing_batch_is_recorded_as_the_last_error_and_applies_nothing(s):
    await settled(s.store)  # a busy PostgreSQL server may hold the feed back a moment
    runner = ProjectionRunner(s.store, BrokenAudit())
    with pytest.raises(ValueError, match="broke on purpose"):
        await runner.run_once()
    status = await _audit_status(s)
    assert status.last_error == "ValueError: audit handler broke on purpose"
    assert status.last_error_at is not None
    assert status.checkpoint == "0:0"  # the batch rolled back with its checkpoint
    assert status.lag_events > 0
    async with s.store.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT count(*) FROM rm_audit"))).scalar()
    assert rows == 0
    # A runner that works again catches up; the error stays until another replaces it.
    await ProjectionRunner(s.store, AuditProjection()).catch_up()
    after = await _audit_status(s)
    assert after.lag_events == 0
    assert after.last_error == status.last_error
