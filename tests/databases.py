"""Fresh, migrated databases for tests: real PostgreSQL and real SQLite, never mocks."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from api.migrations import upgrade
from eventstore.postgres import to_libpq_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    return os.environ.get("SCORELEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    return os.environ.get("SCORELEDGER_REQUIRE_POSTGRES") == "1"


def _with_database(url: str, name: str) -> str:
    base = to_libpq_url(url)
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}"


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(to_libpq_url(url), timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def postgres_unreachable_reason() -> str | None:
    """None when the test server answers; otherwise why not."""
    try:
        asyncio.run(_admin(postgres_server_url(), "SELECT 1"))
    except Exception as exc:  # any failure to connect means: no server for these tests
        return f"PostgreSQL at {postgres_server_url()} is not reachable: {exc}"
    return None


@dataclass
class PostgresDatabases:
    """A migrated template database per run; each test gets a copy of it."""

    server_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    created: list[str] = field(default_factory=list)

    @property
    def template(self) -> str:
        return f"scoreledger_test_{self.run_id}_template"

    def prepare(self) -> None:
        asyncio.run(_admin(self.server_url, f'CREATE DATABASE "{self.template}"'))
        self.created.append(self.template)
        upgrade(_with_database(self.server_url, self.template))

    async def fresh(self) -> str:
        """A new database copied from the migrated template; returns its URL."""
        name = f"scoreledger_test_{self.run_id}_{uuid.uuid4().hex[:8]}"
        await _admin(
            self.server_url,
            f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY',
        )
        self.created.append(name)
        return _with_database(self.server_url, name)

    async def empty(self) -> str:
        """A new database with no tables (for migration tests)."""
        name = f"scoreledger_test_{self.run_id}_{uuid.uuid4().hex[:8]}"
        await _admin(self.server_url, f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return _with_database(self.server_url, name)

    async def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        await _admin(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        statements = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in reversed(self.created)]
        if statements:
            asyncio.run(_admin(self.server_url, *statements))
        self.created.clear()


@dataclass
class SqliteDatabases:
    """A migrated template file per run; each test gets a copy of it."""

    directory: Path

    @property
    def template(self) -> Path:
        return self.directory / "template.db"

    def prepare(self) -> None:
        upgrade(f"sqlite:///{self.template}")

    def fresh(self, directory: Path) -> str:
        target = directory / f"scoreledger-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
