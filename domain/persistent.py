"""A persistent (immutable, structure-sharing) mapping for aggregate state.

Why: ``evolve`` must return a new state and leave the old one untouched (states are shared:
the executor caches them, tests keep the one before an event). Copying a ``dict`` on every
event makes folding a stream quadratic in its length; a scorecard's measurements reach tens
of thousands of entries. ``FrozenMap.set``/``delete`` return a new map that shares almost
everything with the old one.

How: a large shared ``dict`` (never changed once built) plus a small overlay of the changes
made since, and the base keys deleted or moved since. Each change copies only the overlay;
when the overlay outgrows about the square root of the base, base and overlay are merged
into a new base. A change so costs O(√n) entry copies amortised, done by ``dict`` in C (a
100,000-entry map: a few hundred pointer copies), and a lookup at most two dict lookups.
A pure-Python hash trie would be O(log n) but slower at every size a scorecard reaches. The
domain imports only the standard library, hence no third-party persistent map.

Iteration order is exactly a ``dict``'s under the same sequence of operations (an updated
key keeps its place; a deleted and re-added key goes last), so nothing that iterates a
state can tell the difference.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

_MIN_OVERLAY = 16

copies = 0
"""Entries copied by every FrozenMap change so far; tests use it to bound the work of a
fold without timing it."""


class FrozenMap(Mapping[K, V]):
    """An immutable mapping whose ``set`` and ``delete`` share structure with the original."""

    __slots__ = ("_base", "_gone", "_len", "_over")

    _base: dict[K, V]
    _over: dict[K, V]
    _gone: frozenset[K]
    _len: int

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        self._base = dict(items) if items else {}
        self._over = {}
        self._gone = frozenset()
        self._len = len(self._base)

    @classmethod
    def adopting(cls, items: dict[K, V]) -> FrozenMap[K, V]:
        """A map of ``items``, which it takes over instead of copying: the caller never
        touches that dict again."""
        return cls._of(items, {}, frozenset(), len(items))

    @staticmethod
    def _of(base: dict[K, V], over: dict[K, V], gone: frozenset[K], length: int) -> FrozenMap[K, V]:
        made: FrozenMap[K, V] = FrozenMap.__new__(FrozenMap)
        made._base, made._over, made._gone, made._len = base, over, gone, length
        if len(over) + len(gone) > max(_MIN_OVERLAY, math.isqrt(len(base))):
            made._compact()
        return made

    def _compact(self) -> None:
        global copies
        merged = dict(self._base)
        for key in self._gone:
            del merged[key]
        merged.update(self._over)
        copies += len(self._base) + len(self._over)
        self._base, self._over, self._gone = merged, {}, frozenset()

    def __getitem__(self, key: K) -> V:
        over = self._over
        if key in over:
            return over[key]
        if key in self._gone:
            raise KeyError(key)
        return self._base[key]

    def __contains__(self, key: object) -> bool:
        return key in self._over or (key not in self._gone and key in self._base)

    @overload
    def get(self, key: K, /) -> V | None: ...
    @overload
    def get(self, key: K, default: V | D, /) -> V | D: ...
    def get(self, key: K, default: Any = None, /) -> Any:
        over = self._over
        if key in over:
            return over[key]
        if key in self._gone:
            return default
        return self._base.get(key, default)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[K]:
        base, over, gone = self._base, self._over, self._gone
        for key in base:
            if key not in gone:
                yield key
        for key in over:
            if key not in base or key in gone:
                yield key

    def set(self, key: K, value: V) -> FrozenMap[K, V]:
        """A map like this one with ``key`` bound to ``value``."""
        global copies
        over = dict(self._over)
        copies += len(over)
        length = self._len if key in self else self._len + 1
        over[key] = value
        return self._of(self._base, over, self._gone, length)

    def delete(self, key: K) -> FrozenMap[K, V]:
        """A map like this one without ``key`` (the same map when it is absent)."""
        global copies
        if key not in self:
            return self
        gone = self._gone
        over = self._over
        if key in over:
            over = {k: v for k, v in over.items() if k != key}
            copies += len(over)
        if key in self._base and key not in gone:
            gone = gone | {key}
            copies += len(gone)
        return self._of(self._base, over, gone, self._len - 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FrozenMap({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (dict(self.items()),))


def frozen_map() -> FrozenMap[Any, Any]:
    """An empty FrozenMap (a default factory for state fields)."""
    return FrozenMap()
