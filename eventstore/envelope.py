"""The event envelope: what the store writes and what it hands back."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson
import uuid_utils
import uuid_utils.compat


@dataclass(frozen=True, slots=True)
class Metadata:
    """Who, when, why and from where an event was recorded.

    ``recorded_at`` is the server time the caller stamped on the append; the store keeps it
    both in the metadata (covered by the hash chain) and in an indexed column.
    """

    actor: str
    recorded_at: datetime
    correlation_id: str | None = None
    causation_id: str | None = None
    source_system: str | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe form, as stored (fields without a value are left out)."""
        stored: dict[str, Any] = {
            "actor": self.actor,
            "recorded_at": self.recorded_at.isoformat(),
        }
        for name in ("correlation_id", "causation_id", "source_system", "reason"):
            value = getattr(self, name)
            if value is not None:
                stored[name] = value
        if self.extra:
            stored["extra"] = self.extra
        return stored

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Metadata:
        """Inverse of :meth:`to_dict`."""
        return cls(
            actor=raw["actor"],
            recorded_at=datetime.fromisoformat(raw["recorded_at"]),
            correlation_id=raw.get("correlation_id"),
            causation_id=raw.get("causation_id"),
            source_system=raw.get("source_system"),
            reason=raw.get("reason"),
            extra=dict(raw.get("extra") or {}),
        )


# uuid-utils draws from its own OS-seeded generator, so seeding the global ``random`` (as
# test frameworks do) never makes ids repeat; a forked child reseeds it, or parent and child
# would draw the same bits.
os.register_at_fork(after_in_child=uuid_utils.reseed_rng)


def new_event_id() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7: milliseconds since the epoch, then random
    bits; monotonic within the process).

    Ids made close in time sort close together, so the primary-key index takes new events
    at its right edge instead of dirtying a random page for each one.
    """
    return uuid_utils.compat.uuid7()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended.

    ``event_type`` is a stable string chosen by the producer (never a module path).
    ``metadata`` overrides the append's metadata for this one event when given (for
    example a per-event reason).
    """

    event_type: str
    data: dict[str, Any]
    schema_version: int = 1
    event_id: uuid.UUID = field(default_factory=new_event_id)
    metadata: Metadata | None = None


@dataclass(frozen=True, slots=True)
class FeedPosition:
    """A point in the global feed: the pair ``(transaction id, global position)``.

    On PostgreSQL a global position alone says nothing about commit order across streams;
    the pair does, for readers of the gap-safe feed. On SQLite the transaction id is always
    0 and the position is commit order. Pairs compare lexicographically.
    """

    transaction_id: int
    position: int

    def __lt__(self, other: FeedPosition) -> bool:
        return (self.transaction_id, self.position) < (other.transaction_id, other.position)

    def __le__(self, other: FeedPosition) -> bool:
        return (self.transaction_id, self.position) <= (other.transaction_id, other.position)

    def __str__(self) -> str:
        return f"{self.transaction_id}:{self.position}"

    @classmethod
    def parse(cls, token: str) -> FeedPosition:
        """Parse the ``"<transaction id>:<position>"`` form produced by ``str()``."""
        try:
            tx, _, pos = token.partition(":")
            return cls(int(tx), int(pos))
        except ValueError:
            raise ValueError(
                f"invalid feed position {token!r}: expected '<transaction id>:<position>'"
            ) from None


START = FeedPosition(0, 0)


class RecordedEvent(NamedTuple):
    """An event as stored, after upcasting to its current schema version.

    A named tuple, so reading a large feed stays cheap; the metadata is decoded from its
    stored JSON when first asked for.
    """

    tenant_id: str
    stream_id: str
    version: int
    position: int
    transaction_id: int
    event_id: uuid.UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    stored_metadata: Metadata | dict[str, Any] | str
    hash: str

    @property
    def metadata(self) -> Metadata:
        raw = self.stored_metadata
        if isinstance(raw, Metadata):
            return raw
        return Metadata.from_dict(orjson.loads(raw) if isinstance(raw, str) else raw)

    @property
    def feed_position(self) -> FeedPosition:
        """This event's place in the gap-safe global feed."""
        return FeedPosition(self.transaction_id, self.position)

    @property
    def recorded_at(self) -> datetime:
        return self.metadata.recorded_at


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Outcome of an append; ``token`` is the consistency token to read your writes."""

    stream_id: str
    first_version: int
    version: int
    position: int
    transaction_id: int
    duplicate: bool = False
    last_hash: str | None = None
    """The chain hash of the stream's last event after the append (None on a replay)."""

    @property
    def token(self) -> FeedPosition:
        return FeedPosition(self.transaction_id, self.position)


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What the store knows of one stream."""

    stream_id: str
    exists: bool
    version: int
    last_position: int | None
