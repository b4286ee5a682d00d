"""The event store port: one protocol, implemented for PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from eventstore.digests import LedgerDigest
from eventstore.envelope import (
    AppendResult,
    FeedPosition,
    Metadata,
    NewEvent,
    RecordedEvent,
    StreamInfo,
)
from eventstore.lag import FeedLag
from eventstore.snapshots import Snapshot, SnapshotSegment
from eventstore.verification import LedgerLeaf, VerificationReport
from eventstore.versions import ExpectedVersion

InlineHandler = Callable[[AsyncConnection, Sequence[RecordedEvent]], Awaitable[None]]
"""Runs inside the append's transaction with the events just written; raising rolls back."""


class Waiter(Protocol):
    """Wakes a feed reader when new events may be there."""

    async def wait(self, timeout: float) -> bool:
        """Return True when woken by a notification, False when the timeout ran out."""
        ...


class EventStore(Protocol):
    """Append-only, tenant-scoped event storage with a gap-safe global feed.

    The store lives in a SQL database that projections share: they keep their tables and
    checkpoints there and write them in the same transaction (``write_engine``), read them
    through ``engine``; ``lock_appends`` and ``read_committed`` let a projection switch
    generations with no append in between.
    """

    @property
    def engine(self) -> AsyncEngine:
        """Connections for reading (the store's and the projections' tables)."""
        ...

    @property
    def write_engine(self) -> AsyncEngine:
        """Connections for writing (on SQLite the single writer)."""
        ...

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
    ) -> AppendResult: ...

    async def read_stream(
        self,
        tenant_id: str,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        as_of_position: int | None = None,
        as_of_time: datetime | None = None,
    ) -> list[RecordedEvent]: ...

    async def read_feed(
        self,
        after: FeedPosition,
        *,
        tenant_id: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedEvent]: ...

    async def stream_info(self, tenant_id: str, stream_id: str) -> StreamInfo: ...

    async def lookup_idempotency(
        self, tenant_id: str, key: str
    ) -> tuple[str, AppendResult] | None: ...

    async def head(self, tenant_id: str | None = None) -> FeedPosition: ...

    async def feed_lag(self, after: FeedPosition) -> FeedLag:
        """Committed events after ``after``, and how many of them readers do not get yet."""
        ...

    async def lock_appends(self, conn: AsyncConnection) -> None:
        """Within ``conn``'s write transaction, wait for appends in flight and keep new ones
        out until it ends."""
        ...

    async def read_committed(
        self, conn: AsyncConnection, after: FeedPosition, *, limit: int = 1000
    ) -> list[RecordedEvent]:
        """The feed on ``conn`` after :meth:`lock_appends`, when every append has committed."""
        ...

    async def read_snapshot(
        self, tenant_id: str, stream_id: str, shape: str
    ) -> Snapshot | None: ...

    async def write_snapshot(
        self,
        tenant_id: str,
        stream_id: str,
        shape: str,
        snapshot: Snapshot,
        segment: SnapshotSegment | None = None,
    ) -> None: ...

    def export(self, tenant_id: str, stream_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """Stored rows as JSON-safe dicts in feed order, exactly as hashed."""
        ...

    async def verify(
        self,
        tenant_id: str,
        stream_id: str | None = None,
        *,
        ledger: Sequence[LedgerLeaf] = (),
        digest: LedgerDigest | None = None,
        public_key: str | None = None,
    ) -> VerificationReport: ...

    def waiter(self) -> Waiter: ...

    async def close(self) -> None: ...
