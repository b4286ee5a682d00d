"""One run: a scratch database with the demo organization, uvicorn, every measurement."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field

import httpx
import uvicorn

from api.auth.roles import Role
from api.auth.tokens import TokenRegistry
from api.migrations import upgrade_async
from benchmarks._common import postgres_url, scratch_postgres_database
from benchmarks.api.breakdown import Breakdown, break_down
from benchmarks.api.load import (
    LoadRow,
    check_same_answer,
    graphql_side,
    library_side,
    measure,
    plain_side,
)
from benchmarks.api.process import uvicorn_server
from benchmarks.api.workload import CONCURRENCIES, PLAIN_PATH, TENANT, Log, Sizes
from eventstore.factory import open_store
from ledger import Ledger
from ledger.demo import DemoOptions, generate


@dataclass
class Results:
    notes: list[str] = field(default_factory=list)
    rows: list[LoadRow] = field(default_factory=list)
    breakdown: Breakdown | None = None

    def row(self, key: str, concurrency: int) -> LoadRow:
        return next(r for r in self.rows if r.key == key and r.concurrency == concurrency)


def _stack() -> str:
    """The HTTP parser and event loop uvicorn's defaults pick in this environment."""
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio loop"
    return f"{http}, {loop}"


async def run(sizes: Sizes, launcher: str, log: Log) -> Results:
    results = Results()
    async with scratch_postgres_database(postgres_url(), "scoreledger_bench_api") as url:
        log(f"database: {url}")
        await upgrade_async(url)
        store = open_store(url)
        try:
            started = time.perf_counter()
            summary = await generate(Ledger(store), DemoOptions(tenant_id=TENANT))
            issued = await TokenRegistry(store.engine, store.write_engine).create(
                TENANT, Role.VIEWER, "benchmark"
            )
            log(
                f"  demo {TENANT}: {summary.events:,} events, {len(summary.kpi_ids)} KPIs, "
                f"{time.perf_counter() - started:.1f}s"
            )
            async with store.engine.connect() as conn:
                version = (await conn.exec_driver_sql("SHOW server_version")).scalar()
            results.notes.append(f"postgresql: {version}")
            log("starting uvicorn")
            async with uvicorn_server(url, PLAIN_PATH, launcher) as server:
                base = server.base_url
                results.notes.append(
                    f"uvicorn {uvicorn.__version__}: 1 process at {base} ({_stack()}), "
                    f"started as: python {' '.join(server.command[1:])}"
                )
                limits = httpx.Limits(
                    max_connections=max(CONCURRENCIES),
                    max_keepalive_connections=max(CONCURRENCIES),
                )
                async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
                    results.notes.append(await check_same_answer(client, issued.secret))
                    sides = [
                        graphql_side(client, issued.secret, server),
                        plain_side(client, issued.secret, server),
                        library_side(store),
                    ]
                    for concurrency in CONCURRENCIES:
                        log(f"concurrency {concurrency}")
                        results.rows += await measure(
                            sides, concurrency, sizes.requests[concurrency], sizes.warmup, log
                        )
            log("breakdown of one GraphQL request, in process")
            results.breakdown = await break_down(url, issued.principal, sizes.profiled)
        finally:
            await store.close()
    return results
