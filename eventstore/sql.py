"""The SQLAlchemy implementation shared by the PostgreSQL and SQLite backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventstore import snapshot_rows
from eventstore.append import (
    AppendRequest,
    UniqueViolation,
    request_fingerprint,
)
from eventstore.digests import LedgerDigest
from eventstore.envelope import (
    START,
    AppendResult,
    FeedPosition,
    Metadata,
    NewEvent,
    RecordedEvent,
    StreamInfo,
)
from eventstore.errors import (
    ConcurrencyError,
    DuplicateEventId,
    EmptyAppend,
    IdempotencyKeyReused,
)
from eventstore.integrity import export_rows, verify_rows
from eventstore.lag import FeedLag
from eventstore.snapshots import Snapshot, SnapshotSegment
from eventstore.store import InlineHandler, Waiter
from eventstore.tables import events, idempotency_keys
from eventstore.upcasting import UpcasterRegistry
from eventstore.verification import LedgerLeaf, VerificationReport
from eventstore.versions import ANY, ExpectedVersion

_COLUMNS = (
    events.c.global_position,
    events.c.transaction_id,
    events.c.tenant_id,
    events.c.stream_id,
    events.c.version,
    events.c.event_id,
    events.c.event_type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.hash,
)

_TAIL = (
    sa.select(events.c.version, events.c.hash, events.c.global_position)
    .where(
        events.c.tenant_id == sa.bindparam("tenant_id"),
        events.c.stream_id == sa.bindparam("stream_id"),
    )
    .order_by(events.c.version.desc())
    .limit(1)
)

_ANY_RETRIES = 10


class SqlEventStore:
    """Event store over SQLAlchemy Core. Backend specifics live in the subclasses.

    ``engine`` serves reads; ``write_engine`` serves appends (the same engine on PostgreSQL,
    a single-connection engine that begins ``IMMEDIATE`` transactions on SQLite).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        write_engine: AsyncEngine | None = None,
        upcasters: UpcasterRegistry | None = None,
    ) -> None:
        self.engine = engine
        self.write_engine = write_engine or engine
        self.upcasters = upcasters or UpcasterRegistry()
        self.append_listeners: list[Callable[[int], None]] = []
        """Called after each append commits with how many events it wrote (replays of an
        idempotent request wrote none and call nothing); for metrics."""

    # -- appending ---------------------------------------------------------------------

    async def append(
        self,
        tenant_id: str,
        stream_id: str,
        expected_version: ExpectedVersion,
        events: Sequence[NewEvent],
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        inline: Sequence[InlineHandler] = (),
        known_tail_hash: str | None = None,
    ) -> AppendResult:
        """Append ``events`` to a stream atomically, checking the expected version.

        With an idempotency key, a repeat of the same request returns the first result and
        writes nothing; the same key with a different request raises IdempotencyKeyReused.
        Inline handlers run in the same transaction; if one raises, nothing is stored.
        ``known_tail_hash`` (with an exact expected version) is the hash of the stream's event
        at that version as the caller knows it, which spares reading the tail; a stale one is
        a conflict like any other.
        """
        if not events:
            raise EmptyAppend(stream_id)
        if isinstance(expected_version, int) and expected_version < 0:
            raise ValueError(f"expected_version must be >= 0, got {expected_version}")
        remember = None
        if idempotency_key is not None:
            fingerprint = request_hash or request_fingerprint(stream_id, events)
            found = await self._replay_idempotent(tenant_id, idempotency_key, fingerprint)
            if found is not None:
                return found
            remember = (idempotency_key, fingerprint)
        known_tail = None
        if known_tail_hash is not None:
            if not isinstance(expected_version, int) or expected_version < 1:
                raise ValueError("known_tail_hash needs an exact expected version of a stream")
            known_tail = (expected_version, known_tail_hash)
        request = AppendRequest(
            tenant_id, stream_id, expected_version, events, metadata, known_tail
        )
        attempts = _ANY_RETRIES if expected_version is ANY else 1
        for attempt in range(attempts):
            try:
                result = await self._append_once(request, remember, inline)
            except UniqueViolation as exc:
                # A concurrent request with the same idempotency key may have won the race
                # (with the same event ids, its events are the ones already stored).
                if remember is not None and (
                    found := await self._replay_idempotent(tenant_id, *remember)
                ):
                    return found
                if exc.what == "event_id":
                    raise DuplicateEventId([str(e.event_id) for e in events]) from exc
                if exc.what == "idempotency":
                    raise
                if attempt + 1 < attempts:
                    continue
                info = await self.stream_info(tenant_id, stream_id)
                raise ConcurrencyError(
                    stream_id, expected_version, info.version if info.exists else None
                ) from exc
            except ConcurrencyError:
                if remember is not None and (
                    found := await self._replay_idempotent(tenant_id, *remember)
                ):
                    return found
                raise
            self._committed()
            for listener in self.append_listeners:
                listener(len(events))
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _append_once(
        self,
        request: AppendRequest,
        remember: tuple[str, str] | None,
        inline: Sequence[InlineHandler],
    ) -> AppendResult:
        """One transaction: read the tail, check, insert, remember the key, run handlers.
        Unique-constraint failures are raised as UniqueViolation. Each backend has its own,
        on its driver."""
        raise NotImplementedError

    def _committed(self) -> None:
        """Called after an append commits (in-process wake-up)."""

    async def lookup_idempotency(self, tenant_id: str, key: str) -> tuple[str, AppendResult] | None:
        """The stored request hash and result for an idempotency key, if it was used."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(idempotency_keys).where(
                        idempotency_keys.c.tenant_id == tenant_id,
                        idempotency_keys.c.key == key,
                    )
                )
            ).first()
        if row is None:
            return None
        return row.request_hash, AppendResult(
            stream_id=row.stream_id,
            first_version=row.first_version,
            version=row.last_version,
            position=row.last_position,
            transaction_id=row.transaction_id,
            duplicate=True,
        )

    async def _replay_idempotent(
        self, tenant_id: str, key: str, fingerprint: str
    ) -> AppendResult | None:
        found = await self.lookup_idempotency(tenant_id, key)
        if found is None:
            return None
        stored_hash, result = found
        if stored_hash != fingerprint:
            raise IdempotencyKeyReused(key)
        return result

    # -- reading -----------------------------------------------------------------------

    async def read_stream(
        self,
        tenant_id: str,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        as_of_position: int | None = None,
        as_of_time: datetime | None = None,
    ) -> list[RecordedEvent]:
        """Events of one stream in version order, optionally bounded by version, by global
        position (within one stream position order is version order) or by recorded time."""
        raise NotImplementedError

    async def read_feed(
        self,
        after: FeedPosition = START,
        *,
        tenant_id: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedEvent]:
        """The next events of the global feed after ``after``, in gap-safe order.

        Every event is delivered exactly once to a reader that always passes the feed
        position of the last event it received, even when transactions commit out of order.
        """
        raise NotImplementedError

    def _feed_query(self, after: FeedPosition, tenant_id: str | None, limit: int) -> sa.Select[Any]:
        raise NotImplementedError

    def _after(self, after: FeedPosition) -> sa.ColumnElement[bool]:
        raise NotImplementedError

    def _feed_order(self) -> tuple[sa.ColumnElement[Any], ...]:
        raise NotImplementedError

    async def lock_appends(self, conn: AsyncConnection) -> None:
        """Within ``conn``'s write transaction, wait for in-flight appends to finish and keep
        new ones out until it ends (a projection switching generations needs this)."""

    async def read_committed(
        self, conn: AsyncConnection, after: FeedPosition, *, limit: int = 1000
    ) -> list[RecordedEvent]:
        """Like :meth:`read_feed`, on ``conn``, without the in-flight filter: only for use
        after :meth:`lock_appends`, when every append has committed."""
        query = (
            sa.select(*_COLUMNS)
            .where(self._after(after))
            .order_by(*self._feed_order())
            .limit(limit)
        )
        rows = (await conn.execute(query)).all()
        return [self._to_recorded(row) for row in rows]

    async def feed_lag(self, after: FeedPosition) -> FeedLag:
        """How many committed events follow ``after``, when the oldest of them was recorded,
        and how many of them readers do not get yet (none here: on one writer at a time,
        every committed event is released; PostgreSQL overrides this)."""
        query = (
            self._feed_query(after, None, 1)
            .with_only_columns(sa.func.count(), sa.func.min(events.c.recorded_at))
            .order_by(None)
            .limit(None)
        )
        async with self.engine.connect() as conn:
            count, oldest = (await conn.execute(query)).one()
        return FeedLag(int(count), oldest)

    async def head(self, tenant_id: str | None = None) -> FeedPosition:
        """The feed position of the newest event a feed reader can see now."""
        raise NotImplementedError

    async def stream_info(self, tenant_id: str, stream_id: str) -> StreamInfo:
        """Whether the stream exists, its version and the global position of its last event."""
        async with self.engine.connect() as conn:
            tail = (
                await conn.execute(_TAIL, {"tenant_id": tenant_id, "stream_id": stream_id})
            ).first()
        if tail is None:
            return StreamInfo(stream_id, exists=False, version=0, last_position=None)
        return StreamInfo(
            stream_id, exists=True, version=tail.version, last_position=tail.global_position
        )

    def _upcast(self, event: RecordedEvent) -> RecordedEvent:
        version, data = self.upcasters.upcast(event.event_type, event.schema_version, event.data)
        return event._replace(schema_version=version, data=data)

    def _to_recorded(self, row: Any) -> RecordedEvent:
        schema_version, data = row.schema_version, row.data
        if self.upcasters:
            schema_version, data = self.upcasters.upcast(row.event_type, schema_version, data)
        return RecordedEvent(
            tenant_id=row.tenant_id,
            stream_id=row.stream_id,
            version=row.version,
            position=row.global_position,
            transaction_id=row.transaction_id,
            event_id=row.event_id
            if isinstance(row.event_id, uuid.UUID)
            else uuid.UUID(str(row.event_id)),
            event_type=row.event_type,
            schema_version=schema_version,
            data=data,
            stored_metadata=row.metadata,
            hash=row.hash,
        )

    # -- snapshots -----------------------------------------------------------------------

    async def read_snapshot(self, tenant_id: str, stream_id: str, shape: str) -> Snapshot | None:
        """The stored snapshot of a stream's state in ``shape`` with the segments covering
        it, if there is one (see :mod:`eventstore.snapshots`)."""
        return await snapshot_rows.read_snapshot(self.engine, tenant_id, stream_id, shape)

    async def write_snapshot(
        self,
        tenant_id: str,
        stream_id: str,
        shape: str,
        snapshot: Snapshot,
        segment: SnapshotSegment | None = None,
    ) -> None:
        """Store ``snapshot`` unless one at the same or a later version is stored already,
        with ``segment`` beside it."""
        await snapshot_rows.write_snapshot(
            self.write_engine, tenant_id, stream_id, shape, snapshot, segment
        )

    # -- integrity -----------------------------------------------------------------------

    async def export(
        self, tenant_id: str, stream_id: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Stored rows as JSON-safe dicts in feed order, exactly as hashed, with the columns
        reads filter on (``recorded_at``, ``transaction_id``, ``global_position``)."""
        async for row in export_rows(self.engine, self._feed_order(), tenant_id, stream_id):
            yield row

    async def verify(
        self,
        tenant_id: str,
        stream_id: str | None = None,
        *,
        ledger: Sequence[LedgerLeaf] = (),
        digest: LedgerDigest | None = None,
        public_key: str | None = None,
    ) -> VerificationReport:
        """Recompute a tenant's evidence from the events table and name what is wrong.

        Every hash chain (or one stream's), the ``recorded_at`` column against its hashed
        copy, the events the idempotency keys name; with ``ledger`` (the accumulator's
        leaves) each event's recomputed leaf and the events the ledger recorded; with
        ``digest`` (and the ``public_key`` it must verify with) the root over the first
        ``tree_size`` events in feed order. A digest covers a whole tenant, so it cannot be
        combined with ``stream_id``.
        """
        return await verify_rows(
            self.engine,
            self.export(tenant_id),
            tenant_id,
            stream_id,
            ledger=ledger,
            digest=digest,
            public_key=public_key,
        )

    # -- notifications -------------------------------------------------------------------

    def waiter(self) -> Waiter:
        """A waiter registered now: notifications from here on wake it."""
        raise NotImplementedError

    async def close(self) -> None:
        """Dispose of the engines."""
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


def check_aware(moment: datetime | None) -> None:
    """Refuse a naive time: the backends would read it differently."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"as_of_time: {moment.isoformat()} needs a time zone")
