"""PostgreSQL backend: asyncpg through SQLAlchemy, xid8-ordered gap-safe feed, NOTIFY.

Which events a feed reader may take, and why no event is ever skipped, is argued in
:mod:`eventstore.horizon`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from eventstore.append import (
    INSERT_COLUMNS,
    AppendRequest,
    Row,
    UniqueViolation,
    idempotency_row,
)
from eventstore.envelope import START, AppendResult, FeedPosition, RecordedEvent
from eventstore.horizon import FEED_LAG_SQL, HORIZON, TAKE_APPEND_LOCK
from eventstore.jsoncodec import json_dumps, json_loads
from eventstore.lag import FeedHold, FeedLag
from eventstore.notifications import LocalWaiter, PostgresHub
from eventstore.sql import SqlEventStore, check_aware
from eventstore.store import InlineHandler, Waiter
from eventstore.tables import events
from eventstore.upcasting import UpcasterRegistry

# The hot paths (append, feed and stream reads) talk to asyncpg directly: the same SQL the
# SQLAlchemy path would send, without its per-statement overhead.
# Columns in RecordedEvent's field order, so a driver record becomes one without copying
# field by field; data arrives parsed (the pool's json codec), metadata stays text until a
# reader asks for it.
_SELECT = (
    "SELECT tenant_id, stream_id, version, global_position, transaction_id, event_id, "
    "event_type, schema_version, data, metadata::text, hash FROM events "
)
_TAIL_SQL = (
    "SELECT version, hash FROM events WHERE tenant_id = $1 AND stream_id = $2 "
    "ORDER BY version DESC LIMIT 1"
)
# Every events INSERT takes the append lock in its FROM clause, before the rows' default
# pg_current_xact_id() gives the transaction its xid (see eventstore.horizon).
_INSERT_ONE_SQL = (
    f"INSERT INTO events ({', '.join(INSERT_COLUMNS)}) "
    "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 "
    f"FROM {TAKE_APPEND_LOCK} RETURNING version, global_position, transaction_id"
)
_ROWS_PER_INSERT = 500
# A VALUES list in FROM gets its column types from its first row, not from the target table.
_INSERT_TYPES = (
    "text", "text", "int", "uuid", "text", "int", "json", "json", "timestamptz", "text"
)  # fmt: skip


@functools.cache
def _insert_many_sql(count: int) -> str:
    """A multi-row INSERT for ``count`` rows (plain parameters encode faster than arrays)."""
    width = len(INSERT_COLUMNS)
    rows = []
    for row in range(count):
        cells = [f"${row * width + col + 1}" for col in range(width)]
        if row == 0:
            cells = [f"{cell}::{kind}" for cell, kind in zip(cells, _INSERT_TYPES, strict=True)]
        rows.append("(" + ", ".join(cells) + ")")
    values = ", ".join(rows)
    return (
        f"INSERT INTO events ({', '.join(INSERT_COLUMNS)}) "
        f"SELECT rows.* FROM {TAKE_APPEND_LOCK}, (VALUES {values}) AS rows "
        "RETURNING version, global_position, transaction_id"
    )


_REMEMBER_SQL = (
    "INSERT INTO idempotency_keys (tenant_id, key, request_hash, stream_id, first_version, "
    "last_version, last_position, transaction_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)
# The page is cut in index order first and the in-flight filter applied to it afterwards:
# the eligible rows are a prefix of the page (both are ordered by transaction id), and the
# planner then always walks ix_events_feed instead of sorting when statistics are stale.
# The horizon is an uncorrelated subquery: computed once per read, in the read's snapshot.
_FEED_SQL = (
    "SELECT * FROM (" + _SELECT + "WHERE (transaction_id, global_position) > ($1::xid8, $2) "
    "ORDER BY transaction_id, global_position LIMIT $3) AS page "
    f"WHERE transaction_id < {HORIZON} "
    "ORDER BY transaction_id, global_position"
)
_TENANT_FEED_SQL = (
    "SELECT * FROM (" + _SELECT + "WHERE (transaction_id, global_position) > ($1::xid8, $2) "
    "AND tenant_id = $4 ORDER BY transaction_id, global_position LIMIT $3) AS page "
    f"WHERE transaction_id < {HORIZON} "
    "ORDER BY transaction_id, global_position"
)
_HEAD_SQL = (
    f"SELECT transaction_id, global_position FROM events WHERE transaction_id < {HORIZON} "
    "ORDER BY transaction_id DESC, global_position DESC LIMIT 1"
)
_TENANT_HEAD_SQL = (
    f"SELECT transaction_id, global_position FROM events WHERE transaction_id < {HORIZON} "
    "AND tenant_id = $1 ORDER BY transaction_id DESC, global_position DESC LIMIT 1"
)
_STREAM_SQL = (
    _SELECT + "WHERE tenant_id = $1 AND stream_id = $2 AND version >= $3 "
    "AND ($4::int IS NULL OR version <= $4) AND ($5::bigint IS NULL OR global_position <= $5) "
    "AND ($6::timestamptz IS NULL OR recorded_at <= $6) ORDER BY version"
)


class Xid8(sa.types.UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id type; asyncpg maps it to int."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


def create_postgres_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> AsyncEngine:
    """An asyncpg engine with JSON handled by orjson, whose pool never hands out a
    connection the server has closed (see :func:`_replace_closed_connections`)."""
    engine = create_async_engine(
        to_asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )
    event.listen(engine.sync_engine, "checkout", _replace_closed_connections)
    return engine


def _replace_closed_connections(_dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """A pooled connection whose server went away (a restart, a failover, an idle timeout)
    is closed in the driver as soon as the event loop has read the end of its socket; the
    pool then opens a fresh one instead of failing the request that checked it out. Asking
    the driver costs nothing, unlike a ping per checkout; a connection that dies later,
    mid-use, is still invalidated by SQLAlchemy's disconnect handling."""
    driver = record.driver_connection
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def to_asyncpg_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs as well as ``postgresql+asyncpg://``."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def to_libpq_url(url: str) -> str:
    """The plain ``postgresql://`` form asyncpg.connect accepts."""
    return "postgresql://" + to_asyncpg_url(url)[len("postgresql+asyncpg://") :]


_as_recorded = tuple.__new__


class PostgresEventStore(SqlEventStore):
    """The production backend.

    Rows carry ``pg_current_xact_id()``; feed readers take only rows of transactions below
    the horizon of appends still in flight (:mod:`eventstore.horizon`), ordered by
    (transaction id, position), so a transaction that commits late with lower positions is
    never skipped, and transactions that write no events (here or in another database)
    hold no reader back. Writers are not serialized. Writers NOTIFY readers right after
    they commit (see PostgresHub.publish).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        upcasters: UpcasterRegistry | None = None,
    ) -> None:
        super().__init__(engine, upcasters=upcasters)
        self._dsn = to_libpq_url(engine.url.render_as_string(hide_password=False))
        self._hub = PostgresHub(self._dsn)

    @contextlib.asynccontextmanager
    async def _driver(self) -> AsyncIterator[Any]:
        """The asyncpg connection of one of the engine's pooled connections, in AUTOCOMMIT
        mode so SQLAlchemy wraps nothing around the store's statements (they are single
        statements, or run in the driver transaction the store opens itself). One pool for
        the whole process: the engine's json codec already decodes through orjson."""
        async with self.engine.connect() as plain:
            conn = await plain.execution_options(isolation_level="AUTOCOMMIT")
            yield (await conn.get_raw_connection()).driver_connection

    async def _append_once(
        self,
        request: AppendRequest,
        remember: tuple[str, str] | None,
        inline: Sequence[InlineHandler],
    ) -> AppendResult:
        if not inline:
            async with self._driver() as driver:
                if remember is None and len(request.events) <= _ROWS_PER_INSERT:
                    return await self._append_single_statement(driver, request)
                return await self._append_on(driver, request, remember)
        # Handlers get a SQLAlchemy connection whose statements run in the driver's
        # transaction: in AUTOCOMMIT mode SQLAlchemy begins none of its own (which asyncpg
        # would nest as a SAVEPOINT, two more round trips), and ours is the only one.
        async with self.engine.connect() as plain:
            conn = await plain.execution_options(isolation_level="AUTOCOMMIT")
            driver = (await conn.get_raw_connection()).driver_connection
            result = await self._append_on(driver, request, remember, conn, inline)
        return result

    async def _append_single_statement(self, driver: Any, request: AppendRequest) -> AppendResult:
        """A plain append in two round trips and no explicit transaction: read the tail, then
        one INSERT, which is atomic on its own. A writer that appended in between makes the
        INSERT hit the unique (tenant, stream, version) constraint: a conflict, as it
        should be, since our rows were versioned and hash-chained after a tail that is gone."""
        try:
            query = request.tail_query()
            tail = None if query is None else await driver.fetchrow(_TAIL_SQL, *query)
            rows = request.plan_after(tail)
            returned = await self._insert_rows(driver, rows)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation.classify(exc.constraint_name or str(exc)) from exc
        return request.recorded(rows, returned)[0]

    async def _append_on(
        self,
        driver: Any,
        request: AppendRequest,
        remember: tuple[str, str] | None,
        conn: AsyncConnection | None = None,
        inline: Sequence[InlineHandler] = (),
    ) -> AppendResult:
        try:
            async with driver.transaction():
                query = request.tail_query()
                tail = None if query is None else await driver.fetchrow(_TAIL_SQL, *query)
                rows = request.plan_after(tail)
                returned = await self._insert_rows(driver, rows)
                result, recorded = request.recorded(rows, returned)
                if remember is not None:
                    row = idempotency_row(request.tenant_id, *remember, result)
                    await driver.execute(_REMEMBER_SQL, *row.values())
                if conn is not None:
                    for handler in inline:
                        await handler(conn, recorded)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation.classify(exc.constraint_name or str(exc)) from exc
        return result

    async def _insert_rows(self, driver: Any, rows: list[Row]) -> list[tuple[int, int]]:
        if len(rows) == 1:
            got = await driver.fetchrow(_INSERT_ONE_SQL, *rows[0])
            return [(got[1], got[2])]
        returned: dict[int, tuple[int, int]] = {}
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            params = [value for row in chunk for value in row]
            for got in await driver.fetch(_insert_many_sql(len(chunk)), *params):
                returned[got[0]] = (got[1], got[2])
        return [returned[row[2]] for row in rows]

    def _from_driver(self, rows: list[Any]) -> list[RecordedEvent]:
        if self.upcasters:
            return [self._upcast(_as_recorded(RecordedEvent, row)) for row in rows]
        return [_as_recorded(RecordedEvent, row) for row in rows]

    async def read_feed(
        self,
        after: FeedPosition = START,
        *,
        tenant_id: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedEvent]:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        async with self._driver() as driver:
            if tenant_id is None:
                rows = await driver.fetch(_FEED_SQL, after.transaction_id, after.position, limit)
            else:
                rows = await driver.fetch(
                    _TENANT_FEED_SQL, after.transaction_id, after.position, limit, tenant_id
                )
        return self._from_driver(rows)

    async def read_stream(
        self,
        tenant_id: str,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        as_of_position: int | None = None,
        as_of_time: datetime | None = None,
    ) -> list[RecordedEvent]:
        check_aware(as_of_time)
        async with self._driver() as driver:
            rows = await driver.fetch(
                _STREAM_SQL,
                tenant_id,
                stream_id,
                from_version,
                to_version,
                as_of_position,
                as_of_time,
            )
        return self._from_driver(rows)

    @classmethod
    def from_url(
        cls, url: str, *, upcasters: UpcasterRegistry | None = None, pool_size: int = 10
    ) -> PostgresEventStore:
        return cls(
            create_postgres_engine(url, pool_size=pool_size),
            upcasters=upcasters,
        )

    @property
    def hub(self) -> PostgresHub:
        return self._hub

    def _committed(self) -> None:
        self._hub.publish()

    def _after(self, after: FeedPosition) -> sa.ColumnElement[bool]:
        after_tx = sa.bindparam("after_tx", after.transaction_id, type_=Xid8())
        return sa.tuple_(events.c.transaction_id, events.c.global_position) > sa.tuple_(
            after_tx, sa.literal(after.position)
        )

    def _feed_order(self) -> tuple[sa.ColumnElement[Any], ...]:
        return (events.c.transaction_id, events.c.global_position)

    async def lock_appends(self, conn: AsyncConnection) -> None:
        # SHARE conflicts with the ROW EXCLUSIVE lock every INSERT takes, not with reads.
        await conn.execute(sa.text("LOCK TABLE events IN SHARE MODE"))

    async def head(self, tenant_id: str | None = None) -> FeedPosition:
        async with self._driver() as driver:
            if tenant_id is None:
                row = await driver.fetchrow(_HEAD_SQL)
            else:
                row = await driver.fetchrow(_TENANT_HEAD_SQL, tenant_id)
        return START if row is None else FeedPosition(row[0], row[1])

    async def feed_lag(self, after: FeedPosition) -> FeedLag:
        """Committed events after ``after``, and how many of them (and behind which backend's
        open append) readers do not get yet."""
        async with self._driver() as driver:
            count, oldest, held, pid, seconds = await driver.fetchrow(
                FEED_LAG_SQL, after.transaction_id, after.position
            )
        hold = None
        if held:
            hold = FeedHold(pid, None if seconds is None else float(seconds))
        return FeedLag(count, oldest, held, hold)

    def waiter(self) -> Waiter:
        return LocalWaiter(self._hub)

    async def close(self) -> None:
        await self._hub.close()
        await super().close()
