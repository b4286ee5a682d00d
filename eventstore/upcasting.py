"""Upcasters turn old event shapes into the current one when events are read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventstore.errors import UpcastError

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcasterRegistry:
    """Maps ``(event type, from schema version)`` to a function producing version + 1."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        """Register the step from ``from_version`` to ``from_version + 1``."""
        key = (event_type, from_version)
        if key in self._steps:
            raise ValueError(f"an upcaster for {event_type} v{from_version} is already registered")
        self._steps[key] = upcaster

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator form of :meth:`register`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self.register(event_type, from_version, fn)
            return fn

        return decorate

    def __bool__(self) -> bool:
        return bool(self._steps)

    def upcast(
        self, event_type: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Apply every registered step in turn; return the final version and data."""
        version = schema_version
        while (step := self._steps.get((event_type, version))) is not None:
            try:
                data = step(dict(data))
            except Exception as exc:
                raise UpcastError(f"upcasting {event_type} from v{version} failed: {exc}") from exc
            version += 1
        return version, data
