"""What the command executor is given and gives back: deciders, event codecs, results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from eventstore.envelope import FeedPosition, NewEvent, RecordedEvent

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")
C_contra = TypeVar("C_contra", contravariant=True)


class DeciderLike(Protocol[C_contra, E, S]):
    """Anything with an initial state, an evolve and a decide (the domain's Decider fits)."""

    @property
    def initial_state(self) -> S: ...

    @property
    def evolve(self) -> Callable[[S, E], S]: ...

    @property
    def decide(self) -> Callable[[C_contra, S], list[E]]: ...


class Codec(Protocol[E]):
    """Turns domain events into envelopes and back."""

    def encode(self, event: E) -> NewEvent: ...

    def decode(self, recorded: RecordedEvent) -> E: ...


@dataclass(frozen=True, slots=True)
class ExecutionResult(Generic[E, S]):
    """What a command did: its events, the stream's new state and version, and the
    consistency token (feed position) to read the write back.

    A command that changed nothing carries the position of the stream's last event, so its
    token still names a moment at which the stream is as ``state`` says; only a command on a
    stream without events (that appended none) has no position.
    """

    events: list[E]
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
