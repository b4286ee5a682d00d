"""Snapshots of aggregate state, stored beside the streams they were folded from.

A snapshot is a cache: the state a decider's ``evolve`` leaves after the stream's first
``version`` events, serialised by a :class:`SnapshotCodec` the caller gives (the store knows
nothing of the state inside). The events stay the only source of truth: a snapshot is
written after the events it covers committed, it is only ever replaced by one at a later
version, and a codec names its ``shape`` so that a state whose definition (or whose
``evolve``) changed is folded from the events again instead of read from a stale snapshot.

A snapshot is a *head*, rewritten each time, plus *segments* appended beside it: what a
state only ever adds to (ids never reused, say) is written once, in the segment of the
snapshot after it was added, instead of again in every head. A segment covers the versions
from the snapshot its writer started from (exclusive) to its own (inclusive); the store
returns a head with the segments that cover it from the first event without a gap, and a
head whose segments do not is no snapshot at all (the state is folded from the start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from eventstore.envelope import FeedPosition

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A serialised state at stream ``version``; ``last`` is that event's feed position.

    ``segments`` (as read) are the segments covering versions 1 to ``version``, oldest
    first."""

    version: int
    last: FeedPosition
    data: bytes
    segments: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class SnapshotSegment:
    """What a state added in versions ``after`` + 1 to ``version`` (a codec's bytes)."""

    after: int
    version: int
    data: bytes


@dataclass(frozen=True, slots=True)
class SnapshotParts(Generic[S]):
    """What a codec makes of a state to store: the head, the segment of what was added
    since the state was restored (or last settled), and the state ``settled`` (equal to it,
    with that record of additions emptied) to keep using once both are stored."""

    head: bytes
    segment: bytes
    settled: S


class SnapshotCodec(Protocol[S]):
    """Turns one decider's state into a head and segments, and back.

    ``shape`` names the state's definition and the evolve that produces it; change it (or
    let it be derived from the definition) whenever either changes, and snapshots written
    under the old shape are ignored and rewritten.
    """

    @property
    def shape(self) -> str: ...

    def snapshot(self, state: S, *, whole: bool = False) -> SnapshotParts[S]:
        """The head, and the segment of what was added since the state was restored or
        settled; with ``whole``, a segment of everything added from the first event (the
        store then drops the older segments)."""
        ...

    def restore(self, head: bytes, segments: Sequence[bytes]) -> S: ...
