"""The ledger accumulator: a Merkle log per tenant over all its events in feed order.

Why: each event's hash chains only to the one before it in its stream, so a chain cannot
see its own tail cut off, a whole stream deleted, or a rewrite whose chain was recomputed
from the edit on (the chain is unkeyed SHA-256). The accumulator commits to every event a
tenant has, in the order of the gap-safe feed; a signed digest of its root at a tree size,
kept by an auditor outside the system, turns any later deletion, truncation, insertion,
reordering or rewrite of the first ``tree_size`` events into a root that no longer matches.

How:

- Leaves follow RFC 6962: ``SHA-256(0x00 ‖ RFC 8785 bytes of the event's identity, feed
  place and chain hash)`` (:func:`eventstore.canonical.leaf_bytes`), nodes
  ``SHA-256(0x01 ‖ left ‖ right)``. Through the chain hash a leaf covers the event's type,
  schema version, data and metadata (with ``recorded_at``); through the transaction id and
  global position it covers the columns feed and as-of reads filter and order on.
- It is an async projection (:class:`LedgerProjection`): the runner applies it after commit,
  in feed order, in the same transaction as its checkpoint, so appends stay unserialised and
  a crash neither loses nor repeats a leaf. The feed is gap-safe, so once an event has a
  leaf no event can later appear before it: a tree size names a fixed prefix of the feed.
- Per tenant and generation it keeps every leaf (``ledger_leaves``: which event, where, its
  hash, so a verifier can name the event that differs and an export can carry the leaves)
  and the frontier (``ledger_heads``: the roots of the perfect subtrees, one per set bit of
  the size), so a digest costs O(log n) whatever the size.
- Digests (``ledger_digests``, :mod:`projections.queries.ledger`) are issued periodically by
  the server and on request, signed with Ed25519 (:mod:`eventstore.digests`).
- Verification never trusts these tables: it recomputes every leaf from the events table (or
  an export) and the root from those, and compares with the digest. The stored leaves only
  help name what differs; if an attacker rewrote them too, the root still does not match
  the signed digest, and the report says the stored leaves cannot tell which event it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from eventstore.canonical import event_leaf
from eventstore.merkle import MerkleFrontier
from projections.tables import ledger_heads, ledger_leaves


def frontier_text(frontier: MerkleFrontier) -> str:
    """The frontier's subtree roots as stored: hex, largest first, comma-separated."""
    return ",".join(node.hex() for node in frontier.subtrees)


def parse_frontier(size: int, text: str) -> MerkleFrontier:
    """Inverse of :func:`frontier_text`."""
    return MerkleFrontier(size, [bytes.fromhex(node) for node in text.split(",") if node])


def leaf_of(event: RecordedEvent) -> bytes:
    """The Merkle leaf hash of a recorded event (over its stored chain hash)."""
    return event_leaf(
        tenant_id=event.tenant_id,
        stream_id=event.stream_id,
        version=event.version,
        event_id=str(event.event_id),
        transaction_id=event.transaction_id,
        position=event.position,
        chain_hash=event.hash,
    )


class LedgerProjection:
    """Appends each event's leaf to its tenant's Merkle log and advances the frontier."""

    name = "ledger"
    tables = (ledger_leaves, ledger_heads)

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        """Append ``events`` (in feed order) to their tenants' logs in ``generation``."""
        by_tenant: dict[str, list[RecordedEvent]] = {}
        for tenant_id, group in groupby(events, key=lambda e: e.tenant_id):
            by_tenant.setdefault(tenant_id, []).extend(group)
        for tenant_id, tenant_events in by_tenant.items():
            await self._append(conn, generation, tenant_id, tenant_events)

    async def _append(
        self,
        conn: AsyncConnection,
        generation: int,
        tenant_id: str,
        events: Sequence[RecordedEvent],
    ) -> None:
        key = (ledger_heads.c.generation == generation) & (ledger_heads.c.tenant_id == tenant_id)
        head = (
            await conn.execute(sa.select(ledger_heads.c.size, ledger_heads.c.subtrees).where(key))
        ).first()
        frontier = MerkleFrontier() if head is None else parse_frontier(head.size, head.subtrees)
        rows: list[dict[str, Any]] = []
        for event in events:
            leaf = leaf_of(event)
            rows.append(
                {
                    "generation": generation,
                    "tenant_id": tenant_id,
                    "leaf_index": frontier.size,
                    "stream_id": event.stream_id,
                    "version": event.version,
                    "event_id": str(event.event_id),
                    "transaction_id": event.transaction_id,
                    "position": event.position,
                    "leaf": leaf.hex(),
                }
            )
            frontier.append(leaf)
        await conn.execute(ledger_leaves.insert(), rows)
        values = {"size": frontier.size, "subtrees": frontier_text(frontier)}
        if head is None:
            await conn.execute(
                ledger_heads.insert(), {"generation": generation, "tenant_id": tenant_id, **values}
            )
        else:
            await conn.execute(ledger_heads.update().where(key).values(values))
