"""Shared fixtures: real databases per test on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import (
    PostgresDatabases,
    SqliteDatabases,
    postgres_required,
    postgres_server_url,
    postgres_unreachable_reason,
)
from tests.pgcluster import MigratedCluster, PrivateCluster, migrated_cluster


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    reason = postgres_unreachable_reason()
    if reason is not None:
        if postgres_required():
            pytest.fail(f"SCORELEDGER_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    databases = PostgresDatabases(postgres_server_url())
    databases.prepare()
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    databases = SqliteDatabases(tmp_path_factory.mktemp("sqlite-template"))
    databases.prepare()
    return databases


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    url = asyncio.run(postgres_databases.fresh())
    yield url
    asyncio.run(postgres_databases.drop(url))


@pytest.fixture
def sqlite_url(sqlite_databases: SqliteDatabases, tmp_path: Path) -> str:
    return sqlite_databases.fresh(tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database on each backend in turn."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[MigratedCluster]:
    """A PostgreSQL cluster of the run's own that tests may crash and restart (the shared
    server is never stopped); started once, each test takes a fresh database on it."""
    with migrated_cluster() as cluster:
        yield cluster


@pytest.fixture
def private_postgres_url(private_postgres: MigratedCluster) -> tuple[PrivateCluster, str]:
    """The private cluster (running) and the URL of a fresh migrated database on it."""
    if not private_postgres.cluster.running:  # a test before this one failed while it was down
        private_postgres.cluster.start()
    url = asyncio.run(private_postgres.fresh())
    return private_postgres.cluster, url
