"""One active runner per projection across processes.

PostgreSQL: a session advisory lock held on a dedicated connection; when the process dies
its session ends, the lock is released and a standby takes over on its next try.
SQLite: an exclusive ``flock`` on a file beside the database, released by the kernel when
the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class Leadership(Protocol):
    async def try_acquire(self) -> bool:
        """Become the active runner if no one else is; True when this instance leads."""
        ...

    async def still_leading(self) -> bool:
        """Whether the leadership taken is still held (checked before each batch)."""
        ...

    async def release(self) -> None: ...


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a projection name."""
    digest = hashlib.sha256(f"scoreledger.projection:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def try_session_lock(engine: AsyncEngine, *key: int) -> AsyncConnection | None:
    """Try ``pg_try_advisory_lock(*key)`` on a connection of its own: the connection, which
    holds the lock until it closes (or its process dies), or None when another session
    holds it."""
    placeholders = ", ".join(f":k{i}" for i in range(len(key)))
    query = sa.text(f"SELECT pg_try_advisory_lock({placeholders})")
    conn = await engine.connect()
    try:
        got = (await conn.execute(query, {f"k{i}": part for i, part in enumerate(key)})).scalar()
        await conn.commit()
    except BaseException:
        await conn.close()
        raise
    if got:
        return conn
    await conn.close()
    return None


class AdvisoryLockLeadership:
    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self._engine = engine
        self._key = lock_key(name)
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            return True
        self._conn = await try_session_lock(self._engine, self._key)
        return self._conn is not None

    async def still_leading(self) -> bool:
        if self._conn is None:
            return False
        try:
            await self._conn.execute(sa.text("SELECT 1"))
            await self._conn.commit()
        except Exception:  # the session ended, and the lock with it
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.close()
            return False
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        with contextlib.suppress(Exception):
            await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            await conn.commit()
        with contextlib.suppress(Exception):  # a session that ended has no lock left
            await conn.close()


class FileLockLeadership:
    """Leadership on SQLite: an exclusive ``flock`` on a file beside the database, which the
    kernel releases when the leading process dies. Written with ``fcntl`` rather than the
    filelock library because the leader writes its process id into the locked file, which
    ``projections status`` reads back to name the leader; filelock keeps the file to itself.
    """

    def __init__(self, database_file: str, name: str) -> None:
        self._path = Path(f"{database_file}.{name}.lock")
        self._file: IO[bytes] | None = None

    async def try_acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self._path.open("ab")  # held open while this instance leads
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    async def still_leading(self) -> bool:
        # The lock lives as long as this process's open file: held until released.
        return self._file is not None

    async def release(self) -> None:
        if self._file is not None:
            handle, self._file = self._file, None
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def leadership_for(engine: AsyncEngine, name: str) -> Leadership:
    """The right kind of leadership for the engine's database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(engine, name)
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("async projections on SQLite need a database file")
    return FileLockLeadership(database, name)


async def holder(engine: AsyncEngine, name: str) -> str | None:
    """Who holds ``name``'s leadership right now ("backend 4242 from 10.0.0.5" on PostgreSQL,
    "process 4242" on SQLite), or None when no one does. It only looks: it never takes it."""
    if engine.dialect.name == "postgresql":
        return await _advisory_holder(engine, lock_key(name))
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return _file_holder(Path(f"{database}.{name}.lock"))


async def _advisory_holder(engine: AsyncEngine, key: int) -> str | None:
    # A one-bigint advisory lock shows in pg_locks as classid (high half), objid (low half)
    # and objsubid 1.
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    query = sa.text(
        "SELECT l.pid, host(a.client_addr) AS client FROM pg_locks l "
        "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid::text::bigint = :high AND l.objid::text::bigint = :low"
    )
    async with engine.connect() as conn:
        row = (
            await conn.execute(query, {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF})
        ).first()
    if row is None:
        return None
    return f"backend {row.pid}" + (f" from {row.client}" if row.client else "")


def _file_holder(path: Path) -> str | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            lines = handle.read().split()
            return f"process {lines[-1].decode()}" if lines else "a process"
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None
