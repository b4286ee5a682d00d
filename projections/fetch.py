"""Running prebuilt read statements with as little per-call overhead as the backend allows.

The queries build their statements once; on PostgreSQL each is compiled once more to its SQL
text and run straight on the asyncpg connection underneath the SQLAlchemy one (same
transaction, same statements, without SQLAlchemy's per-execution work). Elsewhere SQLAlchemy
runs them. Rows answer attribute access by column name on both paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


class _Row(asyncpg.Record):  # type: ignore[misc]
    """A driver record that also answers ``row.column``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


_compiled: dict[tuple[int, str], tuple[sa.Select[Any], str, tuple[str, ...], dict[str, Any]]] = {}


def _compile(
    statement: sa.Select[Any], dialect: Dialect
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    key = (id(statement), dialect.name)
    found = _compiled.get(key)
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        found = (statement, compiled.string, names, dict(compiled.params))
        _compiled[key] = found
    return found[1], found[2], found[3]


async def fetch_all(
    conn: AsyncConnection, statement: sa.Select[Any], params: Mapping[str, Any]
) -> Sequence[Any]:
    """All rows of a statement built once (module-level), with ``params`` bound."""
    if conn.dialect.name != "postgresql":
        result: Sequence[Any] = (await conn.execute(statement, dict(params))).all()
        return result
    sql, names, defaults = _compile(statement, conn.dialect)
    driver = (await conn.get_raw_connection()).driver_connection
    args = [params[name] if name in params else defaults[name] for name in names]
    assert driver is not None
    rows: Sequence[Any] = await driver.fetch(sql, *args, record_class=_Row)
    return rows
