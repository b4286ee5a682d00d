"""The event store port: one protocol, implemented for PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore.envelope import (
    AppendResult,
    FeedPosition,
    Metadata,
    NewEvent,
    RecordedEvent,
    StreamInfo,
)
from eventstore.snapshots import Snapshot, SnapshotSegment
from eventstore.verification import VerificationReport
from eventstore.versions import ExpectedVersion

InlineHandler = Callable[[AsyncConnection, Sequence[RecordedEvent]], Awaitable[None]]
"""Runs inside the append's transaction with the events just written; raising rolls back."""


class Waiter(Protocol):
    """Wakes a feed reader when new events may be there."""

    async def wait(self, timeout: float) -> bool:
        """Return True when woken by a notification, False when the timeout ran out."""
        ...


class EventStore(Protocol):
    """Append-only, tenant-scoped event storage with a gap-safe global feed."""

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

    async def verify(self, tenant_id: str, stream_id: str | None = None) -> VerificationReport: ...

    def waiter(self) -> Waiter: ...

    async def close(self) -> None: ...
