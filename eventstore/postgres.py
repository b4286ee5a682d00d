"""PostgreSQL backend: asyncpg through SQLAlchemy, xid8-ordered gap-safe feed, NOTIFY."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from eventstore.envelope import START, FeedPosition
from eventstore.jsoncodec import json_dumps, json_loads
from eventstore.notifications import LocalWaiter, PostgresHub
from eventstore.sql import _COLUMNS, SqlEventStore
from eventstore.store import Waiter
from eventstore.tables import events
from eventstore.upcasting import UpcasterRegistry

_XMIN = sa.func.pg_snapshot_xmin(sa.func.pg_current_snapshot())


class Xid8(sa.types.UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id type; asyncpg maps it to int."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


def create_postgres_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> AsyncEngine:
    """An asyncpg engine with JSON handled by orjson."""
    return create_async_engine(
        to_asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )


def to_asyncpg_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs as well as ``postgresql+asyncpg://``."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def to_libpq_url(url: str) -> str:
    """The plain ``postgresql://`` form asyncpg.connect accepts."""
    return "postgresql://" + to_asyncpg_url(url)[len("postgresql+asyncpg://") :]


class PostgresEventStore(SqlEventStore):
    """The production backend.

    Rows carry ``pg_current_xact_id()``; feed readers take only rows of transactions below
    ``pg_snapshot_xmin(pg_current_snapshot())`` ordered by (transaction id, position), so a
    transaction that commits late with lower positions is never skipped. Writers are not
    serialized. A statement trigger NOTIFYs readers on commit.
    """

    def __init__(self, engine: AsyncEngine, *, upcasters: UpcasterRegistry | None = None) -> None:
        super().__init__(engine, upcasters=upcasters)
        self._hub = PostgresHub(to_libpq_url(engine.url.render_as_string(hide_password=False)))

    @classmethod
    def from_url(
        cls, url: str, *, upcasters: UpcasterRegistry | None = None, pool_size: int = 10
    ) -> PostgresEventStore:
        return cls(create_postgres_engine(url, pool_size=pool_size), upcasters=upcasters)

    @property
    def hub(self) -> PostgresHub:
        return self._hub

    async def _insert(
        self, conn: AsyncConnection, rows: list[dict[str, Any]]
    ) -> list[tuple[int, int]]:
        statement = events.insert().returning(
            events.c.global_position, events.c.transaction_id, sort_by_parameter_order=True
        )
        if len(rows) == 1:
            result = await conn.execute(statement, rows[0])
        else:
            result = await conn.execute(statement, rows)
        return [(r.global_position, r.transaction_id) for r in result]

    def _committed(self) -> None:
        self._hub.notify()

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

    def _feed_query(self, after: FeedPosition, tenant_id: str | None, limit: int) -> sa.Select[Any]:
        query = (
            sa.select(*_COLUMNS)
            .where(self._after(after), events.c.transaction_id < _XMIN)
            .order_by(*self._feed_order())
            .limit(limit)
        )
        if tenant_id is not None:
            query = query.where(events.c.tenant_id == tenant_id)
        return query

    async def head(self, tenant_id: str | None = None) -> FeedPosition:
        query = (
            sa.select(events.c.transaction_id, events.c.global_position)
            .where(events.c.transaction_id < _XMIN)
            .order_by(events.c.transaction_id.desc(), events.c.global_position.desc())
            .limit(1)
        )
        if tenant_id is not None:
            query = query.where(events.c.tenant_id == tenant_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return START if row is None else FeedPosition(row.transaction_id, row.global_position)

    def waiter(self) -> Waiter:
        return LocalWaiter(self._hub)

    async def close(self) -> None:
        await self._hub.close()
        await super().close()
