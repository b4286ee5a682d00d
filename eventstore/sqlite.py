"""SQLite backend: aiosqlite, WAL, one writer connection, in-process wake-ups."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from eventstore.envelope import START, FeedPosition
from eventstore.jsoncodec import json_dumps, json_loads
from eventstore.notifications import LocalHub, LocalWaiter
from eventstore.sql import _COLUMNS, INSERT_COLUMNS, Row, SqlEventStore
from eventstore.store import Waiter
from eventstore.tables import events
from eventstore.upcasting import UpcasterRegistry

BUSY_TIMEOUT_MS = 30_000


def create_sqlite_engines(url: str) -> tuple[AsyncEngine, AsyncEngine]:
    """A read engine and a single-connection write engine for one SQLite file.

    Both run in WAL mode with a busy timeout; the write engine begins every transaction
    with ``BEGIN IMMEDIATE`` so a read-then-write append never fails to upgrade its lock,
    and its pool of one connection makes this process a single writer.
    """
    url = to_aiosqlite_url(url)
    read = create_async_engine(
        url,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        pool_size=5,
        max_overflow=10,
    )
    write = create_async_engine(
        url,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        pool_size=1,
        max_overflow=0,
        pool_timeout=300,
    )
    _configure(read, begin="BEGIN")
    _configure(write, begin="BEGIN IMMEDIATE")
    return read, write


def to_aiosqlite_url(url: str) -> str:
    """Accept ``sqlite:///file`` as well as ``sqlite+aiosqlite:///file``."""
    if url.startswith("sqlite+aiosqlite://"):
        return url
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    raise ValueError(f"not a SQLite URL: {url!r}")


def _configure(engine: AsyncEngine, *, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(begin)


class SqliteEventStore(SqlEventStore):
    """The embedded backend. One writer at a time, so position order is commit order; the
    transaction id of every event is 0 and the feed is ordered by position."""

    def __init__(
        self,
        engine: AsyncEngine,
        write_engine: AsyncEngine,
        *,
        upcasters: UpcasterRegistry | None = None,
    ) -> None:
        super().__init__(engine, write_engine=write_engine, upcasters=upcasters)
        self._hub = LocalHub()

    @classmethod
    def from_url(cls, url: str, *, upcasters: UpcasterRegistry | None = None) -> SqliteEventStore:
        read, write = create_sqlite_engines(url)
        return cls(read, write, upcasters=upcasters)

    async def _insert(self, conn: AsyncConnection, rows: list[Row]) -> list[tuple[int, int]]:
        statement = events.insert().returning(
            events.c.global_position, sort_by_parameter_order=True
        )
        params = [
            {**dict(zip(INSERT_COLUMNS, row, strict=True)), "transaction_id": 0} for row in rows
        ]
        result = await conn.execute(statement, params[0] if len(params) == 1 else params)
        return [(r.global_position, 0) for r in result]

    def _committed(self) -> None:
        self._hub.notify()

    def _after(self, after: FeedPosition) -> sa.ColumnElement[bool]:
        return events.c.global_position > after.position

    def _feed_order(self) -> tuple[sa.ColumnElement[Any], ...]:
        return (events.c.global_position,)

    def _feed_query(self, after: FeedPosition, tenant_id: str | None, limit: int) -> sa.Select[Any]:
        query = (
            sa.select(*_COLUMNS)
            .where(self._after(after))
            .order_by(*self._feed_order())
            .limit(limit)
        )
        if tenant_id is not None:
            query = query.where(events.c.tenant_id == tenant_id)
        return query

    async def head(self, tenant_id: str | None = None) -> FeedPosition:
        query = sa.select(sa.func.max(events.c.global_position))
        if tenant_id is not None:
            query = query.where(events.c.tenant_id == tenant_id)
        async with self.engine.connect() as conn:
            last = (await conn.execute(query)).scalar()
        return START if last is None else FeedPosition(0, int(last))

    def waiter(self) -> Waiter:
        return LocalWaiter(self._hub)
