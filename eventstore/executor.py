"""The generic command executor: load → fold → decide → append, retrying on conflict.

Its cost does not grow with a stream's history. Three parts make it so:

- the states it is given are persistent (the domain's maps share structure between
  versions), so evolving a state by one event costs about the same at any length;
- it keeps the states it used last (an LRU cache), so a warm command reads and folds only
  the events appended since, whoever appended them;
- with a :class:`~eventstore.snapshots.SnapshotCodec` it stores a snapshot of the state
  beside the stream every ``snapshot_every`` events and starts a cold load from the newest
  one, so a restarted process folds at most that many events instead of the whole stream.
  A snapshot is a head plus segments (:mod:`eventstore.snapshots`): what a state only adds
  to is written once, in the segment of the next snapshot, so writing one costs what changed
  since the last, and a codec may restore a state whose parts are decoded when first used
  (the scorecard's does: :mod:`ledger.state_snapshots`), so a cold load costs what the
  command reaches, not what the history holds. Snapshots are caches, never the truth: they
  are written after the events they cover have committed, keyed by the codec's ``shape``,
  and a missing, foreign-shaped or incomplete one only means folding from the start again.
  A long fold yields to the event loop between chunks so a cold load does not stall the
  other requests of the process.

Concurrent commands on a stream in one process never conflict: they take turns, and the
commands without an idempotency key that wait for a turn are folded into one batch, one
state and one append (:mod:`eventstore.folding`).

We chose snapshots over smaller streams (measurements in streams of their own) because
they keep the aggregate boundary — every invariant is still checked against one state in
one stream with one expected version — and leave the events, the hash chains and the read
models untouched.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog

from eventstore.batches import BatchResult, CommandOutcome
from eventstore.contention import StreamQueue, jittered_backoff
from eventstore.envelope import AppendResult, FeedPosition, Metadata
from eventstore.errors import ConcurrencyError
from eventstore.execution import Codec, DeciderLike, ExecutionResult
from eventstore.folding import Waiting, WaitingCommands, settle
from eventstore.replay import Replay
from eventstore.snapshots import Snapshot, SnapshotCodec, SnapshotSegment
from eventstore.store import EventStore, InlineHandler
from eventstore.versions import NO_STREAM

__all__ = ["Codec", "CommandExecutor", "DeciderLike", "ExecutionResult"]

log = structlog.get_logger(__name__)

_FOLD_CHUNK = 1000
"""Events folded between two yields to the event loop."""

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(slots=True)
class _Loaded(Generic[S]):
    state: S
    version: int
    last: FeedPosition | None
    snapshot_version: int
    tail_hash: str | None = None
    """The chain hash of the event at ``version``, when known (not after a bare snapshot)."""
    segments: int = 0
    """How many stored segments cover the snapshot at ``snapshot_version``."""


class CommandExecutor:
    """Runs commands against streams of a store with optimistic concurrency.

    A conflict (another writer appended between our read and our append) reloads the stream
    and decides again, at most ``max_attempts`` times; then the ConcurrencyError propagates.
    Errors raised by ``decide`` propagate unchanged and nothing is written.

    With ``cache_size`` > 0 the executor keeps the folded state of the streams it used last
    (states are immutable, events never change): the next command on a stream reads and folds
    only the events appended since, whoever appended them. Given a snapshot codec, a load
    that misses the cache starts from the stream's stored snapshot, and a snapshot is
    written whenever the state is ``snapshot_every`` events past the last one; every
    ``compact_segments``-th one writes its segment whole, replacing the stored ones.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        max_attempts: int = 5,
        cache_size: int = 0,
        snapshot_every: int = 500,
        compact_segments: int = 16,
        backoff: Callable[[int], float] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        if snapshot_every < 1:
            raise ValueError("snapshot_every must be at least 1")
        if compact_segments < 1:
            raise ValueError("compact_segments must be at least 1")
        self.store = store
        self.max_attempts = max_attempts
        self.cache_size = cache_size
        self.snapshot_every = snapshot_every
        self.compact_segments = compact_segments
        """A snapshot whose head would have this many segments writes one whole one."""
        self.backoff = backoff or jittered_backoff
        """Seconds to wait after the n-th conflicting attempt (another process wrote)."""
        self._queue = StreamQueue()
        self._waiting = WaitingCommands()
        self.events_folded = 0
        """Stored events read and folded so far (tests bound a load's work with it)."""
        self._states: OrderedDict[tuple[str, str, int], tuple[object, _Loaded[Any]]] = OrderedDict()

    async def load(
        self,
        tenant_id: str,
        stream_id: str,
        decider: DeciderLike[C, E, S],
        codec: Codec[E],
        *,
        snapshots: SnapshotCodec[S] | None = None,
    ) -> tuple[S, int]:
        """Fold a stream into its current state; return it with the stream's version."""
        loaded = await self._load(tenant_id, stream_id, decider, codec, snapshots)
        return loaded.state, loaded.version

    async def _load(
        self,
        tenant_id: str,
        stream_id: str,
        decider: DeciderLike[C, E, S],
        codec: Codec[E],
        snapshots: SnapshotCodec[S] | None,
        *,
        trust_cache: bool = False,
    ) -> _Loaded[S]:
        """The stream's state and version, the feed position of its last event and the
        version of its newest snapshot.

        With ``trust_cache``, a cached state whose tail hash is known is returned without
        reading the events appended since: only for a state the caller is about to append
        after with that version expected, where a stale cache shows as a conflict."""
        loaded = self._cached(tenant_id, stream_id, decider)
        if trust_cache and loaded is not None and loaded.tail_hash is not None:
            return loaded
        if loaded is None:
            loaded = _Loaded(decider.initial_state, 0, None, 0)
            if snapshots is not None:
                found = await self.store.read_snapshot(tenant_id, stream_id, snapshots.shape)
                if found is not None:
                    state = snapshots.restore(found.data, found.segments)
                    loaded = _Loaded(
                        state, found.version, found.last, found.version,
                        segments=len(found.segments),
                    )  # fmt: skip
        recorded = await self.store.read_stream(
            tenant_id, stream_id, from_version=loaded.version + 1
        )
        state, evolve, decode = loaded.state, decider.evolve, codec.decode
        for start in range(0, len(recorded), _FOLD_CHUNK):
            if start:
                await asyncio.sleep(0)  # let the process's other requests run
            for event in recorded[start : start + _FOLD_CHUNK]:
                state = evolve(state, decode(event))
        if recorded:
            self.events_folded += len(recorded)
            loaded = _Loaded(
                state,
                recorded[-1].version,
                recorded[-1].feed_position,
                loaded.snapshot_version,
                recorded[-1].hash,
                loaded.segments,
            )
        await self._keep(tenant_id, stream_id, decider, loaded, snapshots)
        return loaded

    def _cached(
        self, tenant_id: str, stream_id: str, decider: DeciderLike[C, E, S]
    ) -> _Loaded[S] | None:
        key = (tenant_id, stream_id, id(decider))
        found = self._states.get(key)
        if found is None or found[0] is not decider:
            return None
        self._states.move_to_end(key)
        cached: _Loaded[S] = found[1]
        return cached

    async def _keep(
        self,
        tenant_id: str,
        stream_id: str,
        decider: object,
        loaded: _Loaded[S],
        snapshots: SnapshotCodec[S] | None,
    ) -> None:
        """Cache ``loaded`` and, when it is far enough past the last snapshot, store one."""
        if (
            snapshots is not None
            and loaded.last is not None
            and loaded.version - loaded.snapshot_version >= self.snapshot_every
        ):
            # Segments pile up one per snapshot, and a cold load reads every one covering
            # the head (a restored scorecard builds an id bucket from its frame in each: 200
            # frames at 100,000 events). Every ``compact_segments``-th snapshot writes one
            # segment of everything instead, which replaces the others in the store.
            whole = loaded.segments + 1 >= self.compact_segments
            parts = snapshots.snapshot(loaded.state, whole=whole)
            snapshot = Snapshot(loaded.version, loaded.last, parts.head)
            after = 0 if whole else loaded.snapshot_version
            segment = SnapshotSegment(after, loaded.version, parts.segment)
            try:
                await self.store.write_snapshot(
                    tenant_id, stream_id, snapshots.shape, snapshot, segment
                )
            except Exception:
                # The command has committed; a snapshot is only a cache, so failing to store
                # one must not turn a stored command into an error. The next load folds more
                # (and the next snapshot's segment covers what this one's would have).
                log.warning("snapshot_write_failed", stream_id=stream_id, exc_info=True)
            else:
                loaded.state = parts.settled
                loaded.snapshot_version = loaded.version
                loaded.segments = 1 if whole else loaded.segments + 1
        if not self.cache_size:
            return
        key = (tenant_id, stream_id, id(decider))
        self._states[key] = (decider, loaded)
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
        snapshots: SnapshotCodec[S] | None = None,
    ) -> ExecutionResult[E, S]:
        """Execute ``command`` on ``stream_id`` (a batch of one whose rejection propagates).

        With an idempotency key (and the request hash of the command), a repeated command
        returns the first result without deciding again. Without one, the command joins the
        stream's waiting list and may be decided and appended in one batch with the others
        waiting there (:mod:`eventstore.folding`); its result and its errors stay its own.
        """
        if idempotency_key is None:
            return await self._execute_folded(
                tenant_id, stream_id, command, decider, codec, metadata, inline, snapshots
            )
        batch = await self.execute_batch(
            tenant_id,
            stream_id,
            [command],
            decider,
            codec,
            metadata,
            rejections=(),
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            inline=inline,
            snapshots=snapshots,
        )
        return ExecutionResult(
            batch.outcomes[0].events if batch.outcomes else [],
            batch.state,
            batch.version,
            batch.position,
            batch.transaction_id,
            batch.attempts,
            duplicate=batch.duplicate,
        )

    async def _execute_folded(
        self,
        tenant_id: str,
        stream_id: str,
        command: C,
        decider: DeciderLike[C, E, S],
        codec: Codec[E],
        metadata: Metadata,
        inline: Sequence[InlineHandler],
        snapshots: SnapshotCodec[S] | None,
    ) -> ExecutionResult[E, S]:
        stream = (tenant_id, stream_id)
        group = (decider, codec, snapshots, *inline)
        mine = self._waiting.join(stream, command, metadata, group)
        try:
            async with self._queue.turn(stream):
                if not mine.result.done():  # nobody took it along: run what is waiting
                    taken = self._waiting.take(stream, group)
                    await self._run_folded(
                        tenant_id, stream_id, taken, decider, codec, inline, snapshots
                    )
        except BaseException:
            self._waiting.leave(stream, mine)
            if mine.result.done() and not mine.result.cancelled():
                mine.result.exception()  # it propagates from here
            raise
        result: ExecutionResult[E, S] = mine.result.result()
        return result

    async def _run_folded(
        self,
        tenant_id: str,
        stream_id: str,
        taken: Sequence[Waiting[C]],
        decider: DeciderLike[C, E, S],
        codec: Codec[E],
        inline: Sequence[InlineHandler],
        snapshots: SnapshotCodec[S] | None,
    ) -> None:
        try:
            batch = await self._execute_batch(
                tenant_id, stream_id, [w.command for w in taken], decider, codec,
                [w.metadata for w in taken], (Exception,), None, None, inline, snapshots,
            )  # fmt: skip
        except BaseException as error:
            for waiting in taken:
                settle(waiting, error)
            raise
        # Each command's version and state are the stream's once its own events are in; its
        # token is the batch's (a moment at which its events are in).
        version = batch.version - sum(len(o.events) for o in batch.outcomes)
        for waiting, outcome in zip(taken, batch.outcomes, strict=True):
            if outcome.error is not None:
                waiting.result.set_exception(outcome.error)
                continue
            version += len(outcome.events)
            result = ExecutionResult(
                outcome.events, outcome.after, version, batch.position, batch.transaction_id,
                batch.attempts,
            )  # fmt: skip
            waiting.result.set_result(result)

    async def execute_batch(
        self,
        tenant_id: str,
        stream_id: str,
        commands: Sequence[C],
        decider: DeciderLike[C, E, S],
        codec: Codec[E],
        metadata: Metadata,
        *,
        rejections: tuple[type[Exception], ...],
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        inline: Sequence[InlineHandler] = (),
        snapshots: SnapshotCodec[S] | None = None,
    ) -> BatchResult[E, S]:
        """Decide ``commands`` in order against one state of ``stream_id`` (each sees the
        events of those before it) and append all their events in one transaction.

        A command whose ``decide`` raises one of ``rejections`` gets that error as its
        outcome and writes nothing; the others go on. Any other error propagates and nothing
        is written. On a conflict the whole batch is decided again on the fresher state.
        With an idempotency key (and the request hash of the whole batch), a repeat returns
        the first result's position, marked duplicate, without deciding again.
        """
        if idempotency_key is not None and request_hash is None:
            raise ValueError("an idempotency key needs the request_hash of the batch")
        async with self._queue.turn((tenant_id, stream_id)):
            return await self._execute_batch(
                tenant_id, stream_id, commands, decider, codec, metadata, rejections,
                idempotency_key, request_hash, inline, snapshots,
            )  # fmt: skip

    async def _execute_batch(
        self,
        tenant_id: str,
        stream_id: str,
        commands: Sequence[C],
        decider: DeciderLike[C, E, S],
        codec: Codec[E],
        metadata: Metadata | Sequence[Metadata],
        rejections: tuple[type[Exception], ...],
        idempotency_key: str | None,
        request_hash: str | None,
        inline: Sequence[InlineHandler],
        snapshots: SnapshotCodec[S] | None,
    ) -> BatchResult[E, S]:
        """``metadata`` is the batch's, or one per command (commands folded together)."""
        metadatas = [metadata] * len(commands) if isinstance(metadata, Metadata) else metadata
        replay = Replay(self, tenant_id, stream_id, decider, codec, snapshots)
        if idempotency_key is not None and (
            found := await replay.applied(idempotency_key, request_hash)
        ):
            return found
        attempt = 0
        while True:
            attempt += 1
            # Within this process commands on a stream take turns, so the cached state is
            # current unless another process appended; the append's expected version finds
            # that out, and the retry reads what it appended.
            loaded = await self._load(
                tenant_id, stream_id, decider, codec, snapshots, trust_cache=attempt == 1
            )
            # After a lost race, perhaps to a request with our key (in another process):
            if (
                attempt > 1
                and idempotency_key is not None
                and (found := await replay.applied(idempotency_key, request_hash))
            ):
                return found
            state = loaded.state
            outcomes: list[CommandOutcome[E]] = []
            new_events: list[E] = []
            event_metadata: list[Metadata] = []
            for command, command_metadata in zip(commands, metadatas, strict=True):
                try:
                    produced = decider.decide(command, state)
                except rejections as error:
                    outcomes.append(CommandOutcome(error=error))
                    continue
                except Exception:
                    # A twin request that committed after our key lookup makes our own
                    # command look like a repeat (an id already taken): give its result.
                    if idempotency_key is not None and (
                        found := await replay.applied(idempotency_key, request_hash)
                    ):
                        return found
                    raise
                for event in produced:
                    state = decider.evolve(state, event)
                outcomes.append(CommandOutcome(produced, after=state))
                new_events.extend(produced)
                event_metadata.extend([command_metadata] * len(produced))
            if (
                idempotency_key is not None
                and any(o.error is not None for o in outcomes)
                and (found := await replay.applied(idempotency_key, request_hash))
            ):
                return found
            if not new_events:
                last = loaded.last
                return BatchResult(
                    outcomes,
                    state,
                    loaded.version,
                    None if last is None else last.position,
                    None if last is None else last.transaction_id,
                    attempt,
                )
            try:
                appended = await self._append(
                    tenant_id, stream_id, loaded, new_events, codec, event_metadata,
                    idempotency_key, request_hash, inline,
                )  # fmt: skip
            except ConcurrencyError:
                # Within this process the queue keeps commands on a stream apart; a conflict
                # means another process wrote. Wait a jittered, growing while, then retry.
                if attempt >= self.max_attempts:
                    raise
                if attempt > 1 or loaded.tail_hash is None:
                    await asyncio.sleep(self.backoff(attempt))
                # (after a first attempt on a trusted cache, retry at once with a fresh read)
                continue
            if appended.duplicate:
                return await replay.result(appended)
            await self._keep(
                tenant_id,
                stream_id,
                decider,
                _Loaded(
                    state,
                    appended.version,
                    appended.token,
                    loaded.snapshot_version,
                    appended.last_hash,
                    loaded.segments,
                ),
                snapshots,
            )
            return BatchResult(
                outcomes,
                state,
                appended.version,
                appended.position,
                appended.transaction_id,
                attempt,
            )

    async def _append(
        self,
        tenant_id: str,
        stream_id: str,
        loaded: _Loaded[Any],
        new_events: Sequence[E],
        codec: Codec[E],
        metadata: Sequence[Metadata],
        idempotency_key: str | None,
        request_hash: str | None,
        inline: Sequence[InlineHandler],
    ) -> AppendResult:
        """Append ``new_events``, each with its command's ``metadata`` (the first command's
        is the append's, the others' are set on their events when they differ)."""
        first = metadata[0]
        envelopes = [codec.encode(event) for event in new_events]
        envelopes = [
            e if m is first or e.metadata is not None else dataclasses.replace(e, metadata=m)
            for e, m in zip(envelopes, metadata, strict=True)
        ]
        return await self.store.append(
            tenant_id,
            stream_id,
            loaded.version if loaded.version else NO_STREAM,
            envelopes,
            first,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            inline=inline,
            known_tail_hash=loaded.tail_hash if loaded.version else None,
        )
