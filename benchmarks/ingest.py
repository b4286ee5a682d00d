"""Bulk ingestion over HTTP: ``POST /v1/measurements`` against raw driver inserts.

    python -m benchmarks.ingest [--quick] [--verbose]

On PostgreSQL, in a scratch database seeded with the demo organization, one real uvicorn
process serves the product app (async projections off, as on API processes beside workers;
the read models the API reads are still written in each append's transaction). Clients
post batches of 1,000 new measurements spread over the demo's KPIs (each item a first value
for its KPI and period, each request with its own ``Idempotency-Key``), and check that
every item came back ``created``:

* I1: one client, one scorecard, batches one after another;
* I4-one: four clients at once, all on the same scorecard;
* I4-many: four clients at once, each on its own scorecard.

Beside each, in the same run and interleaved with it, the raw driver (asyncpg on a minimal
events table, as in ``benchmarks.eventstore``) inserts the same number of rows, 100 per
transaction (reading the stream's tail, checking the version, one multi-row INSERT), with as
many concurrent connections as there are clients. Each row is the median of three timed
repetitions; the server's CPU seconds per 1,000 items come from ``/proc``.

The last line is the headline: ``ingest/raw ratio: N.NN``, the worst row's ratio.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from api.auth.roles import Role
from api.auth.tokens import TokenRegistry
from api.migrations import upgrade_async
from benchmarks._common import (
    Comparison,
    benchmark_parser,
    machine_description,
    postgres_url,
    render_table,
    scratch_postgres_database,
    timed,
    verbose_log,
)
from benchmarks.api.process import Server, uvicorn_server
from benchmarks.eventstore import Plan, RawPostgres, batch_plan
from eventstore.factory import open_store
from ledger import Ledger
from ledger.demo import DemoOptions, generate
from projections.tables import kpis

TENANT = "demo"
BATCH = 1000
RAW_ROWS_PER_TRANSACTION = 100
CLIENTS = 4
REPETITIONS = 3
FIRST_YEAR = 3000
"""Periods from this year on hold no demo value, so every item is a first recording."""


@dataclass(frozen=True, slots=True)
class Sizes:
    single: int  # batches per I1 run
    per_client: int  # batches per client per I4 run


FULL = Sizes(single=6, per_client=3)
QUICK = Sizes(single=2, per_client=1)


class Items:
    """Measurement items never sent before, spread round a scorecard's KPIs, each KPI's
    periods counted on in its own frequency."""

    def __init__(self, kpis_by_scorecard: dict[str, list[tuple[str, str]]]) -> None:
        self.kpis = kpis_by_scorecard
        self.used: dict[tuple[str, str], int] = defaultdict(int)
        self.next = 0

    def batch(self, scorecard_id: str, size: int = BATCH) -> bytes:
        """The JSON body of one request of ``size`` items for ``scorecard_id``."""
        catalog = self.kpis[scorecard_id]
        items = []
        for _ in range(size):
            kpi_id, frequency = catalog[self.next % len(catalog)]
            index = self.used[(scorecard_id, kpi_id)]
            self.used[(scorecard_id, kpi_id)] = index + 1
            items.append(
                {
                    "scorecard": scorecard_id,
                    "kpi": kpi_id,
                    "period": _period(frequency, index),
                    "value": float(self.next % 997),
                    "source": "monitoring",
                    "external_ref": f"ref-{self.next}",
                }
            )
            self.next += 1
        return orjson.dumps({"items": items})


def _period(frequency: str, index: int) -> str:
    if frequency == "monthly":
        return f"{FIRST_YEAR + index // 12}-{index % 12 + 1:02d}"
    if frequency == "quarterly":
        return f"{FIRST_YEAR + index // 4}-Q{index % 4 + 1}"
    return f"{FIRST_YEAR + index}"


async def demo_kpis(url: str) -> dict[str, list[tuple[str, str]]]:
    """Each demo scorecard's current, unretired KPIs and their frequencies."""
    store = open_store(url)
    try:
        query = (
            sa.select(kpis.c.scorecard_id, kpis.c.kpi_id, kpis.c.frequency)
            .where(kpis.c.tenant_id == TENANT, kpis.c.sys_to_pos.is_(None), ~kpis.c.retired)
            .order_by(kpis.c.scorecard_id, kpis.c.kpi_id)
        )
        async with store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
    finally:
        await store.close()
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        found[row.scorecard_id].append((row.kpi_id, row.frequency))
    return dict(found)


class IngestClient:
    """Posts prepared bodies with an integrator token and checks every item was created."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def post(self, body: bytes) -> int:
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        response = await self.http.post("/v1/measurements", content=body, headers=headers)
        if response.status_code != 207:
            raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
        answer = response.json()
        created = answer["counts"]["created"]
        if created != len(answer["results"]):
            refused = next(r for r in answer["results"] if r["status"] != "created")
            raise AssertionError(f"an item was not created: {refused}")
        return int(created)

    async def post_all(self, bodies: Sequence[bytes]) -> int:
        return sum([await self.post(body) for body in bodies])


@dataclass
class CpuShare:
    """Server CPU seconds per 1,000 items of each row's runs."""

    per_thousand: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, key: str, cpu_seconds: float, items: int) -> None:
        self.per_thousand[key].append(cpu_seconds / items * 1000)

    def median(self, key: str) -> float:
        return statistics.median(self.per_thousand[key])


def raw_plan(batches: int, workers: int) -> Plan:
    """``batches`` times 1,000 rows in appends of 100, each worker on its own stream."""
    appends = batches * BATCH // RAW_ROWS_PER_TRANSACTION
    (jobs,) = batch_plan(workers, appends, RAW_ROWS_PER_TRANSACTION)
    return [[job for job in jobs if job.stream == f"s{w:04d}"] for w in range(workers)]


async def compare(
    client: IngestClient,
    raw: RawPostgres,
    server: Server,
    items: Items,
    sizes: Sizes,
    log: Callable[[str], None],
) -> tuple[list[Comparison], CpuShare]:
    scorecards = sorted(items.kpis, key=lambda s: (s != "sc-it", s))[:CLIENTS]
    if len(scorecards) < CLIENTS:
        raise AssertionError(f"the demo has {len(scorecards)} scorecards, I4-many needs 4")
    one = scorecards[0]
    await client.post(items.batch(one))  # warm up: caches, statements, pools
    await raw.append_plan("warmup", raw_plan(1, 1))

    def ours_single() -> Callable[[], Awaitable[int]]:
        bodies = [items.batch(one) for _ in range(sizes.single)]
        return lambda: client.post_all(bodies)

    def ours_clients(on: list[str]) -> Callable[[], Callable[[], Awaitable[int]]]:
        def make() -> Callable[[], Awaitable[int]]:
            work = [[items.batch(s) for _ in range(sizes.per_client)] for s in on]

            async def body() -> int:
                return sum(await asyncio.gather(*(client.post_all(w) for w in work)))

            return body

        return make

    def raw_side(batches: int, workers: int, scope: str) -> Callable[[int], Any]:
        def make(rep: int) -> Callable[[], Awaitable[int]]:
            plan = raw_plan(batches, workers)
            return lambda: raw.append_plan(f"{scope}-{rep}", plan)

        return make

    clients_batches = sizes.per_client * CLIENTS
    rows_spec = [
        ("I1", "1 client, 1 scorecard | raw, 1 connection", ours_single,
         raw_side(sizes.single, 1, "c1")),
        ("I4-one", "4 clients, 1 scorecard | raw, 4 connections",
         ours_clients([one] * CLIENTS), raw_side(clients_batches, CLIENTS, "c4a")),
        ("I4-many", "4 clients, 4 scorecards | raw, 4 connections",
         ours_clients(scorecards), raw_side(clients_batches, CLIENTS, "c4b")),
    ]  # fmt: skip
    rows: list[Comparison] = []
    cpu = CpuShare()
    for key, description, ours_make, raw_make in rows_spec:
        row = Comparison(key, description)
        rows.append(row)
        for rep in range(REPETITIONS):
            bodies = [("ours", ours_make()), ("raw", raw_make(rep))]
            if rep % 2:
                bodies.reverse()
            for label, body in bodies:
                before = server.counters()
                count, seconds = await timed(body)
                after = server.counters()
                if label == "ours":
                    row.ours.add(count, seconds)
                    if before is not None and after is not None:
                        cpu.add(key, after[0] - before[0], count)
                else:
                    row.raw.add(count, seconds)
                log(f"{key} run {rep + 1} {label}: {count:,} in {seconds:.2f}s")
    return rows, cpu


async def run(sizes: Sizes, log: Callable[[str], None]) -> tuple[list[Comparison], CpuShare]:
    async with scratch_postgres_database(postgres_url(), "scoreledger_ingest") as url:
        await upgrade_async(url)
        store = open_store(url)
        try:
            started = time.perf_counter()
            summary = await generate(Ledger(store), DemoOptions(tenant_id=TENANT))
            issued = await TokenRegistry(store.engine, store.write_engine).create(
                TENANT, Role.INTEGRATOR, "benchmark"
            )
            log(f"demo: {summary.events:,} events in {time.perf_counter() - started:.1f}s")
        finally:
            await store.close()
        items = Items(await demo_kpis(url))
        raw = await RawPostgres.open(url)
        try:
            async with uvicorn_server(url, "/healthz") as server:
                limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
                async with httpx.AsyncClient(
                    base_url=server.base_url, limits=limits, timeout=120
                ) as http:
                    return await compare(
                        IngestClient(http, issued.secret), raw, server, items, sizes, log
                    )
        finally:
            await raw.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(
        "python -m benchmarks.ingest", __doc__, "fewer batches per run (under a minute)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    log = verbose_log(args.verbose)

    started = time.perf_counter()
    rows, cpu = asyncio.run(run(sizes, log))
    elapsed = time.perf_counter() - started
    for line in machine_description():
        print(line)
    mode = "quick" if args.quick else "full"
    render_table(
        f"ingestion over HTTP, postgres, {mode} run: median of {REPETITIONS} ({elapsed:.0f}s)",
        rows,
        unit="items/s",
    )
    for row in rows:
        if cpu.per_thousand.get(row.key):
            print(
                f"{row.key}: {row.ours.median:,.0f} items/s, raw {row.raw.median:,.0f} rows/s; "
                f"server CPU {cpu.median(row.key):.2f} s per 1,000 items"
            )
    print(f"ingest/raw ratio: {min(row.ratio for row in rows):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
