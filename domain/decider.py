"""The decider: the shape of every aggregate (``decide``, ``evolve``, ``initial_state``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Generic, TypeVar

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True)
class Decider(Generic[C, E, S]):
    """An aggregate as three pure parts.

    ``decide(command, state)`` returns the events a command produces (or raises a
    ``DomainError``); ``evolve(state, event)`` returns the next state without mutating the
    given one; ``initial_state`` is the state of an empty stream.
    """

    initial_state: S
    evolve: Callable[[S, E], S]
    decide: Callable[[C, S], list[E]]

    def fold(self, events: Iterable[E], state: S | None = None) -> S:
        """Apply ``events`` in order, starting from ``state`` or the initial state."""
        start = self.initial_state if state is None else state
        return reduce(self.evolve, events, start)
