"""The event base class, the registry of event types and the JSON codec helpers.

Event type names are stable strings of the form ``"<aggregate>.<what_happened>"``
(``"scorecard.kpi_defined"``), never module paths. Concrete events declare ``event_type``
in their own class body; classes that do not are abstract bases and are not registered.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """Base of all domain events: frozen, strict about unknown fields, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            return
        existing = EVENT_TYPES.get(cls.event_type)
        if existing is not None and existing is not cls:
            raise TypeError(
                f"event type {cls.event_type!r} is already used by {existing.__qualname__}"
            )
        EVENT_TYPES[cls.event_type] = cls


EVENT_TYPES: dict[str, type[Event]] = {}
"""Every concrete event class by its ``event_type``; filled as the classes are defined."""


def event_to_data(event: Event) -> dict[str, Any]:
    """The JSON-safe payload of ``event`` (periods as strings, dates as ISO strings)."""
    return event.model_dump(mode="json")


def event_from_data(event_type: str, data: dict[str, Any]) -> Event:
    """Rebuild an event from its type name and JSON payload.

    Raises ``KeyError`` for an unknown type and ``pydantic.ValidationError`` for bad data.
    """
    return EVENT_TYPES[event_type].model_validate(data)
