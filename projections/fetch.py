"""Running prebuilt read statements with as little per-call overhead as the backend allows.

The queries build their statements once; on PostgreSQL each is compiled once more to its SQL
text and run straight on the asyncpg connection underneath the SQLAlchemy one (same
transaction, same statements, without SQLAlchemy's per-execution work). Elsewhere SQLAlchemy
runs them. Rows answer attribute access by column name on both paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
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
        # Binds rendered into the text at execution (literal_execute) take no position.
        literal = {name for name, bind in compiled.binds.items() if bind.literal_execute}
        names = tuple(name for name in compiled.positiontup or () if name not in literal)
        found = (statement, compiled.string, names, dict(compiled.params))
        _compiled[key] = found
    return found[1], found[2], found[3]


_MOMENT = "__[POSTCOMPILE_as_of]"


def _literal(moment: Any) -> str:
    """A moment (``literal_execute`` bind ``as_of``) as PostgreSQL literal text."""
    if isinstance(moment, int):
        return str(moment)
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError(f"as-of time {moment.isoformat()} needs a time zone")
        return f"'{moment.isoformat()}'::timestamptz"
    raise TypeError(f"unsupported as-of moment {moment!r}")


async def fetch_all(
    conn: AsyncConnection, statement: sa.Select[Any], params: Mapping[str, Any]
) -> Sequence[Any]:
    """All rows of a statement built once (module-level), with ``params`` bound.

    A connection with the execution option ``observe_statements=True`` always goes through
    SQLAlchemy, so its statement events see every statement (diagnostics, EXPLAIN).
    """
    observed = conn.sync_connection is not None and conn.sync_connection.get_execution_options()
    if conn.dialect.name != "postgresql" or (observed and observed.get("observe_statements")):
        result: Sequence[Any] = (await conn.execute(statement, dict(params))).all()
        return result
    sql, names, defaults = _compile(statement, conn.dialect)
    if "as_of" in params and _MOMENT in sql:
        sql = sql.replace(_MOMENT, _literal(params["as_of"]))
    driver = (await conn.get_raw_connection()).driver_connection
    args = [params[name] if name in params else defaults[name] for name in names]
    assert driver is not None
    rows: Sequence[Any] = await driver.fetch(sql, *args, record_class=_Row)
    return rows
