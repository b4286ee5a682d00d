"""The audit export: a tenant's events as JSON lines, then a manifest, verifiable offline.

Each event line is a stored row exactly as hashed, with ``"kind": "event"`` and its feed
index. The last line is the manifest: the format version, the tenant, the window, the chain
head of each stream before and at the end of the window, the ledger's leaf hashes in feed
order, a signed digest and the public key. :func:`verify_export` needs nothing else: it
checks the leaves against a digest (one the auditor kept, or the export's own), every
exported event against its leaf and every chain link, with no database.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from eventstore.canonical import FORMAT_VERSION
from eventstore.digests import InvalidDigest, LedgerDigest, key_fingerprint, signature_problem
from eventstore.merkle import root_of
from eventstore.verification import ChainVerifier, LedgerLeaf, VerificationReport


class InvalidExport(ValueError):
    """An export file is malformed; the message names the line or field."""


def _recorded_at(row: dict[str, Any]) -> datetime | None:
    value = row.get("recorded_at")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


async def audit_lines(
    rows: AsyncIterable[dict[str, Any]],
    *,
    tenant_id: str,
    leaves: Sequence[LedgerLeaf],
    digest: LedgerDigest | None,
    public_key: str | None,
    stream_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Event lines of ``rows`` (the tenant's export rows in feed order) within the window,
    then the manifest. A time window (``recorded_at`` in [since, until)) is widened to a
    contiguous run of feed indexes, so a missing event inside it shows."""
    heads: dict[str, list[Any]] = {}
    before: dict[str, list[Any] | None] = {}
    pending: list[dict[str, Any]] = []
    first_index: int | None = None
    last_index: int | None = None
    count = 0
    index = -1
    async for row in rows:
        index += 1
        line = {"kind": "event", "index": index, **row}
        name = row["stream_id"]
        if stream_id is not None and name != stream_id:
            continue
        at = _recorded_at(row)
        inside = at is None or ((since is None or at >= since) and (until is None or at < until))
        if first_index is None:
            if not inside:
                heads[name] = [row["version"], row["hash"]]
                continue
            first_index = index
        if name not in before:
            before[name] = heads.get(name)
        pending.append(line)
        if inside:
            for kept in pending:
                last_index = kept["index"]
                heads[kept["stream_id"]] = [kept["version"], kept["hash"]]
                count += 1
                yield kept
            pending.clear()
    yield {
        "kind": "manifest",
        "format_version": FORMAT_VERSION,
        "tenant": tenant_id,
        "stream": stream_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "first_index": first_index,
        "last_index": last_index,
        "events": count,
        "contiguous": stream_id is None,
        "chain_heads": {
            name: {"before": before.get(name), "last": heads[name]}
            for name in before
            if name in heads
        },
        "ledger_leaves": [
            [x.stream_id, x.version, x.event_id, x.transaction_id, x.position, x.leaf.hex()]
            for x in leaves
        ],
        "digest": digest.to_dict() if digest is not None else None,
        "public_key": public_key,
        "key_id": key_fingerprint(public_key) if public_key else None,
    }


def verify_export(
    tenant_id: str,
    lines: Iterable[dict[str, Any]],
    *,
    digest: LedgerDigest | None = None,
    public_key: str | None = None,
) -> VerificationReport:
    """Verify an export offline.

    ``lines`` are the export's parsed lines (a plain list of rows, without a manifest, is
    checked by its hash chains alone). ``digest`` is one the auditor kept; without it the
    export's own digest is used. ``public_key`` pins the key (else the export's is used,
    and must have the fingerprint the digest names).
    """
    events: list[dict[str, Any]] = []
    manifest: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        kind = line.get("kind", "event")
        if kind == "manifest":
            manifest = line
        elif kind == "event":
            _check_event_line(number, line)
            events.append(line)
        else:
            raise InvalidExport(f"line {number}: unknown kind {kind!r}")
    if manifest is None:
        verifier = ChainVerifier(tenant_id)
        for row in events:
            verifier.feed(row)
        return verifier.finish()
    return _verify_with_manifest(tenant_id, events, manifest, digest, public_key)


_EVENT_FIELDS: dict[str, type] = {
    "stream_id": str,
    "version": int,
    "global_position": int,
    "event_id": str,
    "event_type": str,
    "schema_version": int,
    "metadata": dict,
    "hash": str,
}


def _check_event_line(number: int, line: dict[str, Any]) -> None:
    """Refuse an event line that lacks a field or has one of the wrong type."""
    for name, kind in _EVENT_FIELDS.items():
        value = line.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidExport(f"line {number}: {name}: expected {kind.__name__}, got {value!r}")
    if "data" not in line:
        raise InvalidExport(f"line {number}: data: missing")


def _ledger_leaves(raw: Any) -> list[LedgerLeaf]:
    """The manifest's leaves: [stream, version, event id, transaction id, position, hex]."""
    try:
        return [
            LedgerLeaf(index, str(s), int(v), str(e), int(t), int(p), bytes.fromhex(h))
            for index, (s, v, e, t, p, h) in enumerate(raw)
        ]
    except (TypeError, ValueError):
        raise InvalidExport(
            "manifest.ledger_leaves: expected [stream, version, event id, transaction id, "
            "position, hex leaf] per leaf"
        ) from None


def _verify_with_manifest(
    tenant_id: str,
    events: list[dict[str, Any]],
    manifest: dict[str, Any],
    kept: LedgerDigest | None,
    pinned_key: str | None,
) -> VerificationReport:
    problems: list[str] = []
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InvalidExport(
            f"manifest.format_version: {manifest.get('format_version')!r} is not supported "
            f"(this verifier reads {FORMAT_VERSION})"
        )
    if manifest.get("tenant") != tenant_id:
        problems.append(f"the export is of organization {manifest.get('tenant')}, not {tenant_id}")
    public_key = pinned_key or manifest.get("public_key")
    if pinned_key and manifest.get("public_key") not in (None, pinned_key):
        problems.append("the export's public key is not the one given")
    digest = kept
    if digest is None and manifest.get("digest") is not None:
        try:
            digest = LedgerDigest.from_dict(manifest["digest"])
        except InvalidDigest as error:
            raise InvalidExport(f"manifest.{error}") from None
    ledger = _ledger_leaves(manifest.get("ledger_leaves") or [])
    leaves = [x.leaf for x in ledger]
    trusted: list[bytes] | None = None
    trusted_ledger: list[LedgerLeaf] = []
    if digest is not None:
        if digest.tree_size > len(leaves):
            problems.append(
                f"{digest.tree_size - len(leaves)} events covered by the digest are missing "
                f"(the export's ledger has {len(leaves)} leaves, the digest covers "
                f"{digest.tree_size})"
            )
        elif root_of(leaves[: digest.tree_size]).hex() != digest.root:
            problems.append(
                f"the export's ledger leaves do not match the digest: the root over the first "
                f"{digest.tree_size} differs"
            )
        else:
            trusted = leaves[: digest.tree_size]
            trusted_ledger = ledger[: digest.tree_size]
    first_index = manifest.get("first_index") or 0
    full = (
        manifest.get("stream") is None
        and first_index == 0
        and manifest.get("since") is None
        and manifest.get("until") is None
    )
    heads = {
        name: (int(head["before"][0]), str(head["before"][1]))
        for name, head in (manifest.get("chain_heads") or {}).items()
        if head.get("before")
    }
    verifier = ChainVerifier(
        tenant_id,
        # A whole export is matched event by event to the leaves (so a missing one is
        # named); a window only by feed index (the leaves outside it are not missing).
        ledger=trusted_ledger if full else (),
        positional=None if full else trusted,
        digest=digest if full else None,
        public_key=public_key,
        chain_heads=heads,
        first_index=first_index,
    )
    if digest is not None and not full:
        if public_key is None:
            problems.append("no public key to check the digest's signature with")
        elif (problem := signature_problem(digest, public_key)) is not None:
            problems.append(problem)
    expected = first_index
    for row in events:
        index = row.get("index", expected)
        if manifest.get("contiguous") and index != expected:
            if index == expected + 1:
                problems.append(f"the event at feed index {expected} is missing from the export")
            elif index > expected:
                problems.append(
                    f"the events at feed indexes {expected} to {index - 1} are missing from "
                    "the export"
                )
            else:
                problems.append(f"the event at feed index {index} is out of place")
        expected = index + 1
        verifier.feed(row)
    if manifest.get("events") is not None and manifest["events"] != len(events):
        problems.append(
            f"the manifest lists {manifest['events']} events, the export holds {len(events)}"
        )
    report = verifier.finish()
    report.problems[:0] = problems
    if digest is not None:
        report.digest_size = digest.tree_size
    return report
