"""Event store throughput against the raw driver on an equivalent minimal table.

    python -m benchmarks.eventstore [--quick] [--backend postgres|sqlite]

Workloads (each also run with the raw driver, in the same process, interleaved with ours):

* W1: one event per append, one append per transaction, with the expected-version check,
  over 1,000 streams, at concurrency 1 and 8 (no two workers share a stream);
* W2: 100 events per append (concurrency 1);
* W3: read the whole feed page by page and fold it into a dict (events per type and the sum
  of a numeric field).

The raw baseline ("physical" cost) is asyncpg for PostgreSQL and the stdlib ``sqlite3`` for
SQLite, on a table with an identity position, stream, version, type, JSON data and a unique
(stream, version). A raw append does the same logical work as ours in one transaction: read
the stream's current version, check it against the expected one, insert the events returning
their positions. Each figure is the median of three timed repetitions; the ratio is
ours events/s divided by raw events/s, and the last line printed is the worst ratio.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from api.migrations import upgrade_async
from benchmarks._common import (
    Comparison,
    benchmark_parser,
    libpq_url,
    machine_description,
    postgres_url,
    render_table,
    scratch_postgres_database,
    timed,
    verbose_log,
    worst_ratio,
)
from eventstore import NO_STREAM, START, Metadata, NewEvent
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore

EVENT_TYPES = ("ScoreRecorded", "TargetSet", "CommentAdded", "WeightChanged")
ACTOR = "benchmark"
FEED_PAGE = 1000
REPETITIONS = 3
POOL_SIZE = 10  # PostgresEventStore.from_url's default; the raw pool gets the same
TARGETS = {"W1-c8": 0.7, "W2": 0.5, "W3": 0.5}  # PostgreSQL targets for ours/raw

Payload = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Job:
    """One append: to ``stream``, which must be at ``expected`` (0: must not exist yet)."""

    stream: str
    expected: int
    events: tuple[Payload, ...]


Plan = list[list[Job]]
"""One list of jobs per concurrent worker; a worker runs its jobs in order."""


@dataclass(frozen=True, slots=True)
class Sizes:
    streams: int
    w1_rounds: int  # appends per stream in each W1 run
    w2_appends: int  # appends of W2_BATCH events in each W2 run
    warmup_appends: int
    warmup_pages: int


W2_BATCH = 100
FULL = Sizes(streams=1000, w1_rounds=3, w2_appends=300, warmup_appends=100, warmup_pages=5)
QUICK = Sizes(streams=1000, w1_rounds=1, w2_appends=40, warmup_appends=40, warmup_pages=2)


@dataclass
class Fold:
    """What W3 computes from the feed."""

    events: int = 0
    per_type: dict[str, int] = field(default_factory=dict)
    amount: int = 0

    def add(self, event_type: str, data: dict[str, Any]) -> None:
        self.events += 1
        self.per_type[event_type] = self.per_type.get(event_type, 0) + 1
        self.amount += data["amount"]


# -- plans ----------------------------------------------------------------------------------


class _Payloads:
    """Deterministic event bodies; both sides append the very same objects."""

    def __init__(self) -> None:
        self._next = 0

    def take(self, count: int) -> tuple[Payload, ...]:
        start, self._next = self._next, self._next + count
        return tuple(
            (
                EVENT_TYPES[k % len(EVENT_TYPES)],
                {"amount": k % 997, "kpi": f"kpi-{k % 50}", "period": "2026-Q1", "note": "ok"},
            )
            for k in range(start, start + count)
        )


def single_event_plan(streams: int, rounds: int, workers: int) -> Plan:
    """``rounds`` appends of one event to each of ``streams`` streams; worker ``w`` owns the
    streams ``w, w + workers, ...`` and goes round them ``rounds`` times."""
    payloads = _Payloads()
    plan: Plan = [[] for _ in range(workers)]
    for version in range(rounds):
        for s in range(streams):
            plan[s % workers].append(Job(f"s{s:04d}", version, payloads.take(1)))
    return plan


def batch_plan(streams: int, appends: int, batch: int) -> Plan:
    """``appends`` appends of ``batch`` events, spread round the streams, one worker."""
    payloads = _Payloads()
    jobs = [
        Job(f"s{i % streams:04d}", (i // streams) * batch, payloads.take(batch))
        for i in range(appends)
    ]
    return [jobs]


def _json(data: dict[str, Any]) -> str:
    return orjson.dumps(data).decode()


class ConflictError(Exception):
    """A raw append found the stream at another version than expected."""


# -- the two sides -----------------------------------------------------------------------------


class Side(Protocol):
    label: str

    async def append_plan(self, scope: str, plan: Plan) -> int:
        """Run every job of ``plan`` (workers concurrently) under a fresh ``scope``; return
        the number of events written."""
        ...

    async def fold_feed(self, max_pages: int | None = None) -> Fold:
        """Read the global feed from the start and fold it."""
        ...


class Ours:
    """Our store, through its public API."""

    label = "ours"

    def __init__(self, store: SqlEventStore) -> None:
        self.store = store

    async def append_plan(self, scope: str, plan: Plan) -> int:
        store = self.store

        async def worker(jobs: list[Job]) -> int:
            written = 0
            for job in jobs:
                await store.append(
                    scope,
                    job.stream,
                    job.expected or NO_STREAM,
                    [NewEvent(event_type, data) for event_type, data in job.events],
                    Metadata(actor=ACTOR, recorded_at=datetime.now(UTC)),
                )
                written += len(job.events)
            return written

        return sum(await asyncio.gather(*(worker(jobs) for jobs in plan)))

    async def fold_feed(self, max_pages: int | None = None) -> Fold:
        fold = Fold()
        after = START
        pages = 0
        while max_pages is None or pages < max_pages:
            page = await self.store.read_feed(after, limit=FEED_PAGE)
            if not page:
                break
            for event in page:
                fold.add(event.event_type, event.data)
            after = page[-1].feed_position
            pages += 1
        return fold


RAW_POSTGRES_DDL = """
CREATE TABLE raw_events (
    position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    data JSON NOT NULL,
    UNIQUE (stream, version)
)
"""
RAW_PG_TAIL = "SELECT version FROM raw_events WHERE stream = $1 ORDER BY version DESC LIMIT 1"
RAW_PG_INSERT_ONE = (
    "INSERT INTO raw_events (stream, version, type, data) VALUES ($1, $2, $3, $4::json) "
    "RETURNING position"
)
RAW_PG_INSERT_MANY = (
    "INSERT INTO raw_events (stream, version, type, data) "
    "SELECT $1, v, t, d::json FROM unnest($2::int[], $3::text[], $4::text[]) AS u(v, t, d) "
    "RETURNING position"
)
RAW_PG_FEED = (
    "SELECT position, stream, version, type, data FROM raw_events "
    "WHERE position > $1 ORDER BY position LIMIT $2"
)


class RawPostgres:
    """asyncpg on ``raw_events`` in the same database; each worker holds one connection."""

    label = "raw"

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str) -> RawPostgres:
        import asyncpg

        pool = await asyncpg.create_pool(libpq_url(url), min_size=8, max_size=POOL_SIZE)
        await pool.execute(RAW_POSTGRES_DDL)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    async def append_plan(self, scope: str, plan: Plan) -> int:
        async def worker(jobs: list[Job]) -> int:
            written = 0
            async with self.pool.acquire() as conn:
                for job in jobs:
                    stream = f"{scope}/{job.stream}"
                    async with conn.transaction():
                        current = await conn.fetchval(RAW_PG_TAIL, stream) or 0
                        if current != job.expected:
                            raise ConflictError(stream)
                        if len(job.events) == 1:
                            event_type, data = job.events[0]
                            await conn.fetchval(
                                RAW_PG_INSERT_ONE, stream, current + 1, event_type, _json(data)
                            )
                        else:
                            await conn.fetch(
                                RAW_PG_INSERT_MANY,
                                stream,
                                list(range(current + 1, current + 1 + len(job.events))),
                                [event_type for event_type, _ in job.events],
                                [_json(data) for _, data in job.events],
                            )
                    written += len(job.events)
            return written

        return sum(await asyncio.gather(*(worker(jobs) for jobs in plan)))

    async def fold_feed(self, max_pages: int | None = None) -> Fold:
        fold = Fold()
        after = 0
        pages = 0
        async with self.pool.acquire() as conn:
            while max_pages is None or pages < max_pages:
                rows = await conn.fetch(RAW_PG_FEED, after, FEED_PAGE)
                if not rows:
                    break
                for row in rows:
                    fold.add(row["type"], orjson.loads(row["data"]))
                after = rows[-1]["position"]
                pages += 1
        return fold


RAW_SQLITE_DDL = """
CREATE TABLE IF NOT EXISTS raw_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    data JSON NOT NULL,
    UNIQUE (stream, version)
)
"""
RAW_SQLITE_TAIL = "SELECT version FROM raw_events WHERE stream = ? ORDER BY version DESC LIMIT 1"
RAW_SQLITE_FEED = (
    "SELECT position, stream, version, type, data FROM raw_events "
    "WHERE position > ? ORDER BY position LIMIT ?"
)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    """The pragmas our SQLite backend uses: WAL, synchronous=NORMAL, a busy timeout."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class RawSqlite:
    """stdlib sqlite3 on its own database file with the same pragmas as our backend.

    Concurrency ``n`` runs ``n`` threads, each with its own connection, and a process-wide
    lock around every write transaction: one writer at a time, like our backend's single
    write connection, without SQLite's sleeping busy handler deciding the figure.
    """

    label = "raw"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connections = [_sqlite_connect(path) for _ in range(8)]
        self.connections[0].execute(RAW_SQLITE_DDL)
        self.write_lock = threading.Lock()
        self.threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="raw-sqlite")

    def close(self) -> None:
        self.threads.shutdown()
        for conn in self.connections:
            conn.close()

    def _append(self, conn: sqlite3.Connection, scope: str, job: Job) -> None:
        stream = f"{scope}/{job.stream}"
        with self.write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(RAW_SQLITE_TAIL, (stream,)).fetchone()
                current = row[0] if row is not None else 0
                if current != job.expected:
                    raise ConflictError(stream)
                values = ", ".join(["(?, ?, ?, ?)"] * len(job.events))
                params: list[Any] = []
                for offset, (event_type, data) in enumerate(job.events, start=1):
                    params += (stream, current + offset, event_type, _json(data))
                conn.execute(
                    "INSERT INTO raw_events (stream, version, type, data) VALUES "
                    f"{values} RETURNING position",
                    params,
                ).fetchall()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _worker(self, conn: sqlite3.Connection, scope: str, jobs: list[Job]) -> int:
        written = 0
        for job in jobs:
            self._append(conn, scope, job)
            written += len(job.events)
        return written

    async def append_plan(self, scope: str, plan: Plan) -> int:
        if len(plan) == 1:
            return self._worker(self.connections[0], scope, plan[0])
        futures = [
            self.threads.submit(self._worker, self.connections[i], scope, jobs)
            for i, jobs in enumerate(plan)
        ]
        return sum(future.result() for future in futures)

    async def fold_feed(self, max_pages: int | None = None) -> Fold:
        fold = Fold()
        after = 0
        pages = 0
        conn = self.connections[0]
        while max_pages is None or pages < max_pages:
            rows = conn.execute(RAW_SQLITE_FEED, (after, FEED_PAGE)).fetchall()
            if not rows:
                break
            for row in rows:
                fold.add(row[3], orjson.loads(row[4]))
            after = rows[-1][0]
            pages += 1
        return fold


# -- running -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    key: str
    description: str
    make_plan: Callable[[], Plan] | None  # None: the feed fold (W3)
    warmup_plan: Callable[[], Plan] | None


def workloads(sizes: Sizes) -> list[Workload]:
    streams = sizes.streams
    warm_single = sizes.warmup_appends
    return [
        Workload(
            "W1-c1",
            f"1 event/append, {streams:,} streams, concurrency 1",
            lambda: single_event_plan(streams, sizes.w1_rounds, 1),
            lambda: single_event_plan(warm_single, 1, 1),
        ),
        Workload(
            "W1-c8",
            f"1 event/append, {streams:,} streams, concurrency 8",
            lambda: single_event_plan(streams, sizes.w1_rounds, 8),
            lambda: single_event_plan(warm_single, 1, 8),
        ),
        Workload(
            "W2",
            f"{W2_BATCH} events/append, concurrency 1",
            lambda: batch_plan(streams, sizes.w2_appends, W2_BATCH),
            lambda: batch_plan(streams, max(2, sizes.w2_appends // 20), W2_BATCH),
        ),
        Workload("W3", f"read whole feed ({FEED_PAGE}/page), fold into a dict", None, None),
    ]


async def measure(
    ours: Side,
    raw: Side,
    sizes: Sizes,
    targets: dict[str, float],
    log: Callable[[str], None],
) -> list[Comparison]:
    rows: list[Comparison] = []
    folds: dict[str, Fold] = {}
    for workload in workloads(sizes):
        row = Comparison(workload.key, workload.description, target=targets.get(workload.key))
        rows.append(row)
        for side in (ours, raw):  # warm up each side (fresh scope, not timed)
            if workload.warmup_plan is not None:
                await side.append_plan(f"warmup-{workload.key}", workload.warmup_plan())
            else:
                await side.fold_feed(max_pages=sizes.warmup_pages)
        for rep in range(REPETITIONS):
            order = (ours, raw) if rep % 2 == 0 else (raw, ours)
            for side in order:
                body = _body(side, workload, rep, folds)
                items, seconds = await timed(body)
                (row.ours if side is ours else row.raw).add(items, seconds)
                log(
                    f"{workload.key} run {rep + 1} {side.label}: {items:,} events "
                    f"in {seconds:.2f}s = {items / seconds:,.0f}/s"
                )
    if folds["ours"] != folds["raw"]:
        raise AssertionError(f"the folds differ: {folds['ours']} != {folds['raw']}")
    return rows


def _body(
    side: Side, workload: Workload, rep: int, folds: dict[str, Fold]
) -> Callable[[], Awaitable[int]]:
    make_plan = workload.make_plan
    if make_plan is None:

        async def fold() -> int:
            result = await side.fold_feed()
            folds[side.label] = result
            return result.events

        return fold
    plan = make_plan()  # built before the clock starts
    scope = f"{workload.key}-run{rep}"
    return lambda: side.append_plan(scope, plan)


async def run_postgres(
    sizes: Sizes, log: Callable[[str], None]
) -> tuple[list[Comparison], list[str]]:
    async with scratch_postgres_database(postgres_url(), "scoreledger_bench") as url:
        log(f"database: {url}")
        await upgrade_async(url)
        store = open_store(url)
        raw = await RawPostgres.open(url)
        try:
            settings = await _postgres_settings(raw.pool)
            rows = await measure(Ours(store), raw, sizes, TARGETS, log)
        finally:
            await raw.close()
            await store.close()
    return rows, settings


async def _postgres_settings(pool: Any) -> list[str]:
    async with pool.acquire() as conn:
        version = await conn.fetchval("SHOW server_version")
        lines = [f"postgresql: {version}"]
        for name in ("fsync", "synchronous_commit", "shared_buffers", "wal_level"):
            lines.append(f"  {name} = {await conn.fetchval(f'SHOW {name}')}")
    return lines


async def run_sqlite(
    sizes: Sizes, log: Callable[[str], None]
) -> tuple[list[Comparison], list[str]]:
    with tempfile.TemporaryDirectory(prefix="scoreledger-bench-") as directory:
        ours_path = Path(directory) / "ours.db"
        url = f"sqlite:///{ours_path}"
        await upgrade_async(url)
        store = open_store(url)
        raw = RawSqlite(Path(directory) / "raw.db")
        settings = [
            f"sqlite: {sqlite3.sqlite_version} (temp files in {directory})",
            "  journal_mode = WAL, synchronous = NORMAL on both sides",
            "  ours: concurrency 8 = 8 asyncio tasks sharing the store's single writer",
            "  raw: concurrency 8 = 8 threads, own connections, one write lock",
        ]
        try:
            rows = await measure(Ours(store), raw, sizes, {}, log)
        finally:
            raw.close()
            await store.close()
    return rows, settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(
        "python -m benchmarks.eventstore", __doc__, "smaller runs (under a minute)"
    )
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    log = verbose_log(args.verbose)

    started = time.perf_counter()
    run = run_postgres if args.backend == "postgres" else run_sqlite
    rows, settings = asyncio.run(run(sizes, log))
    elapsed = time.perf_counter() - started
    for line in [*machine_description(), *settings]:
        print(line)
    mode = "quick" if args.quick else "full"
    render_table(
        f"event store, {args.backend}, {mode} run: median of {REPETITIONS} ({elapsed:.0f}s)", rows
    )
    print(f"worst ratio: {worst_ratio(rows):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
