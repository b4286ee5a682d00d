"""Reading the ledger accumulator and issuing signed digests of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from eventstore import LedgerLeaf, VerificationReport
from eventstore.audit_export import audit_lines
from eventstore.digests import DigestSigner, LedgerDigest
from eventstore.store import EventStore
from projections.ledger import LedgerProjection, parse_frontier
from projections.projection import live_generation_subquery
from projections.tables import ledger_digests, ledger_heads, ledger_leaves

_LIVE = live_generation_subquery(LedgerProjection.name)


async def ledger_leaves_of(engine: AsyncEngine, tenant_id: str) -> list[LedgerLeaf]:
    """Every leaf the accumulator recorded for ``tenant_id``, in feed order."""
    query = (
        sa.select(ledger_leaves)
        .where(ledger_leaves.c.tenant_id == tenant_id, ledger_leaves.c.generation == _LIVE)
        .order_by(ledger_leaves.c.leaf_index)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        LedgerLeaf(
            index=row.leaf_index,
            stream_id=row.stream_id,
            version=row.version,
            event_id=row.event_id,
            transaction_id=row.transaction_id,
            position=row.position,
            leaf=bytes.fromhex(row.leaf),
        )
        for row in rows
    ]


async def ledger_head(engine: AsyncEngine, tenant_id: str) -> tuple[int, bytes]:
    """The accumulator's tree size and root for ``tenant_id`` now."""
    query = sa.select(ledger_heads.c.size, ledger_heads.c.subtrees).where(
        ledger_heads.c.tenant_id == tenant_id, ledger_heads.c.generation == _LIVE
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    frontier = parse_frontier(0, "") if row is None else parse_frontier(row.size, row.subtrees)
    return frontier.size, frontier.root()


async def issue_digest(
    store: EventStore, tenant_id: str, signer: DigestSigner, now: datetime | None = None
) -> LedgerDigest:
    """Sign the accumulator's current root for ``tenant_id``, keep the digest, return it."""
    size, root = await ledger_head(store.engine, tenant_id)
    digest = signer.sign(tenant_id, size, root, now or datetime.now(UTC))
    async with store.write_engine.begin() as conn:
        await conn.execute(
            ledger_digests.insert(),
            {
                "tenant_id": tenant_id,
                "format_version": digest.format_version,
                "tree_size": digest.tree_size,
                "root": digest.root,
                "issued_at": digest.issued_at,
                "key_id": digest.key_id,
                "signature": digest.signature,
            },
        )
    return digest


async def latest_digest(engine: AsyncEngine, tenant_id: str) -> LedgerDigest | None:
    """The digest issued last for ``tenant_id`` (the largest tree, then the newest)."""
    query = (
        sa.select(ledger_digests)
        .where(ledger_digests.c.tenant_id == tenant_id)
        .order_by(ledger_digests.c.tree_size.desc(), ledger_digests.c.issued_at.desc())
        .limit(1)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        return None
    return LedgerDigest(
        tenant_id=row.tenant_id,
        tree_size=row.tree_size,
        root=row.root,
        issued_at=row.issued_at,
        key_id=row.key_id,
        signature=row.signature,
        format_version=row.format_version,
    )


async def tenants_behind_their_digest(engine: AsyncEngine) -> list[str]:
    """Tenants whose accumulator has grown past their latest digest (or has none)."""
    signed = (
        sa.select(ledger_digests.c.tenant_id, sa.func.max(ledger_digests.c.tree_size).label("n"))
        .group_by(ledger_digests.c.tenant_id)
        .subquery()
    )
    query = (
        sa.select(ledger_heads.c.tenant_id)
        .select_from(ledger_heads.outerjoin(signed, signed.c.tenant_id == ledger_heads.c.tenant_id))
        .where(
            ledger_heads.c.generation == _LIVE,
            sa.or_(signed.c.n.is_(None), ledger_heads.c.size > signed.c.n),
        )
        .order_by(ledger_heads.c.tenant_id)
    )
    async with engine.connect() as conn:
        return [row.tenant_id for row in await conn.execute(query)]


async def verify_tenant(
    store: EventStore,
    tenant_id: str,
    *,
    stream_id: str | None = None,
    digest: LedgerDigest | None = None,
    public_key: str | None = None,
) -> VerificationReport:
    """:meth:`EventStore.verify` with the accumulator's leaves to name what differs."""
    leaves = await ledger_leaves_of(store.engine, tenant_id)
    return await store.verify(
        tenant_id, stream_id, ledger=leaves, digest=digest, public_key=public_key
    )


async def export_audit(
    store: EventStore,
    tenant_id: str,
    signer: DigestSigner | None,
    *,
    stream_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """The audit export's lines: events in feed order within the window, then the manifest
    with the leaves, a digest freshly issued over them (when a signer is given, else the
    latest one) and the public key."""
    if signer is not None:
        digest: LedgerDigest | None = await issue_digest(store, tenant_id, signer)
    else:
        digest = await latest_digest(store.engine, tenant_id)
    leaves = await ledger_leaves_of(store.engine, tenant_id)  # read after: never fewer
    if digest is not None:
        leaves = leaves[: digest.tree_size]
    async for line in audit_lines(
        store.export(tenant_id),
        tenant_id=tenant_id,
        leaves=leaves,
        digest=digest,
        public_key=signer.public_key if signer is not None else None,
        stream_id=stream_id,
        since=since,
        until=until,
    ):
        yield line
