"""Recomputing a tenant's evidence, online (from the events table) or offline (from an export).

Rows come in feed order. Each stream's hash chain is recomputed (every link, the version
sequence, the ``recorded_at`` column against its hashed copy in the metadata); each event's
Merkle leaf is recomputed from its content (its chain hash recomputed from the genesis, not
the stored one) and compared with the leaf the ledger accumulator recorded for it; the root
over the first N events is compared with a signed digest an auditor kept. Every finding
names the event (stream, version, feed index) or says what is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventstore.canonical import event_leaf
from eventstore.digests import LedgerDigest, signature_problem
from eventstore.hashing import GENESIS, canonical_bytes, chain
from eventstore.merkle import MerkleFrontier

_NAMED = 5  # missing events named one by one before the rest are counted


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first event of a stream that is wrong, and why."""

    stream_id: str
    version: int
    event_id: str
    position: int
    reason: str


@dataclass(frozen=True, slots=True)
class LedgerLeaf:
    """A leaf the ledger accumulator recorded: which event, where in the feed, its hash."""

    index: int
    stream_id: str
    version: int
    event_id: str
    transaction_id: int
    position: int
    leaf: bytes


@dataclass(slots=True)
class VerificationReport:
    """Outcome of a verification: how much was checked, the first wrong event per stream and
    what is wrong with the tenant as a whole (missing events, a digest that does not match)."""

    tenant_id: str
    streams_checked: int = 0
    events_checked: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ledger_checked: int = 0
    """How many events were compared with the ledger accumulator's leaves."""
    digest_size: int | None = None
    """The tree size of the digest checked against, if one was."""

    @property
    def ok(self) -> bool:
        return not self.broken and not self.problems


@dataclass(slots=True)
class _Stream:
    expected_version: int = 1
    previous_stored: str = GENESIS
    previous_content: str = GENESIS
    links_broken: bool = False


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class ChainVerifier:
    """Feed it stored rows (keys as in an export line) in feed order; ``finish`` reports."""

    def __init__(
        self,
        tenant_id: str,
        *,
        ledger: Sequence[LedgerLeaf] = (),
        positional: Sequence[bytes] | None = None,
        digest: LedgerDigest | None = None,
        public_key: str | None = None,
        chain_heads: dict[str, tuple[int, str]] | None = None,
        first_index: int = 0,
    ) -> None:
        """``ledger``: the accumulator's leaves, matched to events by (stream, version).
        ``positional``: leaf hashes by feed index (an export's), matched by index.
        ``digest`` with ``public_key``: the signed root the first events must have.
        ``chain_heads``: per stream, the (version, hash) before the first row (an export
        window); ``first_index``: the feed index of the first row."""
        self.report = VerificationReport(tenant_id=tenant_id)
        self._ledger: dict[tuple[str, int], list[LedgerLeaf]] = {}
        for leaf in ledger:
            self._ledger.setdefault((leaf.stream_id, leaf.version), []).append(leaf)
        self._ledger_leaves = ledger
        self._ledger_end = max(((x.transaction_id, x.position) for x in ledger), default=None)
        self._positional = positional
        self._digest = digest
        self._public_key = public_key
        self._heads = chain_heads or {}
        self._streams: dict[str, _Stream] = {}
        self._first_index = first_index
        self._index = first_index
        self._frontier = MerkleFrontier()
        self._root_at_digest: bytes | None = None
        self._seen: dict[tuple[str, int], int] = {}
        self._positions: dict[tuple[str, int], int] = {}
        self._matched: set[int] = set()
        self._first_breaks: dict[str, BrokenLink] = {}
        self._first_positional: tuple[int, str, int, str, int] | None = None
        self._required: list[tuple[str, int, int, str]] = []

    # -- per event -----------------------------------------------------------------------

    def feed(self, row: dict[str, Any]) -> None:
        """Check one stored event (an ``index`` key gives its feed index; else they count up
        from ``first_index``)."""
        index = row.get("index", self._index)
        self._index = index + 1
        report = self.report
        report.events_checked += 1
        stream_id, version = row["stream_id"], row["version"]
        event_id = str(row["event_id"])
        self._seen[(stream_id, version)] = index
        self._positions[(stream_id, version)] = row["global_position"]
        state = self._streams.get(stream_id)
        if state is None:
            report.streams_checked += 1
            state = self._streams[stream_id] = _Stream()
            if stream_id in self._heads:
                head_version, head_hash = self._heads[stream_id]
                state.expected_version = head_version + 1
                state.previous_stored = state.previous_content = head_hash
        payload = canonical_bytes(
            tenant_id=report.tenant_id,
            stream_id=stream_id,
            version=version,
            event_id=event_id,
            event_type=row["event_type"],
            schema_version=row["schema_version"],
            data=row["data"],
            metadata=row["metadata"],
        )
        if not state.links_broken:
            reason = self._link_problem(state, row, payload)
            if reason is not None:
                state.links_broken = True
                self._blame(row, reason)
        state.previous_stored = row["hash"]
        state.expected_version = version + 1
        content = chain(state.previous_content, payload)
        state.previous_content = content
        self._check_leaf(index, row, content)

    def _link_problem(self, state: _Stream, row: dict[str, Any], payload: bytes) -> str | None:
        version = row["version"]
        if version > state.expected_version:
            return f"version {state.expected_version} is missing"
        if version < state.expected_version:
            return f"version {version} where version {state.expected_version} was due"
        if chain(state.previous_stored, payload) != row["hash"]:
            return "stored hash does not match the recomputed hash"
        if "recorded_at" in row:
            meta = row["metadata"]
            copy = meta.get("recorded_at") if isinstance(meta, dict) else None
            column = _moment(row["recorded_at"])
            if column is None or column != _moment(copy):
                return (
                    f"recorded_at column {row['recorded_at']} differs from the hashed "
                    f"metadata's {copy}"
                )
        return None

    def _check_leaf(self, index: int, row: dict[str, Any], content_hash: str) -> None:
        stream_id, version = row["stream_id"], row["version"]
        leaf = event_leaf(
            tenant_id=self.report.tenant_id,
            stream_id=stream_id,
            version=version,
            event_id=str(row["event_id"]),
            transaction_id=int(row.get("transaction_id", 0)),
            position=row["global_position"],
            chain_hash=content_hash,
        )
        self._frontier.append(leaf)
        if self._digest is not None and self._frontier.size == self._digest.tree_size:
            self._root_at_digest = self._frontier.root()
        if self._positional is not None and index < len(self._positional):
            self.report.ledger_checked += 1
            if leaf != self._positional[index]:
                self._blame(row, f"event at feed index {index} differs from the digest's leaf")
                self._note_positional(index, row)
        if not self._ledger_leaves:
            return
        candidates = self._ledger.get((stream_id, version), [])
        match = next((c for c in candidates if c.leaf == leaf), None)
        if match is not None:
            self.report.ledger_checked += 1
            self._matched.add(match.index)
        elif candidates:
            self.report.ledger_checked += 1
            self._blame(
                row,
                f"event at feed index {index} differs from the ledger's leaf for it "
                f"(recorded at feed index {candidates[0].index})",
            )
        elif self._covered(row):
            self._blame(row, f"event at feed index {index} is not in the ledger")
        if index < len(self._ledger_leaves) and self._ledger_leaves[index].leaf != leaf:
            self._note_positional(index, row)

    def _covered(self, row: dict[str, Any]) -> bool:
        """Whether the accumulator had passed this event's place in the feed."""
        place = (int(row.get("transaction_id", 0)), row["global_position"])
        return self._ledger_end is not None and place <= self._ledger_end

    def _note_positional(self, index: int, row: dict[str, Any]) -> None:
        if self._first_positional is None:
            self._first_positional = (
                index,
                row["stream_id"],
                row["version"],
                str(row["event_id"]),
                row["global_position"],
            )

    def _blame(self, row: dict[str, Any], reason: str) -> None:
        """Record a wrong event; a stream keeps its lowest-versioned one (so an event whose
        hash was recomputed over edited content is named, not the next one whose link
        then breaks)."""
        link = BrokenLink(
            row["stream_id"], row["version"], str(row["event_id"]), row["global_position"], reason
        )
        known = self._first_breaks.get(link.stream_id)
        if known is None or link.version < known.version:
            self._first_breaks[link.stream_id] = link

    def require(self, stream_id: str, version: int, position: int, source: str) -> None:
        """Another record (``source``, e.g. an idempotency key) says this event exists: name
        it as missing unless it was fed (checked when finishing, after the ledger)."""
        self._required.append((stream_id, version, position, source))

    def _check_required(self) -> None:
        for stream_id, version, position, source in self._required:
            self._check_one_required(stream_id, version, position, source)

    def _check_one_required(self, stream_id: str, version: int, position: int, source: str) -> None:
        found = self._positions.get((stream_id, version))
        if found is not None and found != position:
            self.report.problems.append(
                f"{source} names stream {stream_id} version {version} at position {position}, "
                f"but that version is at position {found}: the event was replaced"
            )
        if found is None:
            row = {
                "stream_id": stream_id,
                "version": version,
                "event_id": "",
                "global_position": position,
            }
            self._blame(row, f"missing: {source} names it")
            self.report.problems.append(
                f"{source} names stream {stream_id} version {version} (position {position}), "
                "which is missing"
            )

    # -- the tenant as a whole -------------------------------------------------------------

    def finish(self) -> VerificationReport:
        """The report, after the missing events and the digest have been checked."""
        self._check_missing_from_ledger()
        self._check_required()
        if self._digest is not None:
            self._check_digest(self._digest)
        self.report.broken = sorted(self._first_breaks.values(), key=lambda b: b.position)
        return self.report

    def _check_missing_from_ledger(self) -> None:
        missing: list[LedgerLeaf] = []
        for leaf in self._ledger_leaves:
            if leaf.index in self._matched:
                continue
            present = self._seen.get((leaf.stream_id, leaf.version))
            if present is None:
                missing.append(leaf)
                self._blame(
                    {
                        "stream_id": leaf.stream_id,
                        "version": leaf.version,
                        "event_id": leaf.event_id,
                        "global_position": leaf.position,
                    },
                    f"missing: the ledger recorded it at feed index {leaf.index}",
                )
            elif len(self._ledger[(leaf.stream_id, leaf.version)]) > 1:
                indexes = [x.index for x in self._ledger[(leaf.stream_id, leaf.version)]]
                self.report.problems.append(
                    f"stream {leaf.stream_id} version {leaf.version} is in the ledger "
                    f"{len(indexes)} times (feed indexes {', '.join(map(str, indexes))}): the "
                    f"event at feed index {leaf.index} was deleted and another appended as "
                    f"that version"
                )
        if missing:
            named = "; ".join(
                f"feed index {x.index} (stream {x.stream_id}, version {x.version})"
                for x in missing[:_NAMED]
            )
            more = f" and {len(missing) - _NAMED} more" if len(missing) > _NAMED else ""
            self.report.problems.append(
                f"{len(missing)} events recorded in the ledger are missing from the events "
                f"table: {named}{more}"
            )

    def _check_digest(self, digest: LedgerDigest) -> None:
        report = self.report
        report.digest_size = digest.tree_size
        if digest.tenant_id != report.tenant_id:
            report.problems.append(
                f"the digest is for organization {digest.tenant_id}, not {report.tenant_id}"
            )
        if self._public_key is None:
            report.problems.append("no public key to check the digest's signature with")
        elif (problem := signature_problem(digest, self._public_key)) is not None:
            report.problems.append(problem)
        if self._first_index != 0:
            return  # a window: its events were matched to the digest's leaves one by one
        counted = self._frontier.size
        if counted < digest.tree_size:
            report.problems.append(
                f"{digest.tree_size - counted} events covered by the digest are missing "
                f"(it covers {digest.tree_size}, {counted} are there)"
            )
            return
        root = self._root_at_digest if digest.tree_size else MerkleFrontier().root()
        if root is not None and root.hex() != digest.root:
            report.problems.append(self._digest_difference(digest))

    def _digest_difference(self, digest: LedgerDigest) -> str:
        head = f"the root over the first {digest.tree_size} events differs from the digest"
        first = self._first_positional
        if not self._ledger_leaves and self._positional is None:
            return head + " (without the ledger's leaves no event can be named)"
        if first is None or first[0] >= digest.tree_size:
            return head + " (no stored leaf tells which event: the ledger was rewritten too)"
        index, stream_id, version, _, _ = first
        expected = self._expected_at(index)
        if expected is not None and (expected[0], expected[1]) != (stream_id, version):
            if (expected[0], expected[1]) not in self._seen:
                return (
                    f"{head}: event at feed index {index} (stream {expected[0]}, version "
                    f"{expected[1]}) covered by the digest is missing"
                )
            return (
                f"{head}: at feed index {index} the digest has stream {expected[0]} version "
                f"{expected[1]}, the events table stream {stream_id} version {version}"
            )
        return (
            f"{head}: event at feed index {index} (stream {stream_id}, version {version}) "
            f"differs from the digest"
        )

    def _expected_at(self, index: int) -> tuple[str, int] | None:
        if index < len(self._ledger_leaves):
            leaf = self._ledger_leaves[index]
            return leaf.stream_id, leaf.version
        return None


def verify_rows(
    tenant_id: str,
    rows: Iterable[dict[str, Any]],
    **options: Any,
) -> VerificationReport:
    """Verify rows in feed order with :class:`ChainVerifier`'s options."""
    verifier = ChainVerifier(tenant_id, **options)
    for row in rows:
        verifier.feed(row)
    return verifier.finish()
