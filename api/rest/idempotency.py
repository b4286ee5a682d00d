"""``Idempotency-Key`` for REST requests, as payment APIs define it.

Per organization, a key remembers the hash of the request it first came with and, once that
request has finished, its response (status, content type, exact body bytes):

- a retry with the same key and request gets the stored response byte for byte, marked
  ``Idempotent-Replayed: true``;
- the same key with another request is refused (422);
- a retry while the first request is still running is refused (409);
- keys are kept for their lifetime after their first use (:data:`KEY_LIFETIME`, 24 hours,
  unless ``SCORELEDGER_IDEMPOTENCY_KEY_HOURS`` sets more), then forgotten: a key used again
  after that is a new key.

Expired keys are purged opportunistically: the request that finds its own key expired
replaces it, and at most once every :data:`PURGE_EVERY` per process a request also deletes
every organization's expired keys (one DELETE, never one per request).

"Still running" is decided by a lock held for the duration of the request, not by the row:
a session advisory lock on PostgreSQL, a byte-range lock on a file beside the database on
SQLite, both released by the database or the kernel when the process holding them dies. So
a request whose process was killed leaves a row marked running that the next retry takes
over at once (the ingestion makes that retry safe: see :mod:`api.ingest.run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.rest.problems import ProblemError
from api.tables import api_idempotency_keys as keys_table
from projections.leadership import try_session_lock

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_LIFETIME = dt.timedelta(hours=24)
"""The shortest time a key is kept (and its default lifetime)."""
PURGE_EVERY = dt.timedelta(minutes=10)
"""How often one process deletes the expired keys of every organization."""
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_LOCK_CLASS = 0x5C01
"""The first half of the two-part advisory lock keys of idempotency keys (the projection
runners' one-part keys live in a separate lock space)."""


def check_key(value: str) -> str:
    """A well-formed key: 1-255 printable ASCII characters without spaces."""
    if not _KEY.match(value):
        raise ProblemError(
            422,
            "validation",
            "an idempotency key is 1-255 printable ASCII characters without spaces",
            field=HEADER,
        )
    return value


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: bytes


def _lock_number(tenant_id: str, key: str) -> int:
    digest = hashlib.sha256(f"{tenant_id}\0{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


class _Lock(Protocol):
    async def release(self) -> None: ...


class _AdvisoryLock:
    def __init__(self, conn: AsyncConnection, number: int) -> None:
        self.conn = conn
        self.number = number

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self.conn.execute(
                sa.text("SELECT pg_advisory_unlock(:c, :n)"), {"c": _LOCK_CLASS, "n": self.number}
            )
            await self.conn.commit()
        await self.conn.close()


class _RangeLock:
    def __init__(self, handle: IO[bytes], offset: int) -> None:
        self.handle = handle
        self.offset = offset

    async def release(self) -> None:
        fcntl.lockf(self.handle.fileno(), fcntl.LOCK_UN, 1, self.offset)


class Claim:
    """A key held by this request: :meth:`finish` stores the response, :meth:`release`
    forgets the key (the request may then be retried afresh)."""

    def __init__(self, keys: IdempotencyKeys, tenant_id: str, key: str) -> None:
        self.keys = keys
        self.tenant_id = tenant_id
        self.key = key
        self.settled = False

    async def finish(self, response: StoredResponse) -> None:
        async with self.keys.write_engine.begin() as conn:
            await conn.execute(
                keys_table.update()
                .where(keys_table.c.tenant_id == self.tenant_id, keys_table.c.key == self.key)
                .values(
                    state="done",
                    status_code=response.status_code,
                    content_type=response.content_type,
                    body=response.body,
                )
            )
        self.settled = True

    async def release(self) -> None:
        async with self.keys.write_engine.begin() as conn:
            await conn.execute(
                keys_table.delete().where(
                    keys_table.c.tenant_id == self.tenant_id, keys_table.c.key == self.key
                )
            )
        self.settled = True


@dataclass(frozen=True, slots=True)
class Held:
    """What claiming a key gave: the stored response to replay, or the claim to settle."""

    replay: StoredResponse | None
    claim: Claim | None


class IdempotencyKeys:
    """The keys of every organization in the ``api_idempotency_keys`` table."""

    def __init__(
        self,
        engine: AsyncEngine,
        write_engine: AsyncEngine,
        *,
        owner: str,
        lifetime: dt.timedelta = KEY_LIFETIME,
    ) -> None:
        if lifetime < KEY_LIFETIME:
            raise ValueError(f"idempotency keys are kept at least {KEY_LIFETIME}")
        self.engine = engine
        self.write_engine = write_engine
        self.owner = owner
        self.lifetime = lifetime
        self._purged_at: dt.datetime | None = None
        self._running: set[tuple[str, str]] = set()
        self._lock_file: IO[bytes] | None = None
        if engine.dialect.name != "postgresql":
            database = engine.url.database
            if not database or database == ":memory:":
                raise ValueError("idempotency keys on SQLite need a database file")
            self._lock_path = Path(f"{database}.idempotency.lock")

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    async def _try_lock(self, tenant_id: str, key: str) -> _Lock | None:
        number = _lock_number(tenant_id, key)
        if self.engine.dialect.name == "postgresql":
            conn = await try_session_lock(self.write_engine, _LOCK_CLASS, number)
            return None if conn is None else _AdvisoryLock(conn, number)
        if self._lock_file is None:
            self._lock_file = self._lock_path.open("ab")
        # One byte-range lock per key in one shared file: a lock per key without a file per
        # key. filelock locks whole files only, hence fcntl here.
        offset = number & 0x7FFFFFFF
        try:
            fcntl.lockf(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
        except OSError:
            return None
        return _RangeLock(self._lock_file, offset)

    @contextlib.asynccontextmanager
    async def hold(self, tenant_id: str, key: str, request_hash: str) -> AsyncIterator[Held]:
        """Claim ``key`` for a request with ``request_hash`` for the block's duration.

        Raises a 409 problem while another request holds the key and a 422 one when the
        key was first used with another request. A claim left unsettled when the block
        ends (by an error, say) is released."""
        name = (tenant_id, key)
        if name in self._running:
            await self._refuse_running(tenant_id, key, request_hash)
        self._running.add(name)
        try:
            lock = await self._try_lock(tenant_id, key)
            if lock is None:
                await self._refuse_running(tenant_id, key, request_hash)
            assert lock is not None
            try:
                stored = await self._take(tenant_id, key, request_hash)
                if stored is not None:
                    yield Held(stored, None)
                    return
                claim = Claim(self, tenant_id, key)
                try:
                    yield Held(None, claim)
                finally:
                    if not claim.settled:
                        await asyncio.shield(claim.release())
            finally:
                await asyncio.shield(lock.release())
        finally:
            self._running.discard(name)

    async def _refuse_running(self, tenant_id: str, key: str, request_hash: str) -> None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_select(tenant_id, key))).first()
        live = row is not None and row.expires_at > dt.datetime.now(dt.UTC)
        if live and row is not None and row.request_hash != request_hash:
            raise _reused()
        raise ProblemError(
            409,
            "conflict",
            "a request with this idempotency key is still running; retry it when it has finished",
            field=HEADER,
        )

    async def _take(self, tenant_id: str, key: str, request_hash: str) -> StoredResponse | None:
        """With the key's lock held: the stored response, or None after marking the key
        running for this request (new, expired, or left running by a process that died)."""
        now = dt.datetime.now(dt.UTC)
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            await self.purge_expired(now)
        async with self.write_engine.begin() as conn:
            row = (await conn.execute(_select(tenant_id, key))).first()
            if row is not None and row.expires_at <= now:
                # Forgotten: the key is new again (and its old row goes now, not at a purge).
                await conn.execute(
                    keys_table.delete().where(
                        keys_table.c.tenant_id == tenant_id, keys_table.c.key == key
                    )
                )
                row = None
            if row is None:
                await conn.execute(
                    keys_table.insert().values(
                        tenant_id=tenant_id,
                        key=key,
                        request_hash=request_hash,
                        state="running",
                        owner=self.owner,
                        created_at=now,
                        expires_at=now + self.lifetime,
                    )
                )
                return None
            if row.request_hash != request_hash:
                raise _reused()
            if row.state == "done":
                return StoredResponse(row.status_code, row.content_type, bytes(row.body))
            await conn.execute(
                keys_table.update()
                .where(keys_table.c.tenant_id == tenant_id, keys_table.c.key == key)
                .values(owner=self.owner)
            )
            return None

    async def purge_expired(self, now: dt.datetime | None = None) -> int:
        """Delete every organization's keys that have expired; return how many."""
        moment = dt.datetime.now(dt.UTC) if now is None else now
        async with self.write_engine.begin() as conn:
            result = await conn.execute(
                keys_table.delete().where(keys_table.c.expires_at <= moment)
            )
        return int(result.rowcount)


def _select(tenant_id: str, key: str) -> sa.Select[tuple[str, str, int, str, bytes, dt.datetime]]:
    return sa.select(
        keys_table.c.request_hash,
        keys_table.c.state,
        keys_table.c.status_code,
        keys_table.c.content_type,
        keys_table.c.body,
        keys_table.c.expires_at,
    ).where(keys_table.c.tenant_id == tenant_id, keys_table.c.key == key)


def _reused() -> ProblemError:
    return ProblemError(
        422,
        "idempotency-key-reused",
        "this idempotency key was already used for a different request",
        field=HEADER,
    )


def instance_owner() -> str:
    """This process's name in the rows it claims (for people reading the table)."""
    return f"{os.uname().nodename}:{os.getpid()}"
