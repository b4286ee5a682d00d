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
