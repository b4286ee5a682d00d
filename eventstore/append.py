"""What one append writes: the expectation check, the rows and their hash chain.

Backends only differ in how they run the statements; everything decided about an append is
decided here, once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from eventstore.envelope import AppendResult, Metadata, NewEvent, RecordedEvent
from eventstore.errors import ConcurrencyError
from eventstore.hashing import GENESIS, canonical_json
from eventstore.jcs import jcs
from eventstore.versions import ANY, NO_STREAM, ExpectedVersion


def request_fingerprint(stream_id: str, new_events: Sequence[NewEvent]) -> str:
    """Hash of what an append asks for: the stream and each event's type and data."""
    body = orjson.dumps(
        [stream_id, [[e.event_type, e.schema_version, e.data] for e in new_events]],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(body).hexdigest()


class UniqueViolation(Exception):
    """A unique constraint refused an insert: ``what`` is "version", "event_id" or
    "idempotency"."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(detail)
        self.what = what
        self.detail = detail

    @classmethod
    def classify(cls, detail: str) -> UniqueViolation:
        if "idempotency" in detail:
            return cls("idempotency", detail)
        if "event_id" in detail:
            return cls("event_id", detail)
        return cls("version", detail)


def idempotency_row(
    tenant_id: str, key: str, fingerprint: str, result: AppendResult
) -> dict[str, Any]:
    """The idempotency_keys row remembering ``result`` for ``key``."""
    return {
        "tenant_id": tenant_id,
        "key": key,
        "request_hash": fingerprint,
        "stream_id": result.stream_id,
        "first_version": result.first_version,
        "last_version": result.version,
        "last_position": result.position,
        "transaction_id": result.transaction_id,
        "created_at": _now(),
    }


INSERT_COLUMNS = (
    "tenant_id",
    "stream_id",
    "version",
    "event_id",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "recorded_at",
    "hash",
)
Row = tuple[Any, ...]
"""One events row to insert, its values in INSERT_COLUMNS order."""


def row_hash(row: Row) -> str:
    """The chain hash of a planned row."""
    return str(row[9])


@dataclass(frozen=True, slots=True)
class AppendRequest:
    """One append, independent of the backend that performs it."""

    tenant_id: str
    stream_id: str
    expected_version: ExpectedVersion
    events: Sequence[NewEvent]
    metadata: Metadata
    known_tail: tuple[int, str] | None = None
    """The stream's last version and hash as the caller last saw them (with an exact
    expected version): the backend then plans on it without reading the tail. A stale one
    is safe: the rows it plans collide with the stored version on the unique
    (tenant, stream, version) constraint, which is a conflict, as it should be."""

    def tail_query(self) -> tuple[str, str] | None:
        """(tenant, stream) when the tail must be read first; None when it is known."""
        return None if self.known_tail is not None else (self.tenant_id, self.stream_id)

    def plan_after(self, tail: Sequence[Any] | None) -> list[Row]:
        """:meth:`plan` on the tail read by :meth:`tail_query` (a (version, hash) row or
        None), or on the known tail when there was nothing to read."""
        if self.known_tail is not None:
            return self.plan(*self.known_tail)
        return self.plan(tail[0] if tail else None, tail[1] if tail else None)

    def plan(self, current: int | None, previous_hash: str | None) -> list[Row]:
        """Check the expectation against the stream's tail (None: no stream) and build the
        rows to insert (values in INSERT_COLUMNS order), each chained to the hash before it."""
        expected = self.expected_version
        if expected is NO_STREAM or expected == 0:
            ok = current is None
        elif expected is ANY:
            ok = True
        else:
            ok = expected == current
        if not ok:
            raise ConcurrencyError(self.stream_id, expected, current)
        version = current or 0
        digest = previous_hash or GENESIS
        # Parts of the canonical bytes that are the same for every event of this append.
        tail = b',"stream":' + orjson.dumps(self.stream_id) + b',"tenant":'
        tail += orjson.dumps(self.tenant_id) + b',"type":'
        metadata_json: dict[int, tuple[bytes, str]] = {}
        type_json: dict[str, bytes] = {}
        dumps, sorted_keys, sha256 = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
        tenant_id, stream_id = self.tenant_id, self.stream_id
        rows: list[Row] = []
        for new in self.events:
            version += 1
            meta = new.metadata or self.metadata
            cached = metadata_json.get(id(meta))
            if cached is None:
                meta_dict = meta.to_dict()
                stored_meta = canonical_json(meta_dict).decode()
                cached = metadata_json[id(meta)] = (jcs(meta_dict), stored_meta)
            kind = type_json.get(new.event_type)
            if kind is None:
                kind = type_json[new.event_type] = dumps(new.event_type)
            data_json = dumps(new.data, option=sorted_keys)
            payload = b"".join(
                (
                    b'{"data":', jcs(new.data), b',"id":"', str(new.event_id).encode(),
                    b'","metadata":', cached[0], b',"schema_version":',
                    str(new.schema_version).encode(), tail, kind, b',"version":',
                    str(version).encode(), b"}",
                )
            )  # fmt: skip
            digest = sha256(digest.encode() + payload).hexdigest()
            rows.append(
                (
                    tenant_id, stream_id, version, new.event_id, new.event_type,
                    new.schema_version, data_json.decode(), cached[1], meta.recorded_at, digest,
                )
            )  # fmt: skip
        return rows

    def recorded(
        self, rows: list[Row], returned: Sequence[tuple[int, int]]
    ) -> tuple[AppendResult, list[RecordedEvent]]:
        """The result and the recorded events, given the (position, transaction id) of each
        inserted row."""
        recorded = [
            RecordedEvent(
                self.tenant_id,
                self.stream_id,
                row[2],
                position,
                transaction_id,
                new.event_id,
                new.event_type,
                new.schema_version,
                new.data,
                new.metadata or self.metadata,
                row[9],
            )
            for row, new, (position, transaction_id) in zip(
                rows, self.events, returned, strict=True
            )
        ]
        last = recorded[-1]
        result = AppendResult(
            self.stream_id,
            rows[0][2],
            last.version,
            last.position,
            last.transaction_id,
            last_hash=row_hash(rows[-1]),
        )
        return result, recorded


def _now() -> datetime:
    return datetime.now(UTC)
