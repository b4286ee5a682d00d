"""What a batch of commands on one stream did: an outcome per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from eventstore.envelope import FeedPosition

E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class CommandOutcome(Generic[E]):
    """One command of a batch: the events it produced, or the rejection it raised (then it
    produced nothing and the other commands were decided as if it had not been given)."""

    events: list[E] = field(default_factory=list)
    error: Exception | None = None
    after: Any = None
    """The stream's state once this command's events are applied (None after an error)."""


@dataclass(frozen=True, slots=True)
class BatchResult(Generic[E, S]):
    """What a batch did: an outcome per command in order, the stream's new state and
    version, and the feed position of its last event (the batch's consistency token).

    A replay of a batch already applied under the same idempotency key has ``duplicate``
    set and no outcomes (the first request got them)."""

    outcomes: list[CommandOutcome[E]]
    state: S
    version: int
    position: int | None
    transaction_id: int | None
    attempts: int
    duplicate: bool = False

    @property
    def token(self) -> FeedPosition | None:
        if self.position is None or self.transaction_id is None:
            return None
        return FeedPosition(self.transaction_id, self.position)
