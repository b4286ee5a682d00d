"""Running prebuilt read statements with as little per-call overhead as the backend allows.

The queries build their statements once; on PostgreSQL each is compiled once more to its SQL
text and run straight on the asyncpg connection underneath the SQLAlchemy one (without
SQLAlchemy's per-execution work). Elsewhere SQLAlchemy runs them. Rows answer attribute access
by column name on both paths. A query of several statements wraps them in
:func:`one_snapshot`, so they all see the same committed state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
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


_Compiled = tuple[sa.Executable, str, tuple[str, ...], dict[str, Any], tuple[Any, ...]]
_compiled: dict[tuple[int, str], _Compiled] = {}


def _compile(
    statement: sa.Select[Any] | sa.Insert | sa.Update, dialect: Dialect
) -> tuple[str, tuple[str, ...], dict[str, Any], tuple[Any, ...]]:
    """The statement's SQL text, the names of its positional parameters, their defaults and
    each one's bind processor (what SQLAlchemy would apply before sending the value). Every
    value, as-of moments included, is a parameter of the driver's prepared statement."""
    key = (id(statement), dialect.name)
    found = _compiled.get(key)
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        processors = tuple(compiled.binds[name].type.bind_processor(dialect) for name in names)
        found = (statement, compiled.string, names, dict(compiled.params), processors)
        _compiled[key] = found
    return found[1], found[2], found[3], found[4]


def _observed(conn: AsyncConnection) -> bool:
    options = conn.sync_connection.get_execution_options() if conn.sync_connection else {}
    return bool(options.get("observe_statements"))


@asynccontextmanager
async def one_snapshot(conn: AsyncConnection) -> AsyncIterator[None]:
    """Run the statements inside on one snapshot of the database.

    SQLite's read transaction already is one. On PostgreSQL, unless the connection is in a
    transaction of its own already (a runner's batch, say), a read-only REPEATABLE READ
    transaction is opened on the driver for the duration.
    """
    if conn.dialect.name != "postgresql" or _observed(conn):
        yield
        return
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    if driver.is_in_transaction():
        yield
        return
    async with driver.transaction(isolation="repeatable_read", readonly=True):
        yield


async def fetch_all(
    conn: AsyncConnection, statement: sa.Select[Any], params: Mapping[str, Any]
) -> Sequence[Any]:
    """All rows of a statement built once (module-level), with ``params`` bound.

    A connection with the execution option ``observe_statements=True`` always goes through
    SQLAlchemy, so its statement events see every statement (diagnostics, EXPLAIN).
    """
    if conn.dialect.name != "postgresql" or _observed(conn):
        result: Sequence[Any] = (await conn.execute(statement, dict(params))).all()
        return result
    sql, names, defaults, _ = _compile(statement, conn.dialect)
    driver = (await conn.get_raw_connection()).driver_connection
    args = [params[name] if name in params else defaults[name] for name in names]
    assert driver is not None
    rows: Sequence[Any] = await driver.fetch(sql, *args, record_class=_Row)
    return rows


class _JsonRow(dict[str, Any]):
    """A row that arrived as a JSON object; answers ``row.column`` too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


_Floats = tuple[tuple[str, ...], ...]
"""Per statement, the names of its float columns."""

_together: dict[tuple[int, ...], tuple[tuple[sa.Select[Any], ...], sa.Select[Any], _Floats]] = {}


def _combined(statements: tuple[sa.Select[Any], ...]) -> tuple[sa.Select[Any], _Floats]:
    """One statement whose columns are the JSON arrays of each statement's rows, and the
    float columns of each statement."""
    key = tuple(id(statement) for statement in statements)
    found = _together.get(key)
    if found is None or any(a is not b for a, b in zip(found[0], statements, strict=True)):
        columns = []
        floats = []
        for index, statement in enumerate(statements):
            rows = statement.subquery(f"q{index}")
            floats.append(tuple(c.name for c in rows.c if isinstance(c.type, sa.Float)))
            aggregated = sa.func.coalesce(
                sa.func.json_agg(sa.literal_column(f"q{index}")),
                sa.literal_column("'[]'::json"),
            )
            columns.append(
                sa.select(aggregated).select_from(rows).scalar_subquery().label(f"r{index}")
            )
        found = (statements, sa.select(*columns), tuple(floats))
        _together[key] = found
    return found[1], found[2]


def _decoded(value: Any, floats: tuple[str, ...]) -> list[_JsonRow]:
    """The rows of one JSON array. JSON has one kind of number, so a float column's whole
    number (weight 1, value 68) arrives as an int: it is made the float the column holds, as
    every other read path returns it."""
    rows = [
        _JsonRow(item)
        for item in (orjson.loads(value) if isinstance(value, (str, bytes)) else value)
    ]
    for row in rows:
        for name in floats:
            number = row.get(name)
            if type(number) is int:
                row[name] = float(number)
    return rows


async def fetch_together(
    conn: AsyncConnection, statements: Sequence[sa.Select[Any]], params: Mapping[str, Any]
) -> list[Sequence[Any]]:
    """The rows of several statements built once, all read from one snapshot.

    On PostgreSQL they travel as one statement (each statement's rows aggregated to a JSON
    array): one round trip, and one statement sees one snapshot. Rows then are dicts that
    also answer attribute access, and their order within a statement is not promised (sort
    where it matters). Float columns hold floats on every path. Elsewhere the statements run
    in turn in one read transaction.
    """
    if conn.dialect.name != "postgresql" or _observed(conn):
        async with one_snapshot(conn):
            return [await fetch_all(conn, statement, params) for statement in statements]
    combined, floats = _combined(tuple(statements))
    (row,) = await fetch_all(conn, combined, params)
    return [_decoded(value, names) for value, names in zip(row, floats, strict=True)]


async def execute_write(
    conn: AsyncConnection,
    statement: sa.Insert | sa.Update,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> None:
    """Run a write statement built once (cached by the caller), with one set of ``params``
    or many (an executemany).

    Inside a transaction already open on the PostgreSQL driver (the append's, for the inline
    read models; or SQLAlchemy's once it has begun), the compiled text runs on the driver
    itself: without SQLAlchemy's per-execution work (cache key, parameter processing, the
    greenlet hop) a warm command's client CPU went from 1.31-1.39 ms to 1.08 ms (see
    ``benchmarks/README.md``, "Write path"). Anywhere else, and on connections observed for
    diagnostics, SQLAlchemy runs it: outside a transaction a driver statement would escape
    the one SQLAlchemy is about to begin.
    """
    if conn.dialect.name == "postgresql" and not _observed(conn):
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        if driver.is_in_transaction():
            sql, names, defaults, processors = _compile(statement, conn.dialect)

            def args(given: Mapping[str, Any]) -> list[Any]:
                values = [given[n] if n in given else defaults[n] for n in names]
                return [v if p is None else p(v) for v, p in zip(values, processors, strict=True)]

            if isinstance(params, Mapping):
                await driver.execute(sql, *args(params))
            else:
                await driver.executemany(sql, [args(one) for one in params])
            return
    if isinstance(params, Mapping):
        await conn.execute(statement, dict(params))
    else:
        await conn.execute(statement, [dict(one) for one in params])
