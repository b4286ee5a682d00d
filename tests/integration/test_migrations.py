"""Alembic upgrade and downgrade on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from api.migrations import downgrade_async, upgrade_async
from eventstore.factory import open_store
from tests.databases import PostgresDatabases

EXPECTED_TABLES = {"events", "idempotency_keys"}


async def _tables(url: str) -> set[str]:
    store = open_store(url)
    try:
        async with store.engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    finally:
        await store.close()
    return names - {"alembic_version"}


async def _round_trip(url: str) -> None:
    await upgrade_async(url)
    assert await _tables(url) >= EXPECTED_TABLES
    await downgrade_async(url, "base")
    assert await _tables(url) == set()
    await upgrade_async(url)
    assert await _tables(url) >= EXPECTED_TABLES


async def test_sqlite_upgrades_to_head_and_downgrades_to_base(tmp_path: Path):
    await _round_trip(f"sqlite:///{tmp_path / 'fresh.db'}")


@pytest.mark.postgres
async def test_postgres_upgrades_to_head_and_downgrades_to_base(
    postgres_databases: PostgresDatabases,
):
    url = await postgres_databases.empty()
    try:
        await _round_trip(url)
    finally:
        await postgres_databases.drop(url)


def _declared_indexes(table: sa.Table, dialect: str) -> dict[str, list[str]]:
    """The indexes the code declares on ``table`` for ``dialect``."""
    found = {}
    for index in table.indexes:
        condition = index._ddl_if
        if condition is None or condition.dialect in (None, dialect):
            found[str(index.name)] = [column.name for column in index.columns]
    return found


async def _migrated_indexes(url: str, table: str) -> dict[str, list[str]]:
    store = open_store(url)
    try:
        async with store.engine.connect() as conn:
            listed = await conn.run_sync(lambda c: sa.inspect(c).get_indexes(table))
    finally:
        await store.close()
    return {str(index["name"]): [str(name) for name in index["column_names"]] for index in listed}


async def _check_declared_indexes(url: str, dialect: str) -> None:
    from eventstore.tables import events

    await upgrade_async(url)
    declared = _declared_indexes(events, dialect)
    assert declared, "the events table declares its indexes"
    migrated = await _migrated_indexes(url, "events")
    assert {name: migrated.get(name) for name in declared} == declared


async def test_sqlite_events_indexes_are_those_the_code_declares(tmp_path: Path):
    await _check_declared_indexes(f"sqlite:///{tmp_path / 'fresh.db'}", "sqlite")


@pytest.mark.postgres
async def test_postgres_events_indexes_are_those_the_code_declares(
    postgres_databases: PostgresDatabases,
):
    url = await postgres_databases.empty()
    try:
        await _check_declared_indexes(url, "postgresql")
    finally:
        await postgres_databases.drop(url)
