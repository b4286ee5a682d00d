"""Answering a command whose idempotency key was used already with the first result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from eventstore.batches import BatchResult
from eventstore.envelope import AppendResult
from eventstore.errors import IdempotencyKeyReused
from eventstore.execution import Codec, DeciderLike
from eventstore.snapshots import SnapshotCodec

if TYPE_CHECKING:
    from eventstore.executor import CommandExecutor

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Replay(Generic[C, E, S]):
    """Answers a request whose idempotency key was already used with the first result."""

    executor: CommandExecutor
    tenant_id: str
    stream_id: str
    decider: DeciderLike[C, E, S]
    codec: Codec[E]
    snapshots: SnapshotCodec[S] | None

    async def applied(self, key: str, request_hash: str | None) -> BatchResult[E, S] | None:
        """The first result for ``key``, or None when the key is unused."""
        found = await self.executor.store.lookup_idempotency(self.tenant_id, key)
        if found is None:
            return None
        if found[0] != request_hash:
            raise IdempotencyKeyReused(key)
        return await self.result(found[1])

    async def result(self, appended: AppendResult) -> BatchResult[E, S]:
        state, _ = await self.executor.load(
            self.tenant_id, self.stream_id, self.decider, self.codec, snapshots=self.snapshots
        )
        return BatchResult(
            [], state, appended.version, appended.position, appended.transaction_id, 1, True
        )
