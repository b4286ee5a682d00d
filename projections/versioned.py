"""Writing versioned rows: every change closes the current version and opens a new one."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from projections.fetch import execute_write
from projections.tables import SYSTEM_COLUMNS

LIVE = 0
"""The generation of a change applied inline: whichever generation is live when each
statement runs, resolved by the database in that statement (generations start at 1)."""


class ProjectionError(Exception):
    """An event does not fit the read model (a bug or a log the model cannot follow)."""


@dataclass(frozen=True, slots=True)
class Change:
    """Where a change comes from: the event, its place in the log, who and why.

    ``scope`` narrows every row the change looks up beyond the tenant: a scorecard's events
    only ever touch that scorecard's rows (ids are unique within a scorecard, not a tenant).
    """

    generation: int
    tenant_id: str
    time: datetime
    position: int
    transaction_id: int
    actor: str
    event_type: str
    reason: str | None
    scope: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        event: RecordedEvent,
        generation: int,
        reason: str | None,
        scope: tuple[tuple[str, str], ...] = (),
    ) -> Change:
        return cls(
            generation=generation,
            tenant_id=event.tenant_id,
            time=event.metadata.recorded_at,
            position=event.position,
            transaction_id=event.transaction_id,
            actor=event.metadata.actor,
            event_type=event.event_type,
            reason=reason if reason is not None else event.metadata.reason,
            scope=scope,
        )

    def key(self, key: dict[str, Any]) -> dict[str, Any]:
        """``key`` within the change's scope."""
        return {**dict(self.scope), **key} if self.scope else key


def _generation(change: Change, live: sa.ColumnElement[int] | None) -> Any:
    """The generation ``change`` writes to: its number, or the live one's subquery."""
    if change.generation != LIVE:
        return change.generation
    if live is None:
        raise ProjectionError("a change in the live generation needs the projection's subquery")
    return live


def current(
    table: sa.Table,
    change: Change,
    key: dict[str, Any],
    live: sa.ColumnElement[int] | None = None,
) -> sa.ColumnElement[bool]:
    """The filter for the current version of the rows matching ``key``."""
    return sa.and_(
        table.c.tenant_id == change.tenant_id,
        table.c.generation == _generation(change, live),
        table.c.sys_to_pos.is_(None),
        *(table.c[name] == value for name, value in change.key(key).items()),
    )


def opened(change: Change, values: dict[str, Any]) -> dict[str, Any]:
    """The row of a version that ``change`` opens with ``values``."""
    return {
        **values,
        "generation": change.generation,
        "tenant_id": change.tenant_id,
        "sys_from_time": change.time,
        "sys_from_pos": change.position,
        "sys_from_tx": change.transaction_id,
        "changed_by": change.actor,
        "change_event": change.event_type,
        "change_reason": change.reason,
        "sys_to_time": None,
        "sys_to_pos": None,
        "ended_by": None,
        "end_event": None,
        "end_reason": None,
    }


async def close(
    conn: AsyncConnection,
    table: sa.Table,
    change: Change,
    key: dict[str, Any],
    live: sa.ColumnElement[int] | None = None,
    **extra: Any,
) -> int:
    """End the current version of the rows matching ``key``; return how many ended."""
    result = await conn.execute(
        table.update().where(current(table, change, key, live)).values(ended(change, **extra))
    )
    return int(result.rowcount)


async def replace(
    conn: AsyncConnection,
    table: sa.Table,
    change: Change,
    key: dict[str, Any],
    changes: dict[str, Any],
    live: sa.ColumnElement[int] | None = None,
) -> None:
    """Close the current version of one entity and open a new one with ``changes`` applied."""
    query = sa.select(table).where(current(table, change, key, live))
    row = (await conn.execute(query)).first()
    if row is None:
        raise ProjectionError(f"{table.name}: no current row for {key} ({change.event_type})")
    values = {k: v for k, v in row._mapping.items() if k not in SYSTEM_COLUMNS}
    values.update(changes)
    await close(conn, table, change, key, live)
    await conn.execute(*_insert(table, [opened(change, values)], live))


async def _insert_rows(
    conn: AsyncConnection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    live: sa.ColumnElement[int] | None,
) -> None:
    """Insert ``rows`` (all with the same columns, of one generation): on PostgreSQL, more
    than one in a single INSERT from arrays, one per column (SQLAlchemy would otherwise
    prepare the parameters row by row for an executemany, most of a batch's read-model CPU),
    and one through a statement cached per shape, both run by :func:`execute_write`;
    elsewhere, and tables with JSON columns (whose lists would read as array dimensions),
    as SQLAlchemy's executemany."""
    if conn.dialect.name != "postgresql" or _has_json(table):
        await conn.execute(*_insert(table, rows, live))
        return
    taken_from_live = live is not None and rows[0]["generation"] == LIVE
    names = tuple(name for name in rows[0] if not (taken_from_live and name == "generation"))
    if len(rows) == 1:
        (row,) = rows
        one = _insert_one(table, names, live if taken_from_live else None)
        await execute_write(conn, one, {f"p_{name}": row[name] for name in names})
        return
    statement = _insert_from_arrays(table, names, live if taken_from_live else None)
    await execute_write(
        conn, statement, {f"a_{name}": [row[name] for row in rows] for name in names}
    )


@functools.cache
def _insert_one(
    table: sa.Table, names: tuple[str, ...], live: sa.ColumnElement[int] | None
) -> sa.Insert:
    """The INSERT of one row of these columns (cached per shape, for the driver path), the
    generation from the live one's subquery when ``live`` is given."""
    values: dict[str, Any] = {
        name: sa.bindparam(f"p_{name}", type_=table.c[name].type) for name in names
    }
    if live is not None:
        values["generation"] = live
    return table.insert().values(values)


@functools.cache
def _has_json(table: sa.Table) -> bool:
    return any(isinstance(column.type, (sa.JSON, sa.ARRAY)) for column in table.c)


@functools.cache
def _insert_from_arrays(
    table: sa.Table, names: tuple[str, ...], live: sa.ColumnElement[int] | None
) -> sa.Insert:
    """``INSERT INTO table (names[, generation]) SELECT * FROM unnest(:a_name, ...)``, the
    generation from the live one's subquery when ``live`` is given (cached per shape)."""
    arrays = [
        sa.bindparam(f"a_{name}", type_=postgresql.ARRAY(table.c[name].type)) for name in names
    ]
    source = (
        sa.func.unnest(*arrays)
        .table_valued(*(sa.column(name, table.c[name].type) for name in names))
        .render_derived(name="batch")
    )
    columns: list[sa.ColumnElement[Any]] = [source.c[name] for name in names]
    targets = list(names)
    if live is not None:
        columns.append(live)
        targets.append("generation")
    return table.insert().from_select(targets, sa.select(*columns))


def _insert(
    table: sa.Table, rows: list[dict[str, Any]], live: sa.ColumnElement[int] | None
) -> tuple[sa.Insert, list[dict[str, Any]]]:
    """The INSERT of ``rows`` and its parameters; rows of the live generation take it from
    the subquery in the statement (all rows of one batch are of one generation)."""
    if live is None or rows[0]["generation"] != LIVE:
        return table.insert(), rows
    params = [{k: v for k, v in row.items() if k != "generation"} for row in rows]
    return table.insert().values(generation=live), params


def ended(change: Change, **extra: Any) -> dict[str, Any]:
    """The columns that end a version, as ``change`` ends it."""
    return {
        "sys_to_time": change.time,
        "sys_to_pos": change.position,
        "ended_by": change.actor,
        "end_event": change.event_type,
        "end_reason": change.reason,
        **extra,
    }


@functools.cache
def _close_many(
    table: sa.Table,
    key: tuple[str, ...],
    extra: tuple[str, ...],
    live: sa.ColumnElement[int] | None,
) -> sa.Update:
    """An UPDATE ending the current version of one entity, every value a bind parameter
    (the generation too, unless it is the live one's subquery), for closing many entities in
    one executemany."""
    ends = ("sys_to_time", "sys_to_pos", "ended_by", "end_event", "end_reason", *extra)
    generation = sa.bindparam("w_generation") if live is None else live
    return (
        table.update()
        .where(
            table.c.tenant_id == sa.bindparam("w_tenant_id"),
            table.c.generation == generation,
            table.c.sys_to_pos.is_(None),
            *(table.c[name] == sa.bindparam(f"k_{name}") for name in key),
        )
        .values({name: sa.bindparam(f"v_{name}") for name in ends})
    )


Row = dict[str, Any]


def _pending_key(row: Row, names: tuple[str, ...]) -> tuple[Any, ...]:
    return (row["tenant_id"], row["generation"], *(row[name] for name in names))


class Writer:
    """Writes versioned rows for one batch of events on one connection, in few statements.

    New versions wait in memory; a version opened and ended within the batch is inserted
    already ended. Ends of versions stored before the batch are sent together (one UPDATE,
    executed for many rows) before the new versions, which go in one multi-row INSERT per
    table. A ``replace`` (rare: definitions and structure) needs the stored row, so it sends
    everything pending first. Each entity has at most one open version, so this keeps the
    outcome of applying the events one by one.
    """

    def __init__(self, conn: AsyncConnection, live: sa.ColumnElement[int] | None = None) -> None:
        """``live``: the subquery naming the live generation, for changes of generation
        :data:`LIVE` (applied inline, where it spares a statement asking for it first)."""
        self.conn = conn
        self.live = live
        self._new: list[tuple[sa.Table, dict[str, Any]]] = []
        self._ends: list[tuple[sa.Table, Change, dict[str, Any], dict[str, Any]]] = []
        # The pending open versions by table and key columns, so that ending one found in the
        # batch costs a lookup, not a scan of the batch (a batch of corrections would
        # otherwise cost time quadratic in its length).
        self._open: dict[tuple[sa.Table, tuple[str, ...]], dict[tuple[Any, ...], Row]] = {}

    async def flush(self) -> None:
        """Send the pending ends, then the pending new versions."""
        ends, self._ends = self._ends, []
        groups: dict[tuple[sa.Table, tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
        live = self.live if ends and ends[0][1].generation == LIVE else None
        for table, change, key, extra in ends:
            params = {"w_tenant_id": change.tenant_id, "w_generation": change.generation}
            params.update({f"k_{name}": value for name, value in key.items()})
            params.update({f"v_{name}": value for name, value in ended(change, **extra).items()})
            groups.setdefault((table, tuple(key), tuple(extra)), []).append(params)
        for (table, key_names, extra_names), rows in groups.items():
            await execute_write(self.conn, _close_many(table, key_names, extra_names, live), rows)
        new, self._new = self._new, []
        self._open.clear()
        by_table: dict[sa.Table, list[dict[str, Any]]] = {}
        for table, row in new:
            by_table.setdefault(table, []).append(row)
        for table, rows in by_table.items():
            await _insert_rows(self.conn, table, rows, self.live)

    async def insert(self, table: sa.Table, change: Change, values: dict[str, Any]) -> None:
        row = opened(change, values)
        self._new.append((table, row))
        if row["sys_to_pos"] is None:
            for (indexed, names), index in self._open.items():
                if indexed is table:
                    index[_pending_key(row, names)] = row

    async def close(
        self, table: sa.Table, change: Change, key: dict[str, Any], **extra: Any
    ) -> None:
        key = change.key(key)
        names = tuple(key)
        index = self._open.get((table, names))
        if index is None:
            index = self._open[(table, names)] = {
                _pending_key(row, names): row
                for pending_table, row in self._new
                if pending_table is table and row["sys_to_pos"] is None
            }
        row = index.pop((change.tenant_id, change.generation, *key.values()), None)
        if row is not None and row["sys_to_pos"] is None:
            row.update(ended(change, **extra))
            return
        self._ends.append((table, change, key, extra))

    async def replace(
        self, table: sa.Table, change: Change, key: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        await self.flush()
        await replace(self.conn, table, change, key, changes, self.live)
