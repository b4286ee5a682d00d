"""A generic, tenant-scoped, append-only event store with PostgreSQL and SQLite backends.

It knows nothing of scorecards: it stores typed envelopes and runs deciders it is given.
"""

from eventstore.audit_export import verify_export
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
    EventStoreError,
    IdempotencyKeyReused,
    UpcastError,
)
from eventstore.store import EventStore, InlineHandler, Waiter
from eventstore.upcasting import UpcasterRegistry
from eventstore.verification import BrokenLink, LedgerLeaf, VerificationReport
from eventstore.versions import ANY, NO_STREAM, ExpectedVersion, StreamState

__all__ = [
    "ANY",
    "NO_STREAM",
    "START",
    "AppendResult",
    "BrokenLink",
    "ConcurrencyError",
    "DuplicateEventId",
    "EmptyAppend",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "FeedPosition",
    "IdempotencyKeyReused",
    "InlineHandler",
    "LedgerLeaf",
    "Metadata",
    "NewEvent",
    "RecordedEvent",
    "StreamInfo",
    "StreamState",
    "UpcastError",
    "UpcasterRegistry",
    "VerificationReport",
    "Waiter",
    "verify_export",
]
