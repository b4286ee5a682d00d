"""Snapshots of aggregate state, stored beside the streams they were folded from.

A snapshot is a cache: the state a decider's ``evolve`` leaves after the stream's first
``version`` events, serialised by a :class:`SnapshotCodec` the caller gives (the store knows
nothing of the state inside). The events stay the only source of truth: a snapshot is
written after the events it covers committed, it is only ever replaced by one at a later
version, and a codec names its ``shape`` so that a state whose definition (or whose
``evolve``) changed is folded from the events again instead of read from a stale snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from eventstore.envelope import FeedPosition

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A serialised state at stream ``version``; ``last`` is that event's feed position."""

    version: int
    last: FeedPosition
    data: bytes


class SnapshotCodec(Protocol[S]):
    """Turns one decider's state into bytes and back.

    ``shape`` names the state's definition and the evolve that produces it; change it (or
    let it be derived from the definition) whenever either changes, and snapshots written
    under the old shape are ignored and rewritten.
    """

    @property
    def shape(self) -> str: ...

    def encode(self, state: S) -> bytes: ...

    def decode(self, data: bytes) -> S: ...
