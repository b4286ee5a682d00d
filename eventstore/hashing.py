"""Canonical bytes of an event and the per-stream hash chain.

The chain hashes each event's envelope in RFC 8785 form (:mod:`eventstore.jcs`), so a
verifier in any language with a JCS implementation recomputes it. Data and metadata are
stored as sorted-key orjson text (``canonical_json``), which reads back to the same values
(``66.0`` stays a float; JCS would write it ``66``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from eventstore.jcs import jcs

GENESIS = ""


def canonical_bytes(
    *,
    tenant_id: str,
    stream_id: str,
    version: int,
    event_id: str,
    event_type: str,
    schema_version: int,
    data: dict[str, Any],
    metadata: dict[str, Any],
) -> bytes:
    """The bytes the chain hashes: the RFC 8785 form of the stored envelope."""
    return jcs(
        {
            "tenant": tenant_id,
            "stream": stream_id,
            "version": version,
            "id": event_id,
            "type": event_type,
            "schema_version": schema_version,
            "data": data,
            "metadata": metadata,
        }
    )


def canonical_json(value: Any) -> bytes:
    """Sorted-key compact JSON: the form data and metadata are stored in."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def chain(previous_hash: str, payload: bytes) -> str:
    """``sha256(previous hash ‖ canonical bytes)`` as hex."""
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(payload)
    return digest.hexdigest()
