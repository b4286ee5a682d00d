"""Scorecard and as-of latency against a hand-written asyncpg fetch; EXPLAIN."""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from benchmarks._common import Latencies, format_ms
from benchmarks.projections.workload import REPETITIONS, Log
from domain.evaluation import trend_periods
from domain.periods import Period
from eventstore.sql import SqlEventStore
from projections.asof import AsOf
from projections.queries.scorecard import DEFAULT_TREND, scorecard

_GEN = (
    "(SELECT coalesce(max(generation), 1) FROM projection_generations WHERE name = 'read_models')"
)
_CURRENT = f"tenant_id = $1 AND generation = {_GEN} AND sys_to_pos IS NULL"
RAW_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "scorecard",
        "SELECT scorecard_id, team_id, name, description FROM rm_scorecards "
        f"WHERE {_CURRENT} AND scorecard_id = $2",
    ),
    ("organization", f"SELECT cap, green, amber FROM rm_organizations WHERE {_CURRENT}"),
    (
        "perspectives",
        "SELECT perspective_id, name, weight, position FROM rm_perspectives "
        f"WHERE {_CURRENT} AND scorecard_id = $2 ORDER BY position",
    ),
    (
        "objectives",
        "SELECT objective_id, perspective_id, title, description, owner, weight, "
        "parent_scorecard_id, parent_objective_id FROM rm_objectives "
        f"WHERE {_CURRENT} AND scorecard_id = $2 AND NOT retired "
        "ORDER BY sys_from_pos, objective_id",
    ),
    (
        "links",
        "SELECT source_objective_id, target_objective_id FROM rm_objective_links "
        f"WHERE {_CURRENT} AND scorecard_id = $2",
    ),
    (
        "kpis",
        "SELECT kpi_id, objective_id, name, description, unit, direction, range_low, "
        "range_high, frequency, aggregation, kind, owner, weight, green, amber FROM rm_kpis "
        f"WHERE {_CURRENT} AND scorecard_id = $2 AND NOT retired ORDER BY name, kpi_id",
    ),
    (
        "targets",
        "SELECT kpi_id, period, effective_from, value, baseline, stretch FROM rm_targets "
        f"WHERE {_CURRENT} AND scorecard_id = $2",
    ),
    (
        "measurements",
        "SELECT kpi_id, period, value, not_available FROM rm_measurements "
        f"WHERE {_CURRENT} AND scorecard_id = $2 AND period_start >= $3 AND period_end <= $4",
    ),
    (
        "initiatives",
        "SELECT initiative_id, title, owner, start_date, due_date, status, progress, "
        f"objective_ids FROM rm_initiatives WHERE {_CURRENT} AND scorecard_id = $2",
    ),
    (
        "closes",
        f"SELECT period FROM rm_period_closes WHERE {_CURRENT} AND scorecard_id = $2",
    ),
)


async def raw_scorecard(conn: Any, tenant_id: str, scorecard_id: str, period: Period) -> int:
    """The rows the scorecard query needs, fetched with the driver; the number of rows."""
    window = trend_periods(period, DEFAULT_TREND)
    rows = 0
    for name, sql in RAW_QUERIES:
        if name == "organization":
            rows += len(await conn.fetch(sql, tenant_id))
        elif name == "measurements":
            first, last = window[0].first_month_ordinal, period.last_month_ordinal
            rows += len(await conn.fetch(sql, tenant_id, scorecard_id, first, last))
        else:
            rows += len(await conn.fetch(sql, tenant_id, scorecard_id))
    return rows


Call = Callable[[], Awaitable[object]]


async def _latencies(call: Call, count: int) -> list[float]:
    gc.collect()
    gc.freeze()
    spent = []
    clock = time.perf_counter
    for _ in range(count):
        start = clock()
        await call()
        spent.append(clock() - start)
    return spent


@dataclass
class QueryRow:
    key: str
    description: str
    ours: Latencies = field(default_factory=Latencies)
    raw: Latencies | None = None

    @property
    def ratio(self) -> float | None:
        if self.raw is None or not self.raw.p95:
            return None
        return self.ours.p95 / self.raw.p95


async def measure_query(
    key: str,
    description: str,
    ours: Call,
    raw: Call | None,
    count: int,
    warmup: int,
    log: Log,
) -> QueryRow:
    row = QueryRow(key, description, raw=Latencies() if raw is not None else None)
    sides: list[tuple[str, Call, Latencies]] = [("ours", ours, row.ours)]
    if raw is not None and row.raw is not None:
        sides.append(("raw", raw, row.raw))
    for _, call, _ in sides:
        for _ in range(warmup):
            await call()
    for rep in range(REPETITIONS):
        for label, call, into in sides if rep % 2 == 0 else sides[::-1]:
            spent = await _latencies(call, count)
            into.add(spent)
            log(
                f"  {key} run {rep + 1} {label}: p50 {format_ms(into.p50s()[-1])} ms, "
                f"p95 {format_ms(into.p95s()[-1])} ms"
            )
    return row


@dataclass
class Target:
    tenant_id: str
    scorecard_id: str
    period: Period


def query_calls(store: SqlEventStore, pool: Any, target: Target, as_of: AsOf | None) -> Call:
    async def ours() -> object:
        async with store.engine.connect() as conn:
            view = await scorecard(
                conn, target.tenant_id, target.scorecard_id, target.period, as_of
            )
        if view is None:
            raise AssertionError("the scorecard query found no scorecard")
        return view

    return ours


def raw_call(pool: Any, target: Target) -> Call:
    async def raw() -> object:
        async with pool.acquire() as conn:
            return await raw_scorecard(conn, target.tenant_id, target.scorecard_id, target.period)

    return raw


async def check_same_rows(store: SqlEventStore, pool: Any, target: Target) -> str:
    """The raw fetch returns as many KPIs and measurements as the query uses."""
    async with store.engine.connect() as conn:
        view = await scorecard(conn, target.tenant_id, target.scorecard_id, target.period)
    assert view is not None
    kpis = [k for p in view.perspectives for o in p.objectives for k in o.kpis]
    async with pool.acquire() as conn:
        raw_kpis = await conn.fetch(
            dict(RAW_QUERIES)["kpis"], target.tenant_id, target.scorecard_id
        )
        window = trend_periods(target.period, DEFAULT_TREND)
        measured = await conn.fetch(
            dict(RAW_QUERIES)["measurements"],
            target.tenant_id,
            target.scorecard_id,
            window[0].first_month_ordinal,
            target.period.last_month_ordinal,
        )
    if len(raw_kpis) != len(kpis):
        raise AssertionError(f"raw fetch: {len(raw_kpis)} KPIs, the query shows {len(kpis)}")
    return (
        f"{len(kpis)} KPIs, {len(measured)} current measurement rows in the "
        f"{DEFAULT_TREND}-month window, score {view.score}"
    )


# -- explain ------------------------------------------------------------------------------------


async def explain(store: SqlEventStore, target: Target, as_of: AsOf | None, log: Log) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one scorecard query sends."""
    captured: list[tuple[str, Any]] = []

    def capture(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not statement.startswith("EXPLAIN"):
            captured.append((statement, parameters))

    sync_engine = store.engine.sync_engine
    sa.event.listen(sync_engine, "before_cursor_execute", capture)
    try:
        async with store.engine.connect() as plain:
            conn = await plain.execution_options(observe_statements=True)
            await scorecard(conn, target.tenant_id, target.scorecard_id, target.period, as_of)
    finally:
        sa.event.remove(sync_engine, "before_cursor_execute", capture)
    async with store.engine.connect() as conn:
        for statement, parameters in captured:
            plan = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            log("-- " + " ".join(statement.split())[:300])
            log(f"   parameters: {parameters}")
            for line in plan.scalars():
                log("   " + str(line))
