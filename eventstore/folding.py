"""Commands waiting for a stream's turn, folded into one batch by whichever gets the turn.

Within a process, commands on one stream take turns (:class:`~eventstore.contention.
StreamQueue`). Deciding and appending them one by one makes eight writers on one stream no
faster than one: each waits for a whole round trip to the database per command. So a
command without an idempotency key first joins the stream's waiting list; the task that
gets the turn takes every waiting command that uses the same decider, codec, snapshots and
inline handlers (in arrival order), decides them against one state and appends their events
in one transaction, and hands each task its own result, or its own error (a command that
fails writes nothing and does not fail the others). A command with an idempotency key runs
alone in its turn: its key names one append.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from eventstore.envelope import Metadata

C = TypeVar("C")


@dataclass(slots=True)
class Waiting(Generic[C]):
    """A command waiting for its stream's turn, and where its result goes."""

    command: C
    metadata: Metadata
    group: tuple[object, ...]
    result: asyncio.Future[Any]


class WaitingCommands:
    """The waiting lists of the streams with commands waiting."""

    def __init__(self) -> None:
        self._lists: dict[Hashable, list[Waiting[Any]]] = {}

    def join(
        self, stream: Hashable, command: C, metadata: Metadata, group: tuple[object, ...]
    ) -> Waiting[C]:
        """Put ``command`` on the stream's waiting list."""
        waiting = Waiting(command, metadata, group, asyncio.get_running_loop().create_future())
        self._lists.setdefault(stream, []).append(waiting)
        return waiting

    def take(self, stream: Hashable, group: tuple[object, ...]) -> list[Waiting[Any]]:
        """Remove and return, in arrival order, the stream's waiting commands of ``group``."""
        waiting = self._lists.get(stream, [])
        taken = [w for w in waiting if _same(w.group, group)]
        rest = [w for w in waiting if not _same(w.group, group)]
        if rest:
            self._lists[stream] = rest
        else:
            self._lists.pop(stream, None)
        return taken

    def leave(self, stream: Hashable, waiting: Waiting[Any]) -> None:
        """Take a command off the list (its caller gave up before it was taken)."""
        found = self._lists.get(stream)
        if found is not None and waiting in found:
            found.remove(waiting)
            if not found:
                del self._lists[stream]

    def __len__(self) -> int:
        return sum(len(found) for found in self._lists.values())


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def settle(waiting: Waiting[Any], error: BaseException) -> None:
    """Give ``error`` to a command whose batch failed as a whole."""
    if waiting.result.done():
        return
    if isinstance(error, asyncio.CancelledError):
        waiting.result.cancel()
    else:
        waiting.result.set_exception(error)
