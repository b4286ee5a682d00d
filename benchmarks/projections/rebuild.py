"""The rebuild measurement against a raw read of the feed, and the row comparison."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import orjson

from benchmarks._common import Comparison, timed
from benchmarks.projections.loader import GENERATION_SQL
from benchmarks.projections.workload import FEED_PAGE, Log
from eventstore.sql import SqlEventStore
from projections import tables as t
from projections.read_models import ReadModelProjection
from projections.rebuild import rebuild

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
