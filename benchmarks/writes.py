"""The write path: measurements recorded through the Ledger against raw driver appends.

    python -m benchmarks.writes [--quick] [--verbose]

On PostgreSQL, in a scratch database, with scorecards of 40 monthly KPIs. Each row is the
median of three timed repetitions, ours and the raw baseline interleaved in the same
process; one measurement is one event, so the ratio is measurements/s through the Ledger
divided by raw events/s:

* L1: one writer on one scorecard, beside raw single-event appends at concurrency 1 (W1-c1);
* L8-one: eight asyncio tasks on one scorecard, beside raw W1 at concurrency 8;
* L8-many: eight tasks on eight scorecards, beside raw W1 at concurrency 8;
* B100 / B1000: ``Ledger.execute_batch`` of 100 / 1,000 measurements, beside raw appends of
  100 / 1,000 events (W2).

The raw baseline is ``benchmarks.eventstore``'s: asyncpg on a minimal table, reading the
stream's tail, checking the expected version and inserting in one transaction.

Then the history table: a scorecard is grown to each size in batches, and for each size the
first command of a fresh Ledger (no cached state: it loads the stored snapshot and folds the
events since) and the next command (state cached) are timed, as medians of fresh Ledgers.
Its ratios are against the smallest size.

The process runs with the collector settings of ``scoreledger serve``
(:func:`api.garbage_collection.tune_for_serving`), where the Ledger runs in use.

The last line is the headline: ``write path worst ratio: N.NN``, L8-one's ratio.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from api.garbage_collection import tune_for_serving
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
from benchmarks.eventstore import Plan, RawPostgres, batch_plan, single_event_plan
from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.organization import CreateOrganization, CreateTeam
from domain.periods import Frequency, Period
from domain.scorecard import commands as c
from eventstore import EventStore, Metadata
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from ledger import Ledger

TENANT = "bench"
KPIS = 40
MONTHS = 120
REPETITIONS = 3
TARGETS = {"L8-one": 0.5, "L8-many": 0.5, "B100": 0.5, "B1000": 0.5}


@dataclass(frozen=True, slots=True)
class Sizes:
    single: int  # commands per L1 run
    concurrent: int  # commands per L8 run (split over 8 tasks)
    batches: int  # batches per B run
    history: tuple[int, ...]  # stream lengths of the history table
    cold_samples: int


FULL = Sizes(
    single=600, concurrent=1600, batches=6, history=(1_000, 20_000, 100_000), cold_samples=7
)
QUICK = Sizes(single=150, concurrent=400, batches=2, history=(1_000, 10_000), cold_samples=3)


def _metadata() -> Metadata:
    return Metadata(actor="integrator", recorded_at=datetime.now(UTC))


class Numbers:
    """Hands out measurement commands with ids never used before, spread over 40 KPIs and
    ten years of months (a repeat of a KPI and month is a correction, so all carry a reason)."""

    def __init__(self, first_year: int = 2017) -> None:
        self.next = 0
        self.first_year = first_year

    def take(self, scorecard_id: str, count: int) -> list[c.RecordMeasurement]:
        start, self.next = self.next, self.next + count
        return [measurement(scorecard_id, n, self.first_year) for n in range(start, start + count)]


def measurement(scorecard_id: str, n: int, first_year: int = 2017) -> c.RecordMeasurement:
    month = (n // KPIS) % MONTHS
    return c.RecordMeasurement(
        scorecard_id=scorecard_id,
        measurement_id=f"m{n}-{first_year}",
        kpi_id=f"k{n % KPIS}",
        period=Period.parse(f"{first_year + month // 12}-{month % 12 + 1:02d}"),
        value=float(n % 997),
        source_system="monitoring",
        external_reference=f"ref-{n}",
        reason="feed re-read",
    )


async def build_scorecard(ledger: Ledger, scorecard_id: str) -> None:
    m = _metadata()
    await ledger.execute(
        TENANT,
        c.CreateScorecard(
            scorecard_id=scorecard_id,
            team_id="ops",
            name=scorecard_id,
            perspective_ids=("fin", "cus", "int", "lrn"),
        ),
        m,
    )
    await ledger.execute(
        TENANT,
        c.AddObjective(
            scorecard_id=scorecard_id, objective_id="o", perspective_id="int", title="Run well"
        ),
        m,
    )
    kpis = [
        c.DefineKpi(
            scorecard_id=scorecard_id,
            kpi_id=f"k{k}",
            objective_id="o",
            name=f"KPI {k}",
            description="",
            unit="",
            direction=Direction.HIGHER_IS_BETTER,
            frequency=Frequency.MONTH,
            aggregation=Aggregation.SUM,
            kind=KpiKind.LAGGING,
            owner="ops",
            weight=1.0,
        )
        for k in range(KPIS)
    ]
    await ledger.execute_batch(TENANT, kpis, m)


async def _one_by_one(ledger: Ledger, commands: Sequence[c.RecordMeasurement]) -> int:
    for command in commands:
        await ledger.execute(TENANT, command, _metadata())
    return len(commands)


async def _tasks(ledger: Ledger, work: list[list[c.RecordMeasurement]]) -> int:
    return sum(await asyncio.gather(*(_one_by_one(ledger, commands) for commands in work)))


async def _batches(ledger: Ledger, batches: list[list[c.RecordMeasurement]]) -> int:
    stored = 0
    for batch in batches:
        result = await ledger.execute_batch(TENANT, batch, _metadata())
        refused = [o.error for o in result.outcomes if o.error is not None]
        if refused:
            raise AssertionError(f"a batch was refused in part: {refused[0]!r}")
        stored += len(batch)
    return stored


async def analyze(store: EventStore) -> None:
    """Gather the planner's statistics, as autovacuum does on a database in use: a scratch
    database grown in seconds has none yet, and the planner without them can take an index
    that reads a scorecard's every current measurement to end one of them."""
    async with store.engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE"))


async def compare(
    ledger: Ledger, raw: RawPostgres, sizes: Sizes, log: Callable[[str], None]
) -> list[Comparison]:
    numbers = Numbers()
    one = "sc-0"
    many = [f"sc-{i}" for i in range(8)]
    for scorecard_id in many:
        await build_scorecard(ledger, scorecard_id)
    await _one_by_one(ledger, numbers.take(one, 20))  # warm up: caches, statements, pools
    await _batches(ledger, [numbers.take(one, 1000)])
    await analyze(ledger.store)
    await raw.append_plan("warmup", single_event_plan(20, 1, 8))

    def ours_l1() -> Callable[[], Awaitable[int]]:
        commands = numbers.take(one, sizes.single)
        return lambda: _one_by_one(ledger, commands)

    def ours_l8_one() -> Callable[[], Awaitable[int]]:
        commands = numbers.take(one, sizes.concurrent)
        return lambda: _tasks(ledger, [commands[w::8] for w in range(8)])

    def ours_l8_many() -> Callable[[], Awaitable[int]]:
        work = [numbers.take(many[w], sizes.concurrent // 8) for w in range(8)]
        return lambda: _tasks(ledger, work)

    def ours_batch(size: int) -> Callable[[], Callable[[], Awaitable[int]]]:
        def make() -> Callable[[], Awaitable[int]]:
            work = [numbers.take(one, size) for _ in range(sizes.batches)]
            return lambda: _batches(ledger, work)

        return make

    def raw_plan(
        plan_of: Callable[[], Plan], scope: str
    ) -> Callable[[int], Callable[[], Awaitable[int]]]:
        def make(rep: int) -> Callable[[], Awaitable[int]]:
            plan = plan_of()
            return lambda: raw.append_plan(f"{scope}-{rep}", plan)

        return make

    rows_spec = [
        ("L1", "1 writer, 1 scorecard | raw W1-c1", ours_l1,
         raw_plan(lambda: single_event_plan(sizes.single, 1, 1), "w1c1")),
        ("L8-one", "8 tasks, 1 scorecard | raw W1-c8", ours_l8_one,
         raw_plan(lambda: single_event_plan(sizes.concurrent, 1, 8), "w1c8a")),
        ("L8-many", "8 tasks, 8 scorecards | raw W1-c8", ours_l8_many,
         raw_plan(lambda: single_event_plan(sizes.concurrent, 1, 8), "w1c8b")),
        ("B100", "batches of 100 | raw W2 (100 events/append)", ours_batch(100),
         raw_plan(lambda: batch_plan(sizes.batches, sizes.batches, 100), "w2a")),
        ("B1000", "batches of 1,000 | raw 1,000 events/append", ours_batch(1000),
         raw_plan(lambda: batch_plan(sizes.batches, sizes.batches, 1000), "w2b")),
    ]  # fmt: skip
    rows: list[Comparison] = []
    for key, description, ours_make, raw_make in rows_spec:
        row = Comparison(key, description, target=TARGETS.get(key))
        rows.append(row)
        for rep in range(REPETITIONS):
            bodies = [("ours", ours_make()), ("raw", raw_make(rep))]
            if rep % 2:
                bodies.reverse()
            for label, body in bodies:
                items, seconds = await timed(body)
                (row.ours if label == "ours" else row.raw).add(items, seconds)
                log(f"{key} run {rep + 1} {label}: {items:,} in {seconds:.2f}s")
    return rows


@dataclass
class HistoryRow:
    events: int
    cold_ms: float
    warm_ms: float


async def history(
    store: SqlEventStore, sizes: Sizes, log: Callable[[str], None]
) -> list[HistoryRow]:
    writer = Ledger(store)
    scorecard_id = "sc-history"
    await build_scorecard(writer, scorecard_id)
    numbers = Numbers()
    # The timed commands are first recordings of a KPI and month at every size (growth soon
    # turns every recording into a correction, which also ends a stored version).
    timed_numbers = Numbers(first_year=2040)
    length = KPIS + 2
    rows: list[HistoryRow] = []
    for target in sizes.history:
        while length < target:
            batch = numbers.take(scorecard_id, min(1000, target - length))
            await writer.execute_batch(TENANT, batch, _metadata())
            length += len(batch)
            if length % 10_000 < len(batch):
                await analyze(store)
        colds: list[float] = []
        warms: list[float] = []
        for _ in range(sizes.cold_samples):
            fresh = Ledger(store)
            first, second, *rest = timed_numbers.take(scorecard_id, 12)
            started = time.perf_counter()
            await fresh.execute(TENANT, first, _metadata())
            colds.append(time.perf_counter() - started)
            await fresh.execute(TENANT, second, _metadata())
            for command in rest:
                started = time.perf_counter()
                await fresh.execute(TENANT, command, _metadata())
                warms.append(time.perf_counter() - started)
            length += 12
        row = HistoryRow(length, statistics.median(colds) * 1000, statistics.median(warms) * 1000)
        log(f"history {row.events:,}: cold {row.cold_ms:.1f} ms, warm {row.warm_ms:.2f} ms")
        rows.append(row)
    return rows


async def run(
    sizes: Sizes, log: Callable[[str], None]
) -> tuple[list[Comparison], list[HistoryRow]]:
    async with scratch_postgres_database(postgres_url(), "scoreledger_writes") as url:
        await upgrade_async(url)
        store = open_store(url)
        raw = await RawPostgres.open(url)
        try:
            ledger = Ledger(store)
            m = _metadata()
            await ledger.execute(TENANT, CreateOrganization(organization_id="org", name="Bench"), m)
            await ledger.execute(
                TENANT,
                CreateTeam(organization_id="org", team_id="ops", name="Ops", parent_team_id=None),
                m,
            )
            rows = await compare(ledger, raw, sizes, log)
            grown = await history(store, sizes, log)
        finally:
            await raw.close()
            await store.close()
    return rows, grown


def render_history(rows: list[HistoryRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    base = rows[0]
    table = Table(title="history: one scorecard grown in place (targets: cold <= 2x, warm <= 1.2x)")
    for column in (
        "events",
        "first command (cold) ms",
        "x smallest",
        "next command (warm) ms",
        "x smallest",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"{row.events:,}",
            f"{row.cold_ms:.1f}",
            f"{row.cold_ms / base.cold_ms:.2f}",
            f"{row.warm_ms:.2f}",
            f"{row.warm_ms / base.warm_ms:.2f}",
        )
    Console(width=200).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(
        "python -m benchmarks.writes", __doc__, "smaller runs (under a minute)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    log = verbose_log(args.verbose)

    # The collector as `scoreledger serve` sets it: with the interpreter's defaults, a cold
    # command at 100,000 events ran 26-48 young collections and now and then a full one
    # (80 ms, a walk over every state the process holds), which a median of few samples
    # takes for the command's own cost.
    tune_for_serving()
    started = time.perf_counter()
    rows, grown = asyncio.run(run(sizes, log))
    elapsed = time.perf_counter() - started
    for line in machine_description():
        print(line)
    mode = "quick" if args.quick else "full"
    render_table(
        f"write path, postgres, {mode} run: median of {REPETITIONS} ({elapsed:.0f}s)",
        rows,
        unit="measurements/s",
    )
    render_history(grown)
    headline = next(row for row in rows if row.key == "L8-one")
    print(f"write path worst ratio: {headline.ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
