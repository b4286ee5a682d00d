"""One run: a scratch database, the demo organizations, the history, every measurement."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.migrations import upgrade_async
from benchmarks._common import (
    Comparison,
    libpq_url,
    postgres_url,
    scratch_postgres_database,
)
from benchmarks.projections.history import Card, History, load_card
from benchmarks.projections.loader import Loader
from benchmarks.projections.queries import (
    QueryRow,
    Target,
    check_same_rows,
    explain,
    measure_query,
    query_calls,
    raw_call,
)
from benchmarks.projections.rebuild import measure_rebuild
from benchmarks.projections.workload import (
    FOCUS_CYCLE,
    FULL,
    LARGE_REBUILD_BUDGET,
    MAIN_TENANT,
    OTHER_TENANTS,
    REPETITIONS,
    Log,
    Sizes,
)
from eventstore import FeedPosition
from eventstore.factory import open_store
from ledger import Ledger
from ledger.demo import DemoOptions, DemoSummary, generate
from projections.asof import AsOf


@dataclass
class Results:
    settings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rebuilds: list[Comparison] = field(default_factory=list)
    queries: list[QueryRow] = field(default_factory=list)
    asof: list[QueryRow] = field(default_factory=list)
    small_p95: float = 0.0
    large_p95: float = 0.0


async def vacuum(pool: Any, log: Log) -> None:
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("VACUUM (ANALYZE)")
    log(f"  VACUUM (ANALYZE): {time.perf_counter() - started:.1f}s")


async def setup(ledger: Ledger, log: Log) -> tuple[DemoSummary, int]:
    """The demo organization in MAIN_TENANT and small demo organizations in other tenants."""
    started = time.perf_counter()
    summary = await generate(ledger, DemoOptions(tenant_id=MAIN_TENANT))
    events = summary.events
    log(
        f"  demo {MAIN_TENANT}: {summary.events:,} events, "
        f"{len(summary.kpi_ids)} KPIs, {time.perf_counter() - started:.1f}s"
    )
    for number in range(1, OTHER_TENANTS + 1):
        options = DemoOptions(
            tenant_id=f"tenant-{number:02d}", seed=number, kpis=8, months=6, teams=False
        )
        other = await generate(ledger, options)
        events += other.events
    log(f"  demos: {events:,} events in {time.perf_counter() - started:.1f}s")
    return summary, events


async def run(sizes: Sizes, inline: bool, want_explain: bool, log: Log) -> Results:
    import asyncpg

    results = Results()
    async with scratch_postgres_database(postgres_url(), "scoreledger_bench_proj") as url:
        log(f"database: {url}")
        await upgrade_async(url)
        store = open_store(url)
        pool = await asyncpg.create_pool(libpq_url(url), min_size=2, max_size=4)
        loader_conn = await asyncpg.connect(libpq_url(url))
        try:
            results.settings = await _postgres_settings(pool)
            ledger = Ledger(store)
            log("setting up the demo organizations")
            summary, events = await setup(ledger, log)
            cards = [
                await load_card(loader_conn, store, MAIN_TENANT, scorecard_id)
                for scorecard_id in summary.scorecard_ids
            ]
            for number in range(1, OTHER_TENANTS + 1):
                tenant = f"tenant-{number:02d}"
                ids = await loader_conn.fetch(
                    "SELECT scorecard_id FROM rm_scorecards WHERE tenant_id = $1 "
                    "AND sys_to_pos IS NULL ORDER BY scorecard_id",
                    tenant,
                )
                for row in ids:
                    cards.append(await load_card(loader_conn, store, tenant, row[0]))
            focus = next(c for c in cards if c.scorecard_id == summary.scorecard_id)
            focus.cycle = FOCUS_CYCLE
            others = [c for c in cards if c is not focus]
            history = History(focus, others, summary.last_period)
            clock = max(summary.last_recorded_at, datetime(2026, 11, 30, tzinfo=UTC))
            loader = Loader(store, ledger, loader_conn, history, clock, inline, events)
            target = Target(MAIN_TENANT, summary.scorecard_id, summary.last_period)

            log(f"loading the history up to {sizes.small:,} events")
            await loader.load_until(sizes.small, log)
            await vacuum(pool, log)
            results.rebuilds.append(
                await measure_rebuild(store, pool, "R-small", REPETITIONS, log, check_rows=True)
            )
            await vacuum(pool, log)
            results.notes.append(f"small store: {await check_same_rows(store, pool, target)}")
            results.queries.append(
                await measure_query(
                    "S-small",
                    f"scorecard {target.period}, {loader.events:,} events",
                    query_calls(store, pool, target, None),
                    raw_call(pool, target),
                    sizes.queries,
                    sizes.warmup,
                    log,
                )
            )

            log(f"loading the history up to {sizes.large:,} events")
            await loader.load_until(sizes.large, log)
            await vacuum(pool, log)
            results.notes.append(
                f"history: {loader.events:,} events in the store, "
                f"{focus.events:,} of them history on {focus.scorecard_id}, "
                f"{history.other_events:,} on {len(others)} other scorecards "
                f"({OTHER_TENANTS + 1} tenants); loaded in {loader.seconds:.0f}s "
                f"({'inline projection' if inline else 'bulk rows'})"
            )
            results.notes.append(f"large store: {await check_same_rows(store, pool, target)}")
            results.notes.append(await _table_sizes(pool, focus))
            results.queries.append(
                await measure_query(
                    "S-large",
                    f"scorecard {target.period}, {loader.events:,} events",
                    query_calls(store, pool, target, None),
                    raw_call(pool, target),
                    sizes.queries,
                    sizes.warmup,
                    log,
                )
            )
            now = loader.clock
            year_ago = now - timedelta(days=365)
            last = await pool.fetchrow(
                "SELECT transaction_id, global_position FROM events WHERE recorded_at <= $1 "
                "ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
                year_ago,
            )
            position = FeedPosition(int(last["transaction_id"]), int(last["global_position"]))
            past = Target(MAIN_TENANT, summary.scorecard_id, summary.last_period.shift(-12))
            asof_cases = [
                (
                    "A-time",
                    f"{past.period} as of {year_ago:%Y-%m-%d} (time)",
                    past,
                    AsOf(time=year_ago),
                ),
                (
                    "A-pos",
                    f"{past.period} as of position {position}",
                    past,
                    AsOf(position=position),
                ),
                (
                    "A-now",
                    f"{target.period} as of now (system-time filter)",
                    target,
                    AsOf(time=now),
                ),
            ]
            for key, description, where, as_of in asof_cases:
                results.asof.append(
                    await measure_query(
                        key,
                        description,
                        query_calls(store, pool, where, as_of),
                        None,
                        sizes.asof_queries,
                        sizes.warmup,
                        log,
                    )
                )
            if want_explain:
                log("EXPLAIN ANALYZE of the current scorecard query (large store)")
                await explain(store, target, None, print)
                log("EXPLAIN ANALYZE of the as-of query A-now (large store)")
                await explain(store, target, AsOf(time=now), print)
                log("EXPLAIN ANALYZE of the as-of query A-pos (large store)")
                await explain(store, past, AsOf(position=position), print)
            small_rate = results.rebuilds[0].ours.median
            estimate = loader.events / small_rate if small_rate else float("inf")
            if sizes is FULL and estimate <= LARGE_REBUILD_BUDGET:
                results.rebuilds.append(
                    await measure_rebuild(store, pool, "R-large", 1, log, check_rows=False)
                )
            else:
                results.notes.append(
                    f"large rebuild not measured: about {estimate:,.0f}s at the small store's "
                    f"rate (budget {LARGE_REBUILD_BUDGET:.0f}s)"
                )
        finally:
            await loader_conn.close()
            await pool.close()
            await store.close()
    small, large = results.queries
    results.small_p95, results.large_p95 = small.ours.p95, large.ours.p95
    return results


async def _postgres_settings(pool: Any) -> list[str]:
    async with pool.acquire() as conn:
        version = await conn.fetchval("SHOW server_version")
        lines = [f"postgresql: {version}"]
        for name in ("shared_buffers", "work_mem", "random_page_cost", "jit"):
            lines.append(f"  {name} = {await conn.fetchval(f'SHOW {name}')}")
    return lines


async def _table_sizes(pool: Any, focus: Card) -> str:
    async with pool.acquire() as conn:
        total, current, on_focus, focus_current = await conn.fetchrow(
            "SELECT count(*), count(*) FILTER (WHERE sys_to_pos IS NULL), "
            "count(*) FILTER (WHERE tenant_id = $1 AND scorecard_id = $2), "
            "count(*) FILTER (WHERE tenant_id = $1 AND scorecard_id = $2 "
            "AND sys_to_pos IS NULL) FROM rm_measurements",
            focus.tenant_id,
            focus.scorecard_id,
        )
    return (
        f"rm_measurements: {total:,} rows ({current:,} current); {on_focus:,} on "
        f"{focus.scorecard_id} ({focus_current:,} current)"
    )
