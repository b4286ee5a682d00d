"""Rebuilding projections from the log into a fresh generation, on both backends."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from domain.scorecard import commands as c
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from projections.audit import AuditProjection
from projections.projection import live_generation
from projections.queries.scorecard import scorecard
from projections.read_models import ReadModelProjection
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from projections.tables import READ_MODEL_TABLES, audit
from tests.feed import settled
from tests.integration.projections.support import SC, P, Scenario, build_small_scorecard, measure


async def _generations(store: SqlEventStore, table: sa.Table) -> set[int]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(sa.select(table.c.generation).distinct())
        return {r.generation for r in rows}


async def _content(store: SqlEventStore, tables: tuple[sa.Table, ...]) -> dict[str, list[Any]]:
    async with store.engine.connect() as conn:
        out = {}
        for table in tables:
            columns = [col for col in table.c if col.name not in ("row_id", "generation")]
            rows = (await conn.execute(sa.select(*columns))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
        return out


async def test_a_rebuild_reports_progress_and_switches_to_an_equal_new_generation(s):
    before = await _content(s.store, READ_MODEL_TABLES)
    total = await _event_count(s.store)
    reports: list[tuple[int, int]] = []
    report = await rebuild(
        s.store,
        ReadModelProjection(),
        batch_size=10,
        progress=lambda done, of: reports.append((done, of)),
    )
    assert report.generation == 2 and report.events == total
    assert reports[-1] == (total, total)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert len(reports) >= total // 10
    assert await _content(s.store, READ_MODEL_TABLES) == before
    assert await _generations(s.store, t_measurements()) == {2}


async def _event_count(store: SqlEventStore) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT count(*) FROM events"))).scalar_one())


def t_measurements() -> sa.Table:
    return next(t for t in READ_MODEL_TABLES if t.name == "rm_measurements")


async def test_readers_and_writers_keep_working_during_a_rebuild(s):
    async with s.conn() as conn:
        before = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
    seen_during: list[Any] = []

    async def meanwhile(done: int, total: int) -> None:
        if seen_during or done == 0:
            return
        # Half rebuilt: the live generation still answers in full, and accepts writes.
        async with s.conn() as conn:
            seen_during.append(await scorecard(conn, s.tenant_id, SC, P("2026-03")))
        await s.run(measure("a-2026-04", "avail", "2026-04", 97.5))
        await s.run(
            c.RetractMeasurement(
                scorecard_id=SC, kpi_id="cost", period=P("2026-03"), reason="duplicate"
            )
        )

    await rebuild(s.store, ReadModelProjection(), batch_size=5, progress=meanwhile)
    assert seen_during == [before]
    async with s.conn() as conn:
        after = await scorecard(conn, s.tenant_id, SC, P("2026-04"))
        march = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
        assert await live_generation(conn, "read_models") == 2
    assert after is not None and after.kpi("avail").evaluation.actual == 97.5
    assert march is not None and march.kpi("cost").evaluation.actual is None


async def test_rebuilding_an_async_projection_moves_its_checkpoint_and_applies_nothing_twice(s):
    runner = ProjectionRunner(s.store, AuditProjection(), batch_size=4)
    await settled(s.store)
    await runner.catch_up()
    report = await rebuild(s.store, AuditProjection(), checkpointed=True)
    await s.run(measure("a-2026-04", "avail", "2026-04", 97.5))
    await settled(s.store)
    await runner.catch_up()
    events = await s.store.read_feed(limit=10_000)
    async with s.conn() as conn:
        ids = [r.event_id for r in await conn.execute(sa.select(audit.c.event_id))]
    assert sorted(ids) == sorted(str(e.event_id) for e in events)
    assert report.events == len(events) - 1
    assert await _generations(s.store, audit) == {2}


async def test_a_rebuild_keeps_tenants_with_the_same_ids_apart(database_url: str):
    """Two tenants run the very same commands (same scorecard, KPI and measurement ids),
    interleaved, and one rebuild batch holds both: each keeps its own rows."""
    store = open_store(database_url)
    try:
        acme, globex = Scenario(store, "acme"), Scenario(store, "globex")
        await build_small_scorecard(acme)
        await build_small_scorecard(globex)
        for tenant in (acme, globex):
            await tenant.run(measure("a-2026-03b", "avail", "2026-03", 97.0, reason="late data"))
        await globex.run(
            c.RetractMeasurement(
                scorecard_id=SC, kpi_id="avail", period=P("2026-03"), reason="duplicate"
            )
        )
        before = await _content(store, READ_MODEL_TABLES)
        await rebuild(store, ReadModelProjection(), batch_size=10_000)
        assert await _content(store, READ_MODEL_TABLES) == before
        async with store.engine.connect() as conn:
            mine = await scorecard(conn, "acme", SC, P("2026-03"))
            theirs = await scorecard(conn, "globex", SC, P("2026-03"))
        assert mine is not None and theirs is not None
        assert mine.kpi("avail").evaluation.actual == 97.0
        assert theirs.kpi("avail").evaluation.actual is None
    finally:
        await store.close()
