"""The running system behind the API: store, ledger, tokens, projection runners, fan-out.

Built from :class:`~api.settings.Settings` by :func:`open_runtime`; nothing here connects
or starts a task until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog

from api.auth.tokens import TokenRegistry
from api.digest_keys import digest_signer
from api.ingest import Ingestion
from api.live import FeedFanout
from api.migrations import MigrationsBehind, current_revision, head_revision, upgrade_async
from api.rest.idempotency import IdempotencyKeys, instance_owner
from api.settings import ProjectionsMode, Settings
from eventstore import FeedPosition
from eventstore.digests import DigestSigner
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from ledger import Ledger
from projections import async_projections, checkpoints
from projections.ledger import LedgerProjection
from projections.queries.ledger import issue_digest, tenants_behind_their_digest
from projections.runner import ProjectionRunner

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    """Everything a request may use; one per process."""

    settings: Settings
    store: SqlEventStore
    ledger: Ledger
    tokens: TokenRegistry
    fanout: FeedFanout
    ingestion: Ingestion
    idempotency: IdempotencyKeys
    signer: DigestSigner | None = None
    """Signs ledger digests (None: no key configured, digests cannot be issued)."""
    runners: list[ProjectionRunner] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_projections(self, position: FeedPosition, timeout: float) -> bool:
        """Wait until every async projection's checkpoint is at or past ``position``; False
        when ``timeout`` runs out first."""
        names = [projection.name for projection in async_projections()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiter = self.store.waiter()
        while True:
            async with self.store.engine.connect() as conn:
                reached = [await checkpoints.load(conn, name) for name in names]
            if all(position <= checkpoint for checkpoint in reached):
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            # Checkpoints move a moment after the events that wake this waiter.
            await waiter.wait(timeout=min(remaining, 0.02))

    async def start_projections(self) -> None:
        for projection in async_projections():
            runner = ProjectionRunner(
                self.store, projection, poll_interval=self.settings.poll_interval
            )
            self.runners.append(runner)
            self._tasks.append(
                asyncio.create_task(runner.run(self._stop), name=f"projection-{projection.name}")
            )

        if self.signer is not None and self.settings.digest_interval > 0:
            ledger = next(r for r in self.runners if r.projection.name == LedgerProjection.name)
            self._tasks.append(
                asyncio.create_task(self._issue_digests(ledger, self.signer), name="ledger-digests")
            )

    async def _issue_digests(self, ledger: ProjectionRunner, signer: DigestSigner) -> None:
        """Every ``digest_interval`` seconds, while this process keeps the ledger, sign a
        digest for each organization whose ledger grew since its last one."""
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.digest_interval)
            if self._stop.is_set() or not ledger.active.is_set():
                continue
            try:
                for tenant_id in await tenants_behind_their_digest(self.store.engine):
                    digest = await issue_digest(self.store, tenant_id, signer)
                    log.info("ledger_digest_issued", tenant=tenant_id, size=digest.tree_size)
            except Exception:
                log.exception("ledger_digest_failed")  # the next round tries again

    def runners_alive(self) -> bool:
        return all(not task.done() for task in self._tasks)

    async def close(self) -> None:
        self._stop.set()
        await self.fanout.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.idempotency.close()
        await self.store.close()


async def check_migrations(settings: Settings, store: SqlEventStore) -> None:
    """Migrate SQLite; refuse a PostgreSQL database whose migrations are behind."""
    if settings.is_sqlite:
        await upgrade_async(settings.database_url)
        return
    current = await current_revision(store.engine)
    head = head_revision()
    if current != head:
        raise MigrationsBehind(
            f"the database is at migration {current or 'none'}, this version needs {head}: "
            f"run `scoreledger db upgrade` (with SCORELEDGER_DATABASE_URL set) first"
        )


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Open the store (migrating SQLite), start the runners and the fan-out; close all."""
    signer = digest_signer(settings)
    store = open_store(settings.database_url)
    try:
        await check_migrations(settings, store)
    except BaseException:
        await store.close()
        raise
    ledger = Ledger(store)
    runtime = Runtime(
        settings=settings,
        store=store,
        ledger=ledger,
        tokens=TokenRegistry(store.engine, store.write_engine),
        fanout=FeedFanout(store, poll_interval=settings.poll_interval),
        ingestion=Ingestion(ledger, store.engine),
        idempotency=IdempotencyKeys(
            store.engine,
            store.write_engine,
            owner=instance_owner(),
            lifetime=dt.timedelta(hours=settings.idempotency_key_hours),
        ),
        signer=signer,
    )
    try:
        if settings.projections is ProjectionsMode.ON:
            await runtime.start_projections()
        await runtime.fanout.start()
        log.info("runtime_started", database=redacted_url(settings.database_url))
        yield runtime
    finally:
        await runtime.close()


def redacted_url(url: str) -> str:
    """The database URL without its credentials, for logs."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, _ = head.partition("://")
    return f"{scheme}://***@{tail}"
