"""The audit trail: filtered, cursor-paginated, from the audit index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import FeedPosition
from projections.asof import scoped
from projections.audit import AuditProjection
from projections.tables import audit
from projections.views import AuditEntry, Page
from streams import scorecard_stream

MAX_PAGE = 100


@dataclass(frozen=True)
class AuditFilter:
    """What to list; ids of objectives, KPIs and the like are unique within a scorecard, so
    pair ``entity_id`` with ``scorecard_id`` when a tenant has several scorecards."""

    entity_type: str | None = None
    entity_id: str | None = None
    scorecard_id: str | None = None
    actor: str | None = None
    event_types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


async def audit_trail(
    conn: AsyncConnection,
    tenant_id: str,
    where: AuditFilter = AuditFilter(),
    *,
    first: int = 50,
    after: str | None = None,
) -> Page:
    """Audit entries in log order matching ``where``: at most ``first`` (1..100) after the
    cursor ``after`` (the ``end_cursor`` of the previous page)."""
    if not 1 <= first <= MAX_PAGE:
        raise ValueError(f"first must be between 1 and {MAX_PAGE}, got {first}")
    conditions = scoped(audit, tenant_id, AuditProjection.name)
    if where.entity_type is not None:
        conditions.append(audit.c.entity_type == where.entity_type)
    if where.entity_id is not None:
        conditions.append(audit.c.entity_id == where.entity_id)
    if where.scorecard_id is not None:
        conditions.append(audit.c.stream_id == scorecard_stream(where.scorecard_id))
    if where.actor is not None:
        conditions.append(audit.c.actor == where.actor)
    if where.event_types:
        conditions.append(audit.c.event_type.in_(where.event_types))
    if where.since is not None:
        conditions.append(audit.c.recorded_at >= where.since)
    if where.until is not None:
        conditions.append(audit.c.recorded_at < where.until)
    if after is not None:
        try:
            cursor = FeedPosition.parse(after)
        except ValueError:
            raise ValueError(f"after: {after!r} is not a cursor returned by this query") from None
        conditions.append(
            sa.or_(
                audit.c.transaction_id > cursor.transaction_id,
                sa.and_(
                    audit.c.transaction_id == cursor.transaction_id,
                    audit.c.position > cursor.position,
                ),
            )
        )
    rows = (
        await conn.execute(
            sa.select(audit)
            .where(*conditions)
            .order_by(audit.c.transaction_id, audit.c.position)
            .limit(first + 1)
        )
    ).all()
    items = tuple(
        AuditEntry(
            cursor=str(FeedPosition(r.transaction_id, r.position)),
            position=r.position,
            stream_id=r.stream_id,
            version=r.version,
            event_id=r.event_id,
            event_type=r.event_type,
            entity_type=r.entity_type,
            entity_id=r.entity_id,
            actor=r.actor,
            recorded_at=r.recorded_at,
            reason=r.reason,
            source_system=r.source_system,
            correlation_id=r.correlation_id,
            data=r.data,
        )
        for r in rows[:first]
    )
    return Page(items, items[-1].cursor if items else None, len(rows) > first)
