"""The store's integrity reads: its rows as exported and their verification."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from eventstore.digests import LedgerDigest
from eventstore.tables import events, idempotency_keys
from eventstore.verification import ChainVerifier, LedgerLeaf, VerificationReport

_EXPORTED = (
    events.c.global_position,
    events.c.transaction_id,
    events.c.stream_id,
    events.c.version,
    events.c.event_id,
    events.c.event_type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.recorded_at,
    events.c.hash,
)


async def export_rows(
    engine: AsyncEngine,
    feed_order: Sequence[sa.ColumnElement[Any]],
    tenant_id: str,
    stream_id: str | None,
) -> AsyncIterator[dict[str, Any]]:
    """A tenant's (or one stream's) stored rows as JSON-safe dicts, in ``feed_order``."""
    query = sa.select(*_EXPORTED).where(events.c.tenant_id == tenant_id).order_by(*feed_order)
    if stream_id is not None:
        query = query.where(events.c.stream_id == stream_id)
    async with engine.connect() as conn:
        result = await conn.stream(query.execution_options(yield_per=2000))
        async for rows in result.partitions():  # one hand-off a page, not one a row
            for row in rows:
                yield {
                    "stream_id": row.stream_id,
                    "version": row.version,
                    "global_position": row.global_position,
                    "transaction_id": row.transaction_id,
                    "event_id": str(row.event_id),
                    "event_type": row.event_type,
                    "schema_version": row.schema_version,
                    "data": row.data,
                    "metadata": row.metadata,
                    "recorded_at": row.recorded_at.isoformat(),
                    "hash": row.hash,
                }


async def verify_rows(
    engine: AsyncEngine,
    rows: AsyncIterable[dict[str, Any]],
    tenant_id: str,
    stream_id: str | None,
    *,
    ledger: Sequence[LedgerLeaf],
    digest: LedgerDigest | None,
    public_key: str | None,
) -> VerificationReport:
    """Verify a tenant's exported ``rows`` (all of them, in feed order, so feed indexes
    count right) and the events its idempotency keys name; see ``SqlEventStore.verify``."""
    if digest is not None and stream_id is not None:
        raise ValueError("a digest covers the whole organization: verify without a stream")
    if stream_id is not None:
        ledger = [leaf for leaf in ledger if leaf.stream_id == stream_id]
    verifier = ChainVerifier(tenant_id, ledger=ledger, digest=digest, public_key=public_key)
    index = 0
    async for row in rows:
        if stream_id is None or row["stream_id"] == stream_id:
            verifier.feed({**row, "index": index})
        index += 1
    query = sa.select(
        idempotency_keys.c.key,
        idempotency_keys.c.stream_id,
        idempotency_keys.c.last_version,
        idempotency_keys.c.last_position,
    ).where(idempotency_keys.c.tenant_id == tenant_id)
    if stream_id is not None:
        query = query.where(idempotency_keys.c.stream_id == stream_id)
    async with engine.connect() as conn:
        for key, stream, version, position in await conn.execute(query):
            verifier.require(stream, version, position, f"idempotency key {key!r}")
    return verifier.finish()
