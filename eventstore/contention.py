"""Writers on one stream: queued within a process, spread out across processes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class StreamQueue:
    """One asyncio lock per stream in use: commands on a stream take turns, so two tasks of
    one process never decide against the same version and conflict. A stream's lock is
    dropped when nobody holds or waits for it, so the queue stays as small as the number of
    streams being written right now."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def turn(self, stream: Hashable) -> AsyncIterator[None]:
        """Wait for the stream's turn and hold it for the body."""
        entry = self._locks.get(stream)
        if entry is None:
            entry = self._locks[stream] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[stream]

    def users(self, stream: Hashable) -> int:
        """Tasks holding or waiting for the stream's turn."""
        entry = self._locks.get(stream)
        return 0 if entry is None else entry[1][0]

    def __len__(self) -> int:
        return len(self._locks)


def jittered_backoff(attempt: int, *, base: float = 0.005, cap: float = 0.2) -> float:
    """Seconds to wait after conflicting attempt ``attempt`` ("full jitter": uniform in
    [0, min(cap, base * 2 ** (attempt - 1))]), so writers of several processes that
    conflicted spread out instead of colliding again. A few lines do not warrant a retry
    library as a dependency of the store."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
