"""The codec between domain events and store envelopes."""

from __future__ import annotations

from domain.events import Event, event_from_data, event_to_data
from eventstore import NewEvent, RecordedEvent


class DomainCodec:
    """Encodes domain events by their stable type name and decodes them back."""

    def encode(self, event: Event) -> NewEvent:
        return NewEvent(event.event_type, event_to_data(event), schema_version=event.schema_version)

    def decode(self, recorded: RecordedEvent) -> Event:
        return event_from_data(recorded.event_type, recorded.data)


codec = DomainCodec()
