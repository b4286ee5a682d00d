"""Alembic upgrade and downgrade on both backends."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.migrations import downgrade_async, upgrade_async
from api.tables import metadata as api_metadata
from eventstore.factory import open_store
from eventstore.tables import metadata as store_metadata
from projections.tables import metadata as read_model_metadata
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


def _declared_for(dialect: str) -> Callable[..., bool]:
    """Leave out what the code declares for the other backend only (``ddl_if``)."""

    def include(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


def _differences(sync_conn: sa.Connection) -> list[Any]:
    dialect = sync_conn.dialect.name
    context = MigrationContext.configure(
        sync_conn,
        opts={"compare_type": True, "include_object": _declared_for(dialect)},
    )
    found = compare_metadata(context, [store_metadata, read_model_metadata, api_metadata])
    if dialect == "sqlite":
        # SQLite reflects its INTEGER PRIMARY KEY (the rowid alias, never NULL) as nullable.
        found = [
            diff
            for diff in found
            if not (
                isinstance(diff, list)
                and diff[0][0] == "modify_nullable"
                and diff[0][2:4] == ("events", "global_position")
            )
        ]
    return found


async def _schema_differences(url: str) -> list[Any]:
    await upgrade_async(url)
    store = open_store(url)
    try:
        async with store.engine.connect() as conn:
            with warnings.catch_warnings():
                # Expression indexes cannot be reflected on SQLite; PostgreSQL compares them.
                warnings.filterwarnings("ignore", message=".*expression-based index")
                # events.transaction_id is xid8 on PostgreSQL (declared BIGINT in code, which
                # is what SQLAlchemy reads it as); reflection does not know the type.
                warnings.filterwarnings("ignore", message="Did not recognize type 'xid8'")
                return await conn.run_sync(_differences)
    finally:
        await store.close()


async def test_sqlite_migrations_create_exactly_the_tables_declared_in_code(tmp_path: Path):
    assert await _schema_differences(f"sqlite:///{tmp_path / 'schema.db'}") == []


@pytest.mark.postgres
async def test_postgres_migrations_create_exactly_the_tables_declared_in_code(
    postgres_databases: PostgresDatabases,
):
    url = await postgres_databases.empty()
    try:
        assert await _schema_differences(url) == []
    finally:
        await postgres_databases.drop(url)
