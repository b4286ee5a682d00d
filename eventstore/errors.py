"""Typed errors raised by the event store."""

from __future__ import annotations


class EventStoreError(Exception):
    """Base class of every event-store error."""


class ConcurrencyError(EventStoreError):
    """The stream's version was not the one the append expected."""

    def __init__(self, stream_id: str, expected: object, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        shown = "no stream" if actual is None else str(actual)
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, but the stream is at {shown}"
        )


class IdempotencyKeyReused(EventStoreError):
    """An idempotency key was used again with a different payload."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"idempotency key {key!r} was already used for a different request; "
            "use a new key for a new request"
        )


class DuplicateEventId(EventStoreError):
    """An event id that is already stored was appended again (ids are unique store-wide)."""

    def __init__(self, event_ids: list[str]) -> None:
        self.event_ids = event_ids
        shown = ", ".join(event_ids[:5]) + (" ..." if len(event_ids) > 5 else "")
        super().__init__(
            f"event_id: one of the appended ids is already stored ({shown}); "
            "give every new event a new id"
        )


class EmptyAppend(EventStoreError):
    """An append carried no events."""

    def __init__(self, stream_id: str) -> None:
        super().__init__(f"append to stream {stream_id!r} carried no events")


class UpcastError(EventStoreError):
    """A stored event could not be brought to its current schema version."""
