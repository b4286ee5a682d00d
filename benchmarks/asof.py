"""As-of reads on PostgreSQL: how the moment reaches the planner.

One scorecard is grown through the Ledger (as ``benchmarks.writes`` grows its history table)
to tens of thousands of measurements, most of them corrections, so ``rm_measurements`` holds
many ended versions; then ``ANALYZE``. Two moments are kept: a long-past one (taken early in
the growth) and a recent one (the end of it), each as a time and as a feed position.

The statement timed is the one the scorecard query sends (``projections.queries.scorecard``:
its eight statements filtered by ``projections.asof.visible_at``, combined into one by
``projections.fetch``), run on the asyncpg connection under SQLAlchemy's, four ways:

* ``literal``: the moment written into the SQL text as a literal, the text rendered once per
  moment (the baseline: the planner sees the value);
* ``bound``: the moment a ``$n`` parameter of an asyncpg prepared statement, PostgreSQL's
  default ``plan_cache_mode`` (after five custom plans it may switch to a generic one);
* ``custom``: the same prepared statement on a connection with
  ``plan_cache_mode = force_custom_plan`` (a plan per execution, for the value bound);
* ``rendered``: the literal text rendered by SQLAlchemy on every call
  (``compile_kwargs={"render_postcompile": True}``), its compile time included.

Each way runs, on a fresh connection, the recent moment then the long-past one (and the other
order on another fresh connection), each moment N times in a row, so a cached generic plan,
if PostgreSQL picks one, serves the second moment. Figures are medians of the per-call
times; the ratios are against ``literal`` for the same moment and order. The plans' indexes
on ``rm_measurements`` are read from ``EXPLAIN`` (custom: with the value; generic: with
``plan_cache_mode = force_generic_plan``). The last line is the worst ``bound`` ratio.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import visitors

from api.migrations import upgrade_async
from benchmarks._common import (
    benchmark_parser,
    machine_description,
    postgres_url,
    scratch_postgres_database,
    verbose_log,
)
from benchmarks.writes import TENANT, Numbers, build_scorecard
from domain.evaluation import trend_periods
from domain.organization import CreateOrganization, CreateTeam
from domain.periods import Period
from eventstore import Metadata
from eventstore.factory import open_store
from eventstore.postgres import create_postgres_engine
from eventstore.sql import SqlEventStore
from ledger import Ledger
from projections.asof import AsOf, bind_moments
from projections.fetch import _combined
from projections.queries.scorecard import DEFAULT_TREND, _statements
from streams.names import ORGANIZATION_STREAM, scorecard_stream

SCORECARD = "sc-asof"
PERIOD = Period.parse("2021-06")
MOMENTS = ("as_of", "organization_as_of")
WAYS = ("literal", "bound", "custom", "rendered")


@dataclass(frozen=True, slots=True)
class Sizes:
    measurements: int  # recorded into the scorecard in all
    past_at: int  # measurements recorded when the long-past moment is taken
    calls: int  # calls per moment in a row


FULL = Sizes(measurements=100_000, past_at=10_000, calls=30)
QUICK = Sizes(measurements=12_000, past_at=1_500, calls=12)


def _metadata() -> Metadata:
    return Metadata(actor="integrator", recorded_at=datetime.now(UTC))


@dataclass
class Moments:
    past: AsOf
    recent: AsOf


async def grow(
    store: SqlEventStore, sizes: Sizes, log: Callable[[str], None]
) -> tuple[Moments, Moments]:
    """The scorecard grown to ``sizes.measurements``; the moments taken on the way, as times
    and as feed positions."""
    ledger = Ledger(store)
    m = _metadata()
    await ledger.execute(TENANT, CreateOrganization(organization_id="org", name="Bench"), m)
    await ledger.execute(
        TENANT,
        CreateTeam(organization_id="org", team_id="ops", name="Ops", parent_team_id=None),
        m,
    )
    await build_scorecard(ledger, SCORECARD)
    numbers = Numbers()
    recorded = 0
    past: tuple[datetime, Any] | None = None
    while recorded < sizes.measurements:
        if past is None and recorded >= sizes.past_at:
            await asyncio.sleep(0.01)
            past = (datetime.now(UTC), await store.head(TENANT))
            await asyncio.sleep(0.01)
        batch = numbers.take(SCORECARD, min(1000, sizes.measurements - recorded))
        await ledger.execute_batch(TENANT, batch, _metadata())
        recorded += len(batch)
        log(f"recorded {recorded:,}")
    assert past is not None
    await asyncio.sleep(0.01)
    recent = (datetime.now(UTC), await store.head(TENANT))
    return (
        Moments(AsOf(time=past[0]), AsOf(time=recent[0])),
        Moments(AsOf(position=past[1]), AsOf(position=recent[1])),
    )


def _with_moments(
    statement: sa.Select[Any], values: dict[str, Any] | None = None
) -> sa.Select[Any]:
    """``statement`` with each moment's bind a plain one; with ``values``, every bind carries
    its value and the moments' are rendered into the text (``literal_execute``)."""

    def replace(element: Any, **_: Any) -> Any:
        if not isinstance(element, sa.BindParameter):
            return None
        if values is None:
            if element.key not in MOMENTS:
                return None
            return sa.bindparam(element.key, type_=element.type)
        if element.key not in values:
            return None
        return sa.bindparam(
            element.key,
            values[element.key],
            type_=element.type,
            literal_execute=element.key in MOMENTS,
        )

    return cast(sa.Select[Any], visitors.replacement_traverse(statement, {}, replace))


@dataclass
class Prepared:
    """One way of sending the statement: SQL text and arguments per call."""

    render: Callable[[dict[str, Any]], tuple[str, list[Any]]]


def _positional(compiled: Any, params: dict[str, Any]) -> list[Any]:
    defaults = dict(compiled.params)
    names = compiled.positiontup or ()
    return [params[name] if name in params else defaults[name] for name in names]


def _bound(statement: sa.Select[Any], dialect: Dialect) -> Prepared:
    compiled = _with_moments(statement).compile(dialect=dialect)
    sql = compiled.string
    return Prepared(lambda params: (sql, _positional(compiled, params)))


def _rendered_now(statement: sa.Select[Any], dialect: Dialect, params: dict[str, Any]) -> Any:
    return _with_moments(statement, params).compile(
        dialect=dialect, compile_kwargs={"render_postcompile": True}
    )


def _rendered(statement: sa.Select[Any], dialect: Dialect) -> Prepared:
    def render(params: dict[str, Any]) -> tuple[str, list[Any]]:
        compiled = _rendered_now(statement, dialect, params)
        return compiled.string, _positional(compiled, params)

    return Prepared(render)


def _literal(statement: sa.Select[Any], dialect: Dialect) -> Prepared:
    texts: dict[tuple[Any, ...], tuple[str, Any]] = {}

    def render(params: dict[str, Any]) -> tuple[str, list[Any]]:
        key = tuple(params[name] for name in MOMENTS)
        if key not in texts:
            compiled = _rendered_now(statement, dialect, params)
            texts[key] = (compiled.string, compiled)
        sql, compiled = texts[key]
        return sql, _positional(compiled, params)

    return Prepared(render)


@dataclass
class Case:
    """Per-call times of one way, kind, moment and order."""

    way: str
    kind: str
    moment: str
    order: str
    seconds: list[float] = field(default_factory=list)
    generic_plans: int = 0
    custom_plans: int = 0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


async def _params(store: SqlEventStore, as_of: AsOf) -> dict[str, Any]:
    window = trend_periods(PERIOD, DEFAULT_TREND)
    async with store.engine.connect() as conn:
        moments = await bind_moments(
            conn,
            TENANT,
            as_of,
            {"as_of": scorecard_stream(SCORECARD), "organization_as_of": ORGANIZATION_STREAM},
        )
    return {
        "tenant_id": TENANT,
        "scorecard_id": SCORECARD,
        "window_start": window[0].first_month_ordinal,
        "window_end": PERIOD.last_month_ordinal,
        "period_start": PERIOD.first_month_ordinal,
        **moments,
    }


def _kpis_scored(row: Sequence[Any]) -> int:
    """How many KPIs the statement's answer holds (a check that it read what it should)."""
    kpis = row[4]
    return len(orjson.loads(kpis) if isinstance(kpis, (str, bytes)) else kpis)


async def _sequence(
    url: str,
    way: str,
    prepared: Prepared,
    kind: str,
    order: tuple[tuple[str, dict[str, Any]], ...],
    calls: int,
) -> list[Case]:
    """One fresh connection: each moment of ``order`` ``calls`` times in a row."""
    engine = create_postgres_engine(url, pool_size=1, max_overflow=0)
    cases = []
    try:
        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            if way == "custom":
                await driver.execute("SET plan_cache_mode = force_custom_plan")
            for moment, params in order:
                case = Case(way, kind, moment, "-then-".join(name for name, _ in order))
                for _ in range(calls):
                    started = time.perf_counter()
                    sql, args = prepared.render(params)
                    (row,) = await driver.fetch(sql, *args)
                    case.seconds.append(time.perf_counter() - started)
                if _kpis_scored(row) != 40:
                    raise AssertionError(f"{way} {kind} {moment}: {_kpis_scored(row)} KPIs")
                counts = await driver.fetchrow(
                    "SELECT sum(generic_plans) AS g, sum(custom_plans) AS c "
                    "FROM pg_prepared_statements WHERE statement = $1",
                    sql,
                )
                case.generic_plans, case.custom_plans = int(counts["g"] or 0), int(counts["c"] or 0)
                cases.append(case)
    finally:
        await engine.dispose()
    return cases


_INDEX = re.compile(r"(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)")


async def _plans(
    store: SqlEventStore, bound: Prepared, literal: Prepared, params: dict[str, Any]
) -> tuple[str, float, str, float]:
    """The measurement indexes and execution ms of the custom and the generic plan."""

    def summary(lines: list[str]) -> tuple[str, float]:
        text = "\n".join(lines)
        indexes = sorted({i for i in _INDEX.findall(text) if "measurements" in i})
        ms = float(re.search(r"Execution Time: ([\d.]+) ms", text).group(1))  # type: ignore[union-attr]
        return ", ".join(indexes), ms

    async with store.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        sql, args = literal.render(params)
        custom = [r[0] for r in await driver.fetch("EXPLAIN (ANALYZE) " + sql, *args)]
        sql, args = bound.render(params)
        async with driver.transaction():
            await driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            generic = [r[0] for r in await driver.fetch("EXPLAIN (ANALYZE) " + sql, *args)]
    return (*summary(custom), *summary(generic))


async def run(sizes: Sizes, log: Callable[[str], None]) -> tuple[int, list[Case], list[Any]]:
    async with scratch_postgres_database(postgres_url(), "scoreledger_asof") as url:
        await upgrade_async(url)
        store = open_store(url)
        try:
            by_time, by_position = await grow(store, sizes, log)
            async with store.engine.connect() as conn:
                await conn.execute(sa.text("ANALYZE"))
                rows = (
                    await conn.execute(sa.text("SELECT count(*) FROM rm_measurements"))
                ).scalar_one()
            cases: list[Case] = []
            plans: list[Any] = []
            for kind, moments in (("time", by_time), ("position", by_position)):
                statement, _ = _combined(tuple(_statements(kind)))
                dialect = store.engine.dialect
                ways = {
                    "literal": _literal(statement, dialect),
                    "bound": _bound(statement, dialect),
                    "custom": _bound(statement, dialect),
                    "rendered": _rendered(statement, dialect),
                }
                params = {
                    "recent": await _params(store, moments.recent),
                    "past": await _params(store, moments.past),
                }
                for moment in ("recent", "past"):
                    plans.append((kind, moment, *await _plans(
                        store, ways["bound"], ways["literal"], params[moment]
                    )))  # fmt: skip
                orders = (("recent", "past"), ("past", "recent"))
                for order in orders:
                    for way in WAYS:
                        found = await _sequence(
                            url,
                            way,
                            ways[way],
                            kind,
                            tuple((m, params[m]) for m in order),
                            sizes.calls,
                        )
                        for case in found:
                            log(
                                f"{case.way} {case.kind} {case.order} {case.moment}: "
                                f"{case.median_ms:.2f} ms (generic {case.generic_plans}, "
                                f"custom {case.custom_plans})"
                            )
                        cases.extend(found)
        finally:
            await store.close()
    return int(rows), cases, plans


def render(rows: int, cases: list[Case], plans: list[Any], title: str) -> float:
    """Print the tables; return the worst bound/literal ratio."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    table = Table(title=f"{title}; rm_measurements: {rows:,} rows")
    for column in ("kind", "order", "moment"):
        table.add_column(column)
    for way in WAYS:
        table.add_column(f"{way} ms", justify="right")
        if way != "literal":
            table.add_column(f"{way}/literal", justify="right")
    table.add_column("bound plans (generic/custom)", justify="right")
    worst = 0.0
    keys = sorted({(c.kind, c.order, c.moment) for c in cases}, key=lambda k: (k[0] != "time", k))
    for kind, order, moment in keys:
        found = {c.way: c for c in cases if (c.kind, c.order, c.moment) == (kind, order, moment)}
        base = found["literal"].median_ms
        cells = [kind, order, moment]
        for way in WAYS:
            cells.append(f"{found[way].median_ms:.2f}")
            if way != "literal":
                ratio = found[way].median_ms / base
                cells.append(f"{ratio:.2f}")
                if way == "bound":
                    worst = max(worst, ratio)
        bound = found["bound"]
        cells.append(f"{bound.generic_plans}/{bound.custom_plans}")
        table.add_row(*cells)
    console.print(table)
    plan_table = Table(title="plans (EXPLAIN ANALYZE): indexes read on rm_measurements")
    for column in ("kind", "moment", "custom plan", "ms", "generic plan", "ms"):
        plan_table.add_column(column, justify="right" if column == "ms" else "left")
    for kind, moment, custom, custom_ms, generic, generic_ms in plans:
        plan_table.add_row(kind, moment, custom, f"{custom_ms:.2f}", generic, f"{generic_ms:.2f}")
    console.print(plan_table)
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(
        "python -m benchmarks.asof", __doc__, "a smaller scorecard and fewer calls (under a minute)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    rows, cases, plans = asyncio.run(run(sizes, verbose_log(args.verbose)))
    elapsed = time.perf_counter() - started
    for line in machine_description():
        print(line)
    mode = "quick" if args.quick else "full"
    worst = render(
        rows,
        cases,
        plans,
        f"as-of reads, postgres, {mode} run ({elapsed:.0f}s): median ms of {sizes.calls} calls",
    )
    print(f"as-of bound/literal worst ratio: {worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
