"""Appending the history, with the read-model rows written in bulk next to each append."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import domain.scorecard.events as sc
from benchmarks.projections.history import Card, History
from benchmarks.projections.workload import ACTORS, BATCH, Log
from eventstore import AppendResult, Metadata
from eventstore.sql import SqlEventStore
from ledger import Ledger
from streams.codec import codec

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
