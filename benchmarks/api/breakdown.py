"""Where one GraphQL request's time goes, measured in process (no HTTP).

Timed without a profiler: the whole ``schema.execute`` of the benchmark's query, the library
call alone, the encoding of the result as strawberry's router does it (``json.dumps``) and
the plain route's encoding (``to_json`` and orjson). Then ``cProfile`` over the same
executions attributes self time to packages; a built-in's time goes to its callers' packages
in proportion to what each caller spent in it. The profiler inflates code that makes many
small calls (strawberry, graphql-core), so its shares are an attribution, not a timing.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from api.auth.tokens import Principal
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.runtime import open_runtime
from api.settings import ProjectionsMode, Settings
from benchmarks.api.workload import PERIOD, QUERY, SCORECARD_ID, TENANT, TREND, VARIABLES
from domain.periods import Period
from projections.queries.scorecard import scorecard
from projections.snapshots import to_json

GROUPS = (
    ("/strawberry/", "strawberry"),
    ("/graphql/", "graphql-core"),
    ("/api/graphql/", "api.graphql (resolvers, loaders, context)"),
    ("/projections/", "projections (query, views)"),
    ("/domain/", "domain (scoring, explanations)"),
    ("/sqlalchemy/", "sqlalchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/asyncio/", "asyncio"),
)
OTHER = "other"


@dataclass
class Breakdown:
    executions: int
    execute_ms: float  # median schema.execute, the query included
    library_ms: float  # median library call alone
    encode_json_ms: float  # json.dumps of the result, as strawberry's router encodes it
    plain_encode_ms: float  # to_json + orjson.dumps of the view, as the plain route does
    faults: float  # minor page faults of this process per timed execution
    shares: dict[str, float] = field(default_factory=dict)  # group -> fraction of self time

    @property
    def graphql_ms(self) -> float:
        """What ``schema.execute`` spends beside the library call."""
        return self.execute_ms - self.library_ms


def group_of(filename: str) -> str:
    for marker, name in GROUPS:
        if marker in filename:
            return name
    return OTHER


def attribute(stats: pstats.Stats) -> dict[str, float]:
    """Self time per group, built-ins charged to their callers' groups."""
    raw: Any = stats.stats  # type: ignore[attr-defined]
    spent: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, self_time, _, callers) in raw.items():
        if filename != "~":
            spent[group_of(filename)] += self_time
            continue
        edges = {caller: edge[2] for caller, edge in callers.items()}
        total = sum(edges.values())
        if not total:
            spent[OTHER] += self_time
            continue
        for (caller_file, _, _), edge_time in edges.items():
            spent[group_of(caller_file)] += self_time * edge_time / total
    whole = sum(spent.values()) or 1.0
    return {name: value / whole for name, value in sorted(spent.items(), key=lambda i: -i[1])}


async def _median_ms(call: Callable[[], Awaitable[object]], count: int) -> float:
    spent = []
    for _ in range(count):
        start = time.perf_counter()
        await call()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent) * 1000


def _median_sync_ms(call: Callable[[], object], count: int) -> float:
    spent = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent) * 1000


async def break_down(url: str, principal: Principal, count: int) -> Breakdown:
    """Time and profile ``count`` executions of the benchmark's query against ``url``."""
    settings = Settings(database_url=url, projections=ProjectionsMode.OFF)
    schema = build_schema(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
    )
    period = Period.parse(PERIOD)
    async with open_runtime(settings) as runtime:

        async def execute() -> dict[str, Any]:
            context = Context(runtime, principal, "benchmark")
            result = await schema.execute(QUERY, variable_values=VARIABLES, context_value=context)
            if result.errors or result.data is None:
                raise AssertionError(f"GraphQL errors: {result.errors}")
            return result.data

        async def library() -> Any:
            async with runtime.store.engine.connect() as conn:
                return await scorecard(conn, TENANT, SCORECARD_ID, period, trend_count=TREND)

        for _ in range(max(5, count // 10)):
            await execute()
            await library()
        data = {"data": await execute()}
        view = await library()
        faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        execute_ms = await _median_ms(execute, count)
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before) / count
        library_ms = await _median_ms(library, count)
        encode_ms = _median_sync_ms(lambda: json.dumps(data, separators=(",", ":")), count)
        plain_ms = _median_sync_ms(lambda: orjson.dumps(to_json(view)), count)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            await execute()
        profiler.disable()
    return Breakdown(
        executions=count,
        execute_ms=execute_ms,
        library_ms=library_ms,
        encode_json_ms=encode_ms,
        plain_encode_ms=plain_ms,
        faults=faults,
        shares=attribute(pstats.Stats(profiler)),
    )
