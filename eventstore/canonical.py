"""RFC 8785 (JSON Canonicalization Scheme) bytes of what the ledger signs and hashes.

The ledger's leaves and its signed digests are JCS bytes, so any verifier in any language
with a JCS implementation recomputes them exactly, as it does the per-stream hash chain
(:mod:`eventstore.hashing`); a leaf commits to the chain hash, so a leaf covers the event's
content through it.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventstore.jcs import jcs as fast_jcs
from eventstore.merkle import leaf_hash

_SAFE = 2**53 - 1

FORMAT_VERSION = 1
"""Version of the ledger's formats: leaf bytes, digest bytes and the audit export."""


def jcs(value: Any) -> bytes:
    """The RFC 8785 canonical bytes of a JSON value (integers beyond 2**53 are refused)."""
    return fast_jcs(value)


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
    # The RFC 8785 form, built by orjson: for an object of ASCII keys whose values are
    # strings and safe integers, sorted-key orjson output is byte for byte JCS (same key
    # order, same string escapes, integers as digits); a test holds it to rfc8785's.
    for number in (version, transaction_id, position):
        if not -_SAFE <= number <= _SAFE:
            raise ValueError(f"{number} is beyond the integers RFC 8785 represents exactly")
    return orjson.dumps(
        {
            "tenant": tenant_id,
            "stream": stream_id,
            "version": version,
            "id": event_id,
            "transaction": transaction_id,
            "position": position,
            "hash": chain_hash,
        },
        option=orjson.OPT_SORT_KEYS,
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
