"""Fresh, migrated databases for tests: real PostgreSQL and real SQLite, never mocks."""

from __future__ import annotations

import asyncio
import collections
import os
import shutil
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
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


SPARES = 2
"""Databases created ahead of the tests that will take them."""


@dataclass
class PostgresDatabases:
    """A migrated template database per run; each test gets a copy of it.

    Copying the template and dropping a used copy cost the server a few hundred
    milliseconds of file copying and syncing each; a worker thread does both beside the
    tests, keeping :data:`SPARES` copies ready and dropping used ones, so a test waits for
    neither (unless it outruns the worker)."""

    server_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    created: list[str] = field(default_factory=list)
    _worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="test-databases")
    )
    _spares: collections.deque[Future[str]] = field(default_factory=collections.deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def template(self) -> str:
        return f"scoreledger_test_{self.run_id}_template"

    def prepare(self) -> None:
        asyncio.run(_admin(self.server_url, f'CREATE DATABASE "{self.template}"'))
        self.created.append(self.template)
        upgrade(_with_database(self.server_url, self.template))

    def _new_name(self) -> str:
        name = f"scoreledger_test_{self.run_id}_{uuid.uuid4().hex[:8]}"
        with self._lock:
            self.created.append(name)
        return name

    def _copy(self) -> str:
        """Runs on the worker thread: one more copy of the template."""
        name = self._new_name()
        statement = f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY'
        asyncio.run(_admin(self.server_url, statement))
        return name

    def _drop_now(self, name: str) -> None:
        """Runs on the worker thread: drop one database."""
        asyncio.run(_admin(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    async def fresh(self) -> str:
        """A new database copied from the migrated template; returns its URL."""
        while len(self._spares) < SPARES + 1:
            self._spares.append(self._worker.submit(self._copy))
        name = await asyncio.wrap_future(self._spares.popleft())
        return _with_database(self.server_url, name)

    async def empty(self) -> str:
        """A new database with no tables (for migration tests)."""
        name = self._new_name()
        await _admin(self.server_url, f'CREATE DATABASE "{name}"')
        return _with_database(self.server_url, name)

    async def drop(self, url: str) -> None:
        """Drop a database a test is done with (on the worker thread, without waiting)."""
        name = url.rpartition("/")[2]
        with self._lock:
            if name not in self.created:
                return
            self.created.remove(name)
        self._worker.submit(self._drop_now, name)

    def drop_all(self) -> None:
        self._worker.shutdown(wait=True)
        with self._lock:
            names, self.created = list(reversed(self.created)), []
        statements = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names]
        if statements:
            asyncio.run(_admin(self.server_url, *statements))


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
