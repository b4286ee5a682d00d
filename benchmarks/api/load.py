"""The three sides, GraphQL (G), plain JSON (P) and the library call (L), under load."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from benchmarks._common import Latencies, Measurement, format_ms
from benchmarks.api.process import Server
from benchmarks.api.workload import (
    GRAPHQL_PATH,
    PERIOD,
    PLAIN_PARAMS,
    PLAIN_PATH,
    QUERY,
    REPETITIONS,
    SCORECARD_ID,
    TENANT,
    TREND,
    VARIABLES,
    Log,
)
from domain.periods import Period
from eventstore.sql import SqlEventStore
from projections.queries.scorecard import scorecard

Call = Callable[[], Awaitable[None]]


@dataclass
class Side:
    key: str
    description: str
    call: Call
    server: Server | None = None  # the process that does the work, when it is not this one


@dataclass
class LoadRow:
    """One side at one concurrency: latencies and requests/s of each repetition."""

    key: str
    description: str
    concurrency: int
    latencies: Latencies = field(default_factory=Latencies)
    rates: Measurement = field(default_factory=Measurement)
    server_cpu_ms: list[float] = field(default_factory=list)  # per request, each repetition
    server_faults: list[float] = field(default_factory=list)  # minor page faults per request

    @property
    def cpu_ms(self) -> float | None:
        return statistics.median(self.server_cpu_ms) if self.server_cpu_ms else None

    @property
    def faults(self) -> float | None:
        return statistics.median(self.server_faults) if self.server_faults else None


def graphql_body() -> bytes:
    return orjson.dumps({"query": QUERY, "variables": VARIABLES})


def graphql_side(client: httpx.AsyncClient, token: str, server: Server) -> Side:
    body = graphql_body()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def call() -> None:
        response = await client.post(GRAPHQL_PATH, content=body, headers=headers)
        if response.status_code != 200 or b'"errors"' in response.content:
            raise AssertionError(f"GraphQL: {response.status_code} {response.text[:500]}")

    return Side("G", "GraphQL scorecard query over HTTP", call, server)


def plain_side(client: httpx.AsyncClient, token: str, server: Server) -> Side:
    headers = {"Authorization": f"Bearer {token}"}

    async def call() -> None:
        response = await client.get(PLAIN_PATH, params=PLAIN_PARAMS, headers=headers)
        if response.status_code != 200:
            raise AssertionError(f"plain route: {response.status_code} {response.text[:500]}")

    return Side("P", f"GET {PLAIN_PATH} (same view, orjson)", call, server)


def library_side(store: SqlEventStore) -> Side:
    period = Period.parse(PERIOD)

    async def call() -> None:
        async with store.engine.connect() as conn:
            view = await scorecard(conn, TENANT, SCORECARD_ID, period, trend_count=TREND)
        if view is None:
            raise AssertionError("the library call found no scorecard")

    return Side("L", "projections.queries.scorecard.scorecard, in process", call)


async def load(call: Call, count: int, concurrency: int) -> tuple[list[float], float]:
    """``count`` calls by ``concurrency`` workers; each call's latency and the wall time."""
    gc.collect()
    gc.freeze()
    clock = time.perf_counter
    spent: list[float] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = clock()
            await call()
            spent.append(clock() - start)

    start = clock()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return spent, clock() - start


async def measure(
    sides: Sequence[Side], concurrency: int, count: int, warmup: int, log: Log
) -> list[LoadRow]:
    """Warm every side up, then REPETITIONS rounds with the order of the sides alternating."""
    rows = [LoadRow(s.key, s.description, concurrency) for s in sides]
    for side in sides:
        await load(side.call, warmup, concurrency)
    pairs = list(zip(sides, rows, strict=True))
    for rep in range(REPETITIONS):
        for side, row in pairs if rep % 2 == 0 else pairs[::-1]:
            before = side.server.counters() if side.server else None
            spent, seconds = await load(side.call, count, concurrency)
            after = side.server.counters() if side.server else None
            row.latencies.add(spent)
            row.rates.add(len(spent), seconds)
            if before is not None and after is not None:
                row.server_cpu_ms.append((after[0] - before[0]) * 1000 / count)
                row.server_faults.append((after[1] - before[1]) / count)
            log(
                f"  {side.key} c={concurrency} run {rep + 1}: "
                f"p50 {format_ms(row.latencies.p50s()[-1])} ms, "
                f"p95 {format_ms(row.latencies.p95s()[-1])} ms, {row.rates.rates[-1]:,.0f} req/s"
            )
    return rows


# -- the same answer on both routes -------------------------------------------------------------


def _graphql_kpis(data: dict[str, Any]) -> list[dict[str, Any]]:
    card = data["data"]["scorecard"]
    return [k for p in card["perspectives"] for o in p["objectives"] for k in o["kpis"]]


def _plain_kpis(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [k for p in view["perspectives"] for o in p["objectives"] for k in o["kpis"]]


async def check_same_answer(client: httpx.AsyncClient, token: str) -> str:
    """Both routes show the same KPIs with the same scores and a trend of TREND periods."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    graphql = await client.post(GRAPHQL_PATH, content=graphql_body(), headers=headers)
    plain = await client.get(PLAIN_PATH, params=PLAIN_PARAMS, headers=headers)
    body, view = graphql.json(), plain.json()
    if body.get("errors"):
        raise AssertionError(f"GraphQL errors: {body['errors']}")
    ours = {k["kpiId"]: (k["score"], len(k["trend"])) for k in _graphql_kpis(body)}
    theirs = {k["kpi_id"]: (k["evaluation"]["score"], len(k["trend"])) for k in _plain_kpis(view)}
    if ours != theirs:
        raise AssertionError("the GraphQL and the plain route disagree on the KPIs")
    if body["data"]["scorecard"]["score"] != view["score"]:
        raise AssertionError("the GraphQL and the plain route disagree on the score")
    if any(n != TREND for _, n in ours.values()):
        raise AssertionError(f"a trend without {TREND} periods")
    return (
        f"{SCORECARD_ID} {PERIOD}: {len(ours)} KPIs x {TREND} trend periods, score "
        f"{view['score']}; response bodies: GraphQL {len(graphql.content):,} bytes, "
        f"plain {len(plain.content):,} bytes"
    )
