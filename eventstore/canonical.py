"""RFC 8785 (JSON Canonicalization Scheme) bytes of what the ledger signs and hashes.

The ledger's leaves and its signed digests are JCS bytes, so any verifier in any language
with a JCS implementation recomputes them exactly, as it does the per-stream hash chain
(:mod:`eventstore.hashing`); a leaf commits to the chain hash, so a leaf covers the event's
content through it.
"""

from __future__ import annotations

from eventstore.jcs import jcs
from eventstore.merkle import leaf_hash

__all__ = ["FORMAT_VERSION", "event_leaf", "jcs", "leaf_bytes"]

FORMAT_VERSION = 1
"""Version of the ledger's formats: leaf bytes, digest bytes and the audit export."""


def leaf_bytes(
    *,
    tenant_id: str,
    stream_id: str,
    version: int,
    event_id: str,
    transaction_id: int,
    position: int,
    chain_hash: str,
) -> bytes:
    """What one event contributes to its tenant's Merkle log: its identity, its place in the
    feed (the columns feed and as-of reads filter and order on) and its chain hash (which
    covers its type, schema version, data and metadata, and the stream before it)."""
    return jcs(
        {
            "tenant": tenant_id,
            "stream": stream_id,
            "version": version,
            "id": event_id,
            "transaction": transaction_id,
            "position": position,
            "hash": chain_hash,
        }
    )


def event_leaf(
    *,
    tenant_id: str,
    stream_id: str,
    version: int,
    event_id: str,
    transaction_id: int,
    position: int,
    chain_hash: str,
) -> bytes:
    """The Merkle leaf hash of one event: ``SHA-256(0x00 ‖ leaf bytes)``."""
    return leaf_hash(
        leaf_bytes(
            tenant_id=tenant_id,
            stream_id=stream_id,
            version=version,
            event_id=event_id,
            transaction_id=transaction_id,
            position=position,
            chain_hash=chain_hash,
        )
    )
