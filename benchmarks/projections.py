"""Read-model rebuild rate and scorecard query latency, against the raw driver.

    python -m benchmarks.projections [--quick] [--explain] [--inline-load] [--verbose]

One fresh PostgreSQL database per run (``scoreledger_bench_proj_<pid>``, dropped at the end,
also on error). The store holds the demo organization (``projections.demo``: the IT
department's 40-KPI scorecard ``sc-it``, two years of measurements, corrections, closed
quarters) plus small demo organizations in other tenants, then a generated history:

* half of the extra events land on the queried scorecard itself: corrections of its current
  period, of the periods in the query's trend window and of older periods (a closed quarter
  is reopened for a block of corrections and closed again, as the domain requires), and
  measurements of months before the demo;
* the other half goes the same way to the other scorecards of the tenant and of the other
  tenants.

The history is built as domain events (every correction supersedes the current measurement of
its KPI and period, tracked here) and appended in batches of 500 events per append. By
default the read-model rows for those batches are written in bulk next to the append (COPY and
one UPDATE per batch, the very rows the projection's handlers produce); the run checks this
on the small store by comparing every read-model row with what a rebuild of the projection
writes. ``--inline-load`` appends the history with ``inline=ledger.inline`` instead (the
projection writes the rows itself; about 1,000 corrections/s, so far slower).

Measured (each figure the median of 3 repetitions, ours and raw interleaved):

* R: rebuild rate of ``ReadModelProjection`` (``projections.rebuild.rebuild``) in events/s,
  against a raw asyncpg read of the same events in feed order (keyset pages of 1,000, data and
  metadata decoded with orjson);
* S: latency of ``projections.queries.scorecard.scorecard`` for the demo scorecard's current
  month with the small and the large store (p50 and p95 of 200 calls after a warm-up),
  against a hand-written asyncpg fetch of the same rows (same statements' filters, the columns
  the query uses); history ratio = large p95 / small p95;
* A: as-of latency at the large store (a period a year back as known a year back, by time and
  by position; the current month through the system-time filter as of now).

The last line printed is ``history ratio: N.NN``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

import domain.scorecard.events as sc
from api.migrations import upgrade_async
from benchmarks._common import (
    Comparison,
    Latencies,
    format_ms,
    libpq_url,
    machine_description,
    postgres_url,
    render_table,
    scratch_postgres_database,
    timed,
)
from domain.evaluation import trend_periods
from domain.periods import Granularity, Period
from eventstore import AppendResult, Metadata
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from projections import tables as t
from projections.application import Ledger
from projections.asof import AsOf
from projections.codec import codec
from projections.demo import DemoOptions, DemoSummary, generate
from projections.queries.scorecard import DEFAULT_TREND, scorecard
from projections.read_models import ReadModelProjection
from projections.rebuild import rebuild

REPETITIONS = 3
BATCH = 500  # events per append while loading the history
FEED_PAGE = 1000  # the rebuild's batch size; the raw read uses the same page size
MAIN_TENANT = "northwind"
OTHER_TENANTS = 8
OLDER_MONTHS = 120  # how far before the demo the history records measurements
TARGET_HISTORY_RATIO = 1.5  # large p95 / small p95, at most
TARGET_RAW_RATIO = 3.0  # ours p95 / raw p95, at most
LARGE_REBUILD_BUDGET = 240.0  # seconds: rebuild the large store only if it should fit
FOCUS_CYCLE = ("current", "window", "past", "window", "older", "past", "current", "window")
OTHER_CYCLE = ("past", "current", "older", "past")
REASONS = (
    "late feed row replaced",
    "source system restated the figure",
    "reconciliation with finance",
    "manual entry error",
)
ACTORS = ("svc-metrics-feed", "l.moreau@northwind.example", "a.okafor@northwind.example")


@dataclass(frozen=True, slots=True)
class Sizes:
    small: int  # events in the store for the small measurements
    large: int  # events in the store for the large measurements
    queries: int  # timed scorecard queries per repetition and side
    asof_queries: int
    warmup: int


FULL = Sizes(small=10_000, large=1_000_000, queries=200, asof_queries=200, warmup=20)
QUICK = Sizes(small=10_000, large=200_000, queries=200, asof_queries=100, warmup=20)

Log = Callable[[str], None]


# -- the history ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KpiInfo:
    granularity: Granularity
    source: str
    base: float


MeasurementKey = tuple[str, Period]


@dataclass
class Card:
    """One scorecard stream and what the generator must know to write valid events for it:
    the current measurement of every KPI and period, and the closed periods."""

    tenant_id: str
    scorecard_id: str
    version: int
    kpis: dict[str, KpiInfo]
    current: dict[MeasurementKey, str]
    closed: set[Period]
    frontier: int  # month ordinal of the next older month to record
    limit: int  # no older month than this
    cycle: tuple[str, ...]
    by_quarter: dict[Period, list[MeasurementKey]] = field(default_factory=dict)
    turn: int = 0
    cursors: dict[str, int] = field(default_factory=dict)
    events: int = 0

    @property
    def stream(self) -> str:
        return f"scorecard-{self.scorecard_id}"

    def __post_init__(self) -> None:
        for key in sorted(self.current, key=lambda k: (k[1], k[0])):
            self.by_quarter.setdefault(key[1].quarter_of, []).append(key)
        if any(p.granularity is not Granularity.QUARTER for p in self.closed):
            raise ValueError(f"{self.scorecard_id}: only closed quarters are supported")

    def next_kind(self) -> str:
        kind = self.cycle[self.turn % len(self.cycle)]
        self.turn += 1
        return kind

    def pick_quarter(self, pool: str, quarters: list[Period]) -> Period:
        at = self.cursors.get(pool, 0)
        self.cursors[pool] = at + 1
        return quarters[at % len(quarters)]


class History:
    """Decides the next batch of events: which scorecard, which kind, which keys."""

    def __init__(self, focus: Card, others: list[Card], end: Period) -> None:
        self.focus = focus
        self.others = others
        self.end = end
        self.current_quarter = end.quarter_of
        window = trend_periods(end, DEFAULT_TREND)
        self.window_quarters = {p.quarter_of for p in window} - {self.current_quarter}
        self.counter = 0
        self.other_turn = 0
        self.other_events = 0

    def next_card(self) -> Card:
        if self.focus.events <= self.other_events:
            return self.focus
        card = self.others[self.other_turn % len(self.others)]
        self.other_turn += 1
        return card

    def batch(self, card: Card, size: int) -> list[sc.ScorecardEvent]:
        kind = card.next_kind()
        if kind == "older" and card.frontier >= card.limit:
            events = self._older(card, size)
            if events:
                return self._count(card, events)
            kind = "past"
        quarters = sorted(card.by_quarter)
        current = [q for q in quarters if q == self.current_quarter]
        window = [q for q in quarters if q in self.window_quarters]
        past = [q for q in quarters if q != self.current_quarter and q not in self.window_quarters]
        pools = {"current": current, "window": window, "past": past}
        chosen = pools.get(kind) or past or quarters
        quarter = card.pick_quarter(kind, chosen)
        if quarter in card.closed and size < 3:  # no room to reopen and close again
            quarter = next(q for q in quarters if q not in card.closed)
        return self._count(card, self._corrections(card, quarter, size))

    def _count(self, card: Card, events: list[sc.ScorecardEvent]) -> list[sc.ScorecardEvent]:
        card.events += len(events)
        if card is not self.focus:
            self.other_events += len(events)
        return events

    def _corrections(self, card: Card, quarter: Period, size: int) -> list[sc.ScorecardEvent]:
        keys = card.by_quarter[quarter]
        reopen = quarter in card.closed
        events: list[sc.ScorecardEvent] = []
        if reopen:
            reason = "audit adjustment: restated figures for the quarter"
            events.append(
                sc.PeriodReopened(scorecard_id=card.scorecard_id, period=quarter, reason=reason)
            )
        body = size - 2 if reopen else size
        for i in range(body):
            events.append(self._correct(card, keys[i % len(keys)]))
        if reopen:
            events.append(sc.PeriodClosed(scorecard_id=card.scorecard_id, period=quarter))
        return events

    def _correct(self, card: Card, key: MeasurementKey) -> sc.MeasurementCorrected:
        self.counter += 1
        n = self.counter
        kpi_id, period = key
        info = card.kpis[kpi_id]
        measurement_id = f"h{n}-{kpi_id}-{period}"
        event = sc.MeasurementCorrected(
            scorecard_id=card.scorecard_id,
            measurement_id=measurement_id,
            supersedes=card.current[key],
            kpi_id=kpi_id,
            period=period,
            value=round(info.base * (1 + 0.002 * (n % 11 - 5)), 3),
            not_available=False,
            source_system=info.source,
            external_reference=f"{info.source}:{kpi_id}:{period}:h{n}",
            note="",
            reason=REASONS[n % len(REASONS)],
        )
        card.current[key] = measurement_id
        return event

    def _older(self, card: Card, size: int) -> list[sc.ScorecardEvent]:
        """Measurements of months (and quarters) before anything the scorecard holds."""
        events: list[sc.ScorecardEvent] = []
        while card.frontier >= card.limit:
            month = Period.from_month_ordinal(card.frontier)
            for kpi_id in sorted(card.kpis):
                info = card.kpis[kpi_id]
                period = month if info.granularity is Granularity.MONTH else month.quarter_of
                key = (kpi_id, period)
                if key in card.current:
                    continue
                if len(events) == size:
                    return events
                self.counter += 1
                n = self.counter
                measurement_id = f"h{n}-{kpi_id}-{period}"
                events.append(
                    sc.MeasurementRecorded(
                        scorecard_id=card.scorecard_id,
                        measurement_id=measurement_id,
                        kpi_id=kpi_id,
                        period=period,
                        value=round(info.base * (1 + 0.01 * (n % 7 - 3)), 3),
                        not_available=False,
                        source_system=info.source,
                        external_reference=f"{info.source}:{kpi_id}:{period}",
                        note="",
                    )
                )
                card.current[key] = measurement_id
                card.by_quarter.setdefault(period.quarter_of, []).append(key)
            card.frontier -= 1
        return events


async def load_card(conn: Any, store: SqlEventStore, tenant_id: str, scorecard_id: str) -> Card:
    """The generator's view of one scorecard, from the current read-model rows."""
    kpis: dict[str, KpiInfo] = {}
    kpi_rows = await conn.fetch(
        "SELECT kpi_id, frequency FROM rm_kpis WHERE tenant_id = $1 AND scorecard_id = $2 "
        "AND sys_to_pos IS NULL AND NOT retired ORDER BY kpi_id",
        tenant_id,
        scorecard_id,
    )
    rows = await conn.fetch(
        "SELECT kpi_id, period, measurement_id, value, source_system FROM rm_measurements "
        "WHERE tenant_id = $1 AND scorecard_id = $2 AND sys_to_pos IS NULL "
        "ORDER BY kpi_id, period_start",
        tenant_id,
        scorecard_id,
    )
    sources: dict[str, str] = {}
    bases: dict[str, float] = {}
    current: dict[MeasurementKey, str] = {}
    for row in rows:
        current[(row["kpi_id"], Period.parse(row["period"]))] = row["measurement_id"]
        sources.setdefault(row["kpi_id"], row["source_system"])
        if row["value"] is not None:
            bases.setdefault(row["kpi_id"], float(row["value"]))
    for row in kpi_rows:
        kpi_id = row["kpi_id"]
        granularity = Granularity.QUARTER if "quarter" in row["frequency"] else Granularity.MONTH
        kpis[kpi_id] = KpiInfo(
            granularity, sources.get(kpi_id, "bench-feed"), bases.get(kpi_id, 1.0) or 1.0
        )
    current = {key: mid for key, mid in current.items() if key[0] in kpis}
    closed = {
        Period.parse(row["period"])
        for row in await conn.fetch(
            "SELECT period FROM rm_period_closes WHERE tenant_id = $1 AND scorecard_id = $2 "
            "AND sys_to_pos IS NULL",
            tenant_id,
            scorecard_id,
        )
    }
    earliest = min(
        [key[1].first_month_ordinal for key in current]
        + [p.quarter_of.first_month_ordinal for p in closed]
    )
    info = await store.stream_info(tenant_id, f"scorecard-{scorecard_id}")
    return Card(
        tenant_id=tenant_id,
        scorecard_id=scorecard_id,
        version=info.version,
        kpis=kpis,
        current=current,
        closed=closed,
        frontier=earliest - 1,
        limit=earliest - OLDER_MONTHS,
        cycle=OTHER_CYCLE,
    )


# -- writing the history --------------------------------------------------------------------------

MEASUREMENT_COLUMNS = (
    "generation",
    "tenant_id",
    "scorecard_id",
    "kpi_id",
    "measurement_id",
    "period",
    "period_start",
    "period_end",
    "value",
    "not_available",
    "source_system",
    "external_reference",
    "note",
    "supersedes",
    "sys_from_time",
    "sys_from_pos",
    "sys_from_tx",
    "changed_by",
    "change_event",
    "change_reason",
    "sys_to_time",
    "sys_to_pos",
    "ended_by",
    "end_event",
    "end_reason",
    "end_kind",
)
CLOSE_COLUMNS = (
    "generation",
    "tenant_id",
    "scorecard_id",
    "period",
    "period_start",
    "period_end",
    "sys_from_time",
    "sys_from_pos",
    "sys_from_tx",
    "changed_by",
    "change_event",
    "change_reason",
    "sys_to_time",
    "sys_to_pos",
    "ended_by",
    "end_event",
    "end_reason",
)
_END = MEASUREMENT_COLUMNS.index("sys_to_time")  # the end columns come last, in this order
_CLOSE_END = CLOSE_COLUMNS.index("sys_to_time")

END_MEASUREMENTS_SQL = """
UPDATE rm_measurements AS m
SET sys_to_time = u.to_time, sys_to_pos = u.to_pos, ended_by = u.actor, end_event = u.event,
    end_reason = u.reason, end_kind = 'superseded'
FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::text[], $8::text[],
            $9::text[]) AS u(kpi_id, measurement_id, to_time, to_pos, actor, event, reason)
WHERE m.tenant_id = $1 AND m.generation = $2 AND m.sys_to_pos IS NULL
  AND m.kpi_id = u.kpi_id AND m.measurement_id = u.measurement_id
"""
END_CLOSES_SQL = """
UPDATE rm_period_closes AS c
SET sys_to_time = u.to_time, sys_to_pos = u.to_pos, ended_by = u.actor, end_event = u.event,
    end_reason = u.reason
FROM unnest($4::text[], $5::timestamptz[], $6::bigint[], $7::text[], $8::text[], $9::text[])
     AS u(period, to_time, to_pos, actor, event, reason)
WHERE c.tenant_id = $1 AND c.generation = $2 AND c.scorecard_id = $3 AND c.sys_to_pos IS NULL
  AND c.period = u.period
"""
POSITIONS_SQL = (
    "SELECT global_position FROM events WHERE tenant_id = $1 AND stream_id = $2 "
    "AND version >= $3 ORDER BY version"
)
GENERATION_SQL = (
    "SELECT coalesce(max(generation), 1) FROM projection_generations WHERE name = 'read_models'"
)


class BulkRows:
    """The read-model rows the projection's handlers write for one appended batch (measurement
    recorded / corrected, period reopened / closed), written with COPY and one UPDATE per
    table: a row opened and ended within the batch is inserted already ended."""

    def __init__(self, conn: Any, generation: int) -> None:
        self.conn = conn
        self.generation = generation

    async def write(
        self,
        card: Card,
        events: Sequence[sc.ScorecardEvent],
        metadata: Metadata,
        result: AppendResult,
    ) -> None:
        conn = self.conn
        positions = [
            row[0]
            for row in await conn.fetch(
                POSITIONS_SQL, card.tenant_id, card.stream, result.first_version
            )
        ]
        if len(positions) != len(events):
            raise AssertionError(f"{len(positions)} positions for {len(events)} events")
        time_, tx, actor = metadata.recorded_at, result.transaction_id, metadata.actor
        opened: dict[str, list[Any]] = {}
        rows: list[list[Any]] = []
        ends: list[tuple[str, str, datetime, int, str, str, str | None]] = []
        closes: list[list[Any]] = []
        open_closes: dict[str, list[Any]] = {}
        close_ends: list[tuple[str, datetime, int, str, str, str | None]] = []
        for event, position in zip(events, positions, strict=True):
            own = getattr(event, "reason", None)
            reason = own if own is not None else metadata.reason
            kind = event.event_type
            change = [time_, position, tx, actor, kind, reason]
            if isinstance(event, sc.MeasurementRecorded | sc.MeasurementCorrected):
                supersedes = (
                    event.supersedes if isinstance(event, sc.MeasurementCorrected) else None
                )
                if supersedes is not None:
                    previous = opened.pop(supersedes, None)
                    if previous is not None:
                        previous[_END:] = [time_, position, actor, kind, reason, "superseded"]
                    else:
                        ends.append(
                            (event.kpi_id, supersedes, time_, position, actor, kind, reason)
                        )
                period = event.period
                row = [
                    self.generation,
                    card.tenant_id,
                    card.scorecard_id,
                    event.kpi_id,
                    event.measurement_id,
                    str(period),
                    period.first_month_ordinal,
                    period.last_month_ordinal,
                    event.value,
                    event.not_available,
                    event.source_system,
                    event.external_reference,
                    event.note,
                    supersedes,
                    *change,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
                opened[event.measurement_id] = row
                rows.append(row)
            elif isinstance(event, sc.PeriodReopened):
                key = str(event.period)
                previous = open_closes.pop(key, None)
                if previous is not None:
                    previous[_CLOSE_END:] = [time_, position, actor, kind, reason]
                else:
                    close_ends.append((key, time_, position, actor, kind, reason))
            elif isinstance(event, sc.PeriodClosed):
                period = event.period
                row = [
                    self.generation,
                    card.tenant_id,
                    card.scorecard_id,
                    str(period),
                    period.first_month_ordinal,
                    period.last_month_ordinal,
                    *change,
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
                open_closes[str(period)] = row
                closes.append(row)
            else:
                raise TypeError(f"the bulk writer does not handle {kind}")
        async with conn.transaction():
            if ends:
                status = await conn.execute(
                    END_MEASUREMENTS_SQL, card.tenant_id, self.generation, *zip(*ends, strict=True)
                )
                _check_updated(status, len(ends), "rm_measurements")
            if rows:
                await conn.copy_records_to_table(
                    "rm_measurements", records=rows, columns=MEASUREMENT_COLUMNS
                )
            if close_ends:
                status = await conn.execute(
                    END_CLOSES_SQL,
                    card.tenant_id,
                    self.generation,
                    card.scorecard_id,
                    *zip(*close_ends, strict=True),
                )
                _check_updated(status, len(close_ends), "rm_period_closes")
            if closes:
                await conn.copy_records_to_table(
                    "rm_period_closes", records=closes, columns=CLOSE_COLUMNS
                )


def _check_updated(status: str, expected: int, table: str) -> None:
    updated = int(status.rsplit(" ", 1)[-1])
    if updated != expected:
        raise AssertionError(f"{table}: ended {updated} rows, expected {expected}")


@dataclass
class Loader:
    """Appends the history batch by batch until the store holds a given number of events."""

    store: SqlEventStore
    ledger: Ledger
    conn: Any  # an asyncpg connection for the bulk rows
    history: History
    clock: datetime
    inline: bool
    events: int  # in the store
    seconds: float = 0.0  # spent loading so far

    async def load_until(self, total: int, log: Log) -> None:
        generation = int(await self.conn.fetchval(GENERATION_SQL))
        bulk = BulkRows(self.conn, generation)
        start, started = self.events, time.perf_counter()
        last_report = started
        while self.events < total:
            card = self.history.next_card()
            events = self.history.batch(card, min(BATCH, total - self.events))
            self.clock += timedelta(seconds=30)
            metadata = Metadata(actor=ACTORS[card.turn % len(ACTORS)], recorded_at=self.clock)
            result = await self.store.append(
                card.tenant_id,
                card.stream,
                card.version,
                [codec.encode(event) for event in events],
                metadata,
                inline=self.ledger.inline if self.inline else (),
            )
            if not self.inline:
                await bulk.write(card, events, metadata, result)
            card.version = result.version
            self.events += len(events)
            now = time.perf_counter()
            if now - last_report >= 5 or self.events >= total:
                last_report = now
                rate = (self.events - start) / (now - started)
                log(
                    f"  loading: {self.events:,} / {total:,} events "
                    f"({rate:,.0f} events/s, {now - started:.0f}s)"
                )
        self.seconds += time.perf_counter() - started


# -- rebuild ------------------------------------------------------------------------------------

RAW_FEED_SQL = (
    "SELECT transaction_id, global_position, tenant_id, stream_id, version, event_type, "
    "data::text, metadata::text FROM events "
    "WHERE (transaction_id, global_position) > ($1::xid8, $2) "
    "ORDER BY transaction_id, global_position LIMIT $3"
)


async def raw_read(pool: Any) -> int:
    """The physical part of a rebuild: every event in feed order, data and metadata decoded."""
    count = 0
    after: tuple[int, int] = (0, 0)
    loads = orjson.loads
    async with pool.acquire() as conn:
        while rows := await conn.fetch(RAW_FEED_SQL, after[0], after[1], FEED_PAGE):
            for row in rows:
                loads(row[6])
                loads(row[7])
            count += len(rows)
            last = rows[-1]
            after = (last[0], last[1])
    return count


async def read_model_rows(pool: Any) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every live read-model row without its row id and generation, per table."""
    found: dict[str, Counter[tuple[Any, ...]]] = {}
    async with pool.acquire() as conn:
        generation = await conn.fetchval(GENERATION_SQL)
        for table in t.READ_MODEL_TABLES:
            columns = [c.name for c in table.columns if c.name not in ("row_id", "generation")]
            query = f"SELECT {', '.join(columns)} FROM {table.name} WHERE generation = $1"
            rows = await conn.fetch(query, generation)
            found[table.name] = Counter(tuple(row) for row in rows)
    return found


async def measure_rebuild(
    store: SqlEventStore,
    pool: Any,
    key: str,
    repetitions: int,
    log: Log,
    check_rows: bool,
) -> Comparison:
    events = int(await pool.fetchval("SELECT count(*) FROM events"))
    row = Comparison(key, f"rebuild read models, {events:,} events (raw: read + decode)")
    before = await read_model_rows(pool) if check_rows else None
    last_report = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last_report[0] >= 10:
            last_report[0] = now
            log(f"  rebuild: {done:,} / {total:,} events")

    async def ours() -> int:
        report = await rebuild(store, ReadModelProjection(), progress=progress)
        return report.events

    async def raw() -> int:
        return await raw_read(pool)

    for rep in range(repetitions):
        order = ((ours, "ours"), (raw, "raw"))
        for body, label in order if rep % 2 == 0 else order[::-1]:
            items, seconds = await timed(body)
            (row.ours if label == "ours" else row.raw).add(items, seconds)
            log(f"  {key} run {rep + 1} {label}: {items:,} events in {seconds:.2f}s")
            if label == "ours" and before is not None:
                after = await read_model_rows(pool)
                _compare_rows(before, after)
                log("  bulk-written read-model rows equal the rebuilt ones")
                before = None
    return row


def _compare_rows(
    before: dict[str, Counter[tuple[Any, ...]]], after: dict[str, Counter[tuple[Any, ...]]]
) -> None:
    problems = []
    for name, rows in before.items():
        rebuilt = after[name]
        if rows != rebuilt:
            missing, extra = rows - rebuilt, rebuilt - rows
            problems.append(f"{name}: {sum(missing.values())} rows only before the rebuild")
            problems.append(f"{name}: {sum(extra.values())} rows only after the rebuild")
            for sample in list(missing)[:2] + list(extra)[:2]:
                problems.append(f"  {sample}")
    if problems:
        raise AssertionError(
            "the loaded read models differ from a rebuild:\n" + "\n".join(problems)
        )


# -- scorecard queries --------------------------------------------------------------------------

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


# -- the run ------------------------------------------------------------------------------------


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
            position = int(
                await pool.fetchval(
                    "SELECT max(global_position) FROM events WHERE recorded_at <= $1", year_ago
                )
            )
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
                    f"{past.period} as of position {position:,}",
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


def render_queries(title: str, rows: Sequence[QueryRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for name in ("workload", "description", "ours p50 ms", "ours p95 ms"):
        table.add_column(name, justify="right" if "ms" in name else "left")
    for name in ("raw p50 ms", "raw p95 ms", "ours/raw p95", "target"):
        table.add_column(name, justify="right")
    table.add_column("p95 runs ms (ours | raw)")
    for row in rows:
        ratio = row.ratio
        target = "-"
        if ratio is not None:
            target = f"<= {TARGET_RAW_RATIO:.1f} " + (
                "ok" if ratio <= TARGET_RAW_RATIO else "MISSED"
            )
        runs = " ".join(format_ms(v) for v in row.ours.p95s())
        if row.raw is not None:
            runs += " | " + " ".join(format_ms(v) for v in row.raw.p95s())
        table.add_row(
            row.key,
            row.description,
            format_ms(row.ours.p50),
            format_ms(row.ours.p95),
            format_ms(row.raw.p50) if row.raw else "-",
            format_ms(row.raw.p95) if row.raw else "-",
            f"{ratio:.2f}" if ratio is not None else "-",
            target,
            runs,
        )
    Console(width=200).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.projections",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="200,000 events (under 2 minutes)")
    parser.add_argument(
        "--inline-load",
        action="store_true",
        help="load the history through the inline projection (slow)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of the query's statements"
    )
    parser.add_argument("--verbose", action="store_true", help="print every timed run")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    def progress(line: str) -> None:
        print(line, flush=True)

    def detail(line: str) -> None:
        if args.verbose:
            print(line, flush=True)

    def log(line: str) -> None:
        (detail if " run " in line else progress)(line)

    started = time.perf_counter()
    results = asyncio.run(run(sizes, args.inline_load, args.explain, log))
    elapsed = time.perf_counter() - started
    for line in [*machine_description(), *results.settings, *results.notes]:
        print(line)
    mode = "quick" if args.quick else "full"
    render_table(
        f"read-model rebuild, postgres, {mode} run: median of {REPETITIONS} ({elapsed:.0f}s)",
        results.rebuilds,
    )
    for row in results.rebuilds:
        if row.ratio:
            faster = 1 / row.ratio
            print(f"{row.key}: ours/raw = {row.ratio:.4f} (the raw read is {faster:,.0f}x faster)")
    render_queries(f"scorecard query latency, median of {REPETITIONS}", results.queries)
    render_queries(f"as-of query latency (large store), median of {REPETITIONS}", results.asof)
    history_ratio = results.large_p95 / results.small_p95 if results.small_p95 else 0.0
    verdict = "ok" if history_ratio <= TARGET_HISTORY_RATIO else "MISSED"
    print(
        f"scorecard p95: {format_ms(results.small_p95)} ms small, "
        f"{format_ms(results.large_p95)} ms large (target ratio <= {TARGET_HISTORY_RATIO}: "
        f"{verdict}); run took {elapsed:.0f}s"
    )
    print(f"history ratio: {history_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
