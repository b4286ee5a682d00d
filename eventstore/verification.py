"""Recomputing hash chains, online (from the store) or offline (from an export)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eventstore.hashing import GENESIS, canonical_bytes, chain


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first event of a stream whose stored hash does not match its recomputed one."""

    stream_id: str
    version: int
    event_id: str
    position: int
    reason: str


@dataclass(slots=True)
class VerificationReport:
    """Outcome of a verification: how much was checked and the first broken link per stream."""

    tenant_id: str
    streams_checked: int = 0
    events_checked: int = 0
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


class ChainVerifier:
    """Feed it stored rows in (stream, version) order; it records each stream's first break."""

    def __init__(self, tenant_id: str) -> None:
        self.report = VerificationReport(tenant_id=tenant_id)
        self._stream: str | None = None
        self._previous = GENESIS
        self._expected_version = 1
        self._stream_broken = False

    def feed(self, row: dict[str, Any]) -> None:
        """Check one stored event (keys as in an export line)."""
        stream_id = row["stream_id"]
        if stream_id != self._stream:
            self._stream = stream_id
            self._previous = GENESIS
            self._expected_version = 1
            self._stream_broken = False
            self.report.streams_checked += 1
        self.report.events_checked += 1
        if self._stream_broken:
            return
        version = row["version"]
        reason = None
        if version != self._expected_version:
            reason = f"version {self._expected_version} is missing"
        else:
            payload = canonical_bytes(
                tenant_id=self.report.tenant_id,
                stream_id=stream_id,
                version=version,
                event_id=str(row["event_id"]),
                event_type=row["event_type"],
                schema_version=row["schema_version"],
                data=row["data"],
                metadata=row["metadata"],
            )
            recomputed = chain(self._previous, payload)
            if recomputed != row["hash"]:
                reason = "stored hash does not match the recomputed hash"
        if reason is not None:
            self._stream_broken = True
            self.report.broken.append(
                BrokenLink(stream_id, version, str(row["event_id"]), row["global_position"], reason)
            )
            return
        self._previous = row["hash"]
        self._expected_version += 1


def verify_export(tenant_id: str, rows: Iterable[dict[str, Any]]) -> VerificationReport:
    """Verify rows of a JSON-lines export offline; rows must be in (stream, version) order."""
    verifier = ChainVerifier(tenant_id)
    for row in rows:
        verifier.feed(row)
    return verifier.report
