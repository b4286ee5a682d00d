"""The generic command executor: load → fold → decide → append, retrying on conflict."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from eventstore.envelope import AppendResult, FeedPosition, Metadata, NewEvent, RecordedEvent
from eventstore.errors import ConcurrencyError, IdempotencyKeyReused
from eventstore.store import EventStore, InlineHandler
from eventstore.versions import NO_STREAM

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


class CommandExecutor:
    """Runs commands against streams of a store with optimistic concurrency.

    A conflict (another writer appended between our read and our append) reloads the stream
    and decides again, at most ``max_attempts`` times; then the ConcurrencyError propagates.
    Errors raised by ``decide`` propagate unchanged and nothing is written.

    With ``cache_size`` > 0 the executor keeps the folded state of the streams it used last
    (states are immutable, events never change): the next command on a stream reads and folds
    only the events appended since, whoever appended them.
    """

    def __init__(self, store: EventStore, *, max_attempts: int = 5, cache_size: int = 0) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        self.store = store
        self.max_attempts = max_attempts
        self.cache_size = cache_size
        self._states: OrderedDict[
            tuple[str, str, int], tuple[object, Any, int, FeedPosition | None]
        ] = OrderedDict()

    async def load(
        self, tenant_id: str, stream_id: str, decider: DeciderLike[C, E, S], codec: Codec[E]
    ) -> tuple[S, int]:
        """Fold a stream into its current state; return it with the stream's version."""
        state, version, _ = await self._load(tenant_id, stream_id, decider, codec)
        return state, version

    async def _load(
        self, tenant_id: str, stream_id: str, decider: DeciderLike[C, E, S], codec: Codec[E]
    ) -> tuple[S, int, FeedPosition | None]:
        """The stream's state and version, and the feed position of its last event."""
        state, version, last = self._cached(tenant_id, stream_id, decider)
        for recorded in await self.store.read_stream(
            tenant_id, stream_id, from_version=version + 1
        ):
            state = decider.evolve(state, codec.decode(recorded))
            version = recorded.version
            last = recorded.feed_position
        self._remember(tenant_id, stream_id, decider, state, version, last)
        return state, version, last

    def _cached(
        self, tenant_id: str, stream_id: str, decider: DeciderLike[C, E, S]
    ) -> tuple[S, int, FeedPosition | None]:
        found = self._states.get((tenant_id, stream_id, id(decider)))
        if found is None or found[0] is not decider:
            return decider.initial_state, 0, None
        self._states.move_to_end((tenant_id, stream_id, id(decider)))
        return found[1], found[2], found[3]

    def _remember(
        self,
        tenant_id: str,
        stream_id: str,
        decider: object,
        state: object,
        version: int,
        last: FeedPosition | None,
    ) -> None:
        if not self.cache_size:
            return
        key = (tenant_id, stream_id, id(decider))
        self._states[key] = (decider, state, version, last)
        self._states.move_to_end(key)
        while len(self._states) > self.cache_size:
            self._states.popitem(last=False)

    async def execute(
        self,
        tenant_id: str,
        stream_id: str,
        command: C,
        decider: DeciderLike[C, E, S],
        codec: Codec[E],
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        inline: Sequence[InlineHandler] = (),
    ) -> ExecutionResult[E, S]:
        """Execute ``command`` on ``stream_id``.

        With an idempotency key (and the request hash of the command), a repeated command
        returns the first result without deciding again.
        """
        if idempotency_key is not None:
            if request_hash is None:
                raise ValueError("an idempotency key needs the request_hash of the command")
            found = await self.store.lookup_idempotency(tenant_id, idempotency_key)
            if found is not None:
                if found[0] != request_hash:
                    raise IdempotencyKeyReused(idempotency_key)
                state, _ = await self.load(tenant_id, stream_id, decider, codec)
                return self._replayed(found[1], state)
        attempt = 0
        while True:
            attempt += 1
            state, version, last = await self._load(tenant_id, stream_id, decider, codec)
            new_events = decider.decide(command, state)
            if not new_events:
                return ExecutionResult(
                    [],
                    state,
                    version,
                    None if last is None else last.position,
                    None if last is None else last.transaction_id,
                    attempt,
                )
            try:
                appended = await self.store.append(
                    tenant_id,
                    stream_id,
                    version if version else NO_STREAM,
                    [codec.encode(event) for event in new_events],
                    metadata,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                    inline=inline,
                )
            except ConcurrencyError:
                if attempt >= self.max_attempts:
                    raise
                continue
            if appended.duplicate:
                # Another request with our key won a race: report the state it left.
                state, _ = await self.load(tenant_id, stream_id, decider, codec)
                return self._replayed(appended, state)
            for event in new_events:
                state = decider.evolve(state, event)
            self._remember(tenant_id, stream_id, decider, state, appended.version, appended.token)
            return ExecutionResult(
                new_events,
                state,
                appended.version,
                appended.position,
                appended.transaction_id,
                attempt,
            )

    @staticmethod
    def _replayed(appended: AppendResult, state: S) -> ExecutionResult[E, S]:
        return ExecutionResult(
            [],
            state,
            appended.version,
            appended.position,
            appended.transaction_id,
            1,
            duplicate=True,
        )
