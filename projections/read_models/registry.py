"""The handler registry of the read models: one small handler per event type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from domain.events import Event
from domain.periods import Period
from projections.versioned import Change, Writer

# A handler is typed with the event classes it is registered for (mypy checks its body
# against them); the registry dispatches by the event's exact class, so it stores them alike.
Handler = Callable[[Writer, Change, Any], Awaitable[None]]
HANDLERS: dict[type[Event], Handler] = {}


def handles(*event_classes: type[Event]) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``event_classes``."""

    def register(fn: Handler) -> Handler:
        for cls in event_classes:
            if cls in HANDLERS:
                raise ValueError(f"{cls.__name__} already has a read-model handler")
            HANDLERS[cls] = fn
        return fn

    return register


def period_columns(period: Period) -> dict[str, Any]:
    """A period as stored: its label and the month ordinals it spans."""
    return {
        "period": str(period),
        "period_start": period.first_month_ordinal,
        "period_end": period.last_month_ordinal,
    }
