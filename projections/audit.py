"""The audit index: who changed what, when and why, by entity (an async projection)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from projections.tables import audit

# The most specific entity an event is about, tried in this order.
_ENTITY_KEYS = (
    ("kpi", "kpi_id"),
    ("initiative", "initiative_id"),
    ("objective", "objective_id"),
    ("objective", "source_objective_id"),
    ("perspective", "perspective_id"),
    ("team", "team_id"),
    ("scorecard", "scorecard_id"),
    ("organization", "organization_id"),
)


def entity_of(event: RecordedEvent) -> tuple[str, str]:
    """``(entity type, entity id)`` the event changed; the stream when nothing finer fits."""
    for entity_type, key in _ENTITY_KEYS:
        value = event.data.get(key)
        if isinstance(value, str):
            return entity_type, value
    return "stream", event.stream_id


class AuditProjection:
    """One row per event, indexed by entity, actor, type and time."""

    name = "audit"
    tables = (audit,)

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        rows: list[dict[str, Any]] = []
        for event in events:
            entity_type, entity_id = entity_of(event)
            meta = event.metadata
            rows.append(
                {
                    "generation": generation,
                    "tenant_id": event.tenant_id,
                    "transaction_id": event.transaction_id,
                    "position": event.position,
                    "stream_id": event.stream_id,
                    "version": event.version,
                    "event_id": str(event.event_id),
                    "event_type": event.event_type,
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "actor": meta.actor,
                    "recorded_at": meta.recorded_at,
                    "reason": event.data.get("reason") or meta.reason,
                    "source_system": event.data.get("source_system") or meta.source_system,
                    "correlation_id": meta.correlation_id,
                    "data": event.data,
                }
            )
        if rows:
            await conn.execute(audit.insert(), rows)
