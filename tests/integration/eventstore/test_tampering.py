"""Tampering with the events table, the immutability trigger bypassed, on both backends:
every kind is detected against a kept digest and the report names what is wrong.

The tests of a backend share one database, each in an organization of its own, and every
tampering statement names its organization."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore import NO_STREAM, Metadata, NewEvent, VerificationReport
from eventstore.canonical import event_leaf
from eventstore.digests import DigestSigner, LedgerDigest
from eventstore.factory import open_store
from eventstore.hashing import canonical_bytes, chain
from eventstore.merkle import MerkleFrontier
from eventstore.sql import SqlEventStore
from eventstore.tables import events
from projections.ledger import LedgerProjection, frontier_text
from projections.queries.ledger import issue_digest, verify_tenant
from projections.runner import ProjectionRunner
from projections.tables import ledger_heads, ledger_leaves
from tests.feed import settled

TENANT = "acme"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One fresh database per backend for this module."""
    if request.param == "sqlite":
        databases = request.getfixturevalue("sqlite_databases")
        yield databases.fresh(tmp_path_factory.mktemp("tampering"))
        return
    postgres = request.getfixturevalue("postgres_databases")
    url = asyncio.run(postgres.fresh())
    yield url
    asyncio.run(postgres.drop(url))


@pytest.fixture
def tenant() -> str:
    return f"acme-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def store(shared_url: str) -> AsyncIterator[SqlEventStore]:
    opened = open_store(shared_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def signer() -> DigestSigner:
    return DigestSigner(Ed25519PrivateKey.generate())


async def tamper(store: SqlEventStore, statement: str | sa.Executable, **params: Any) -> None:
    """Run ``statement`` around the immutability triggers, as a superuser or file owner can."""
    async with store.write_engine.begin() as conn:
        if store.engine.dialect.name == "postgresql":
            await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            await conn.execute(sa.text("DROP TRIGGER IF EXISTS events_no_update"))
            await conn.execute(sa.text("DROP TRIGGER IF EXISTS events_no_delete"))
        text = (
            statement if not isinstance(statement, str) else sa.text(json_casts(store, statement))
        )
        await conn.execute(text, params)


def json_casts(store: SqlEventStore, statement: str) -> str:
    """``JSON(x)`` in a statement: a cast to json on PostgreSQL, the text itself on SQLite."""
    cast = "CAST({} AS json)" if store.engine.dialect.name == "postgresql" else "{}"
    while "JSON(" in statement:
        start = statement.index("JSON(")
        end = statement.index(")", start)
        statement = (
            statement[:start] + cast.format(statement[start + 5 : end]) + statement[end + 1 :]
        )
    return statement


def meta(minutes: int) -> Metadata:
    return Metadata(actor="alice", recorded_at=T0 + timedelta(minutes=minutes))


async def accumulate(store: SqlEventStore) -> None:
    await settled(store)
    await ProjectionRunner(store, LedgerProjection()).catch_up()


async def history(store: SqlEventStore, tenant: str = TENANT) -> None:
    """Streams a (3 events), b (2, the last with an idempotency key) and c (2), interleaved,
    in organization ``tenant``; and one event of another organization."""
    await store.append(tenant, "a", NO_STREAM, [NewEvent("Opened", {"n": 1})], meta(1))
    await store.append(tenant, "b", NO_STREAM, [NewEvent("Opened", {"n": 1})], meta(2))
    await store.append(tenant, "a", 1, [NewEvent("Moved", {"n": 2})], meta(3))
    await store.append(tenant, "c", NO_STREAM, [NewEvent("Opened", {"n": 1})], meta(4))
    await store.append(
        tenant, "b", 1, [NewEvent("Moved", {"n": 2})], meta(5), idempotency_key="key-b2"
    )
    await store.append(tenant, "a", 2, [NewEvent("Moved", {"n": 3})], meta(6))
    await store.append(tenant, "c", 1, [NewEvent("Moved", {"n": 2})], meta(7))
    await store.append(f"{tenant}-other", "a", NO_STREAM, [NewEvent("Opened", {"n": 1})], meta(8))


@pytest.fixture
async def digest(store: SqlEventStore, signer: DigestSigner, tenant: str) -> LedgerDigest:
    """The history, accumulated, and the digest an auditor took of it."""
    await history(store, tenant)
    await accumulate(store)
    return await issue_digest(store, tenant, signer)


async def check(
    store: SqlEventStore, digest: LedgerDigest, signer: DigestSigner
) -> VerificationReport:
    tenant = digest.tenant_id
    return await verify_tenant(store, tenant, digest=digest, public_key=signer.public_key)


async def position_of(store: SqlEventStore, tenant: str, stream: str, version: int) -> int:
    events = await store.read_stream(tenant, stream)
    return next(e.position for e in events if e.version == version)


def named(report: VerificationReport) -> list[tuple[str, int]]:
    return [(b.stream_id, b.version) for b in report.broken]


async def test_untouched_history_verifies_against_its_digest(store, digest, signer):
    report = await check(store, digest, signer)
    assert report.ok, (report.broken, report.problems)
    assert (report.events_checked, report.ledger_checked, report.digest_size) == (7, 7, 7)


async def test_one_changed_byte_of_data_is_named(store, digest, signer, tenant):
    await tamper(
        store,
        "UPDATE events SET data = JSON(:d) WHERE tenant_id = :t AND stream_id = 'a' "
        "AND version = 2",
        d='{"n":9}',
        t=tenant,
    )
    report = await check(store, digest, signer)
    assert named(report) == [("a", 2)]
    assert report.broken[0].reason == "stored hash does not match the recomputed hash"
    assert any("event at feed index 2 (stream a, version 2) differs" in p for p in report.problems)


async def test_a_deleted_event_in_the_middle_is_named(store, digest, signer, tenant):
    await tamper(
        store,
        "DELETE FROM events WHERE tenant_id = :t AND stream_id = 'a' AND version = 2",
        t=tenant,
    )
    report = await check(store, digest, signer)
    assert named(report) == [("a", 2)]
    assert report.broken[0].reason == "missing: the ledger recorded it at feed index 2"
    assert any("feed index 2 (stream a, version 2)" in p for p in report.problems)
    assert any("1 events covered by the digest are missing" in p for p in report.problems)


async def test_two_swapped_events_are_named(store, digest, signer, tenant):
    first = await position_of(store, tenant, "a", 1)
    second = await position_of(store, tenant, "a", 2)
    await tamper(
        store,
        "UPDATE events SET data = CASE WHEN global_position = :p THEN JSON(:two) "
        "ELSE JSON(:one) END, event_type = CASE WHEN global_position = :p THEN 'Moved' "
        "ELSE 'Opened' END WHERE global_position IN (:p, :q)",
        p=first,
        q=second,
        one='{"n":1}',
        two='{"n":2}',
    )
    report = await check(store, digest, signer)
    assert named(report)[0] == ("a", 1)
    assert any("(stream a, version 1) differs from the digest" in p for p in report.problems)


async def test_reordered_versions_are_named(store, digest, signer, tenant):
    for old, new in ((2, 1000), (3, 2), (1000, 3)):
        await tamper(
            store,
            "UPDATE events SET version = :new "
            "WHERE tenant_id = :t AND stream_id = 'a' AND version = :old",
            t=tenant,
            old=old,
            new=new,
        )
    chains = await store.verify(tenant)
    assert named(chains) == [("a", 3)]
    assert chains.broken[0].reason == "version 2 is missing"
    report = await check(store, digest, signer)
    assert named(report) == [("a", 2)]  # the lower of the two renumbered events
    assert "differs from the ledger's leaf" in report.broken[0].reason
    assert any(
        "at feed index 2 the digest has stream a version 2, the events table stream a version 3"
        in p
        for p in report.problems
    )


async def test_a_deleted_last_event_is_named_and_so_is_its_forged_replacement(
    store, digest, signer, tenant
):
    await tamper(
        store,
        "DELETE FROM events WHERE tenant_id = :t AND stream_id = 'b' AND version = 2",
        t=tenant,
    )
    report = await check(store, digest, signer)
    assert named(report) == [("b", 2)]
    assert report.broken[0].reason == "missing: the ledger recorded it at feed index 4"
    assert any("idempotency key 'key-b2'" in p for p in report.problems)
    assert any("1 events covered by the digest are missing" in p for p in report.problems)

    await store.append(tenant, "b", 1, [NewEvent("Moved", {"n": 20})], meta(9))
    await accumulate(store)
    forged = await check(store, digest, signer)
    assert any(
        "stream b version 2 is in the ledger 2 times" in p and "feed index 4 was deleted" in p
        for p in forged.problems
    )
    assert any("key-b2" in p and "the event was replaced" in p for p in forged.problems)
    assert any("at feed index 4 the digest has stream b version 2" in p for p in forged.problems)


async def test_a_deleted_stream_is_named(store, digest, signer, tenant):
    await tamper(store, "DELETE FROM events WHERE tenant_id = :t AND stream_id = 'c'", t=tenant)
    report = await check(store, digest, signer)
    assert named(report) == [("c", 1)]
    assert any(
        "2 events recorded in the ledger are missing" in p
        and "feed index 3 (stream c, version 1)" in p
        and "feed index 6 (stream c, version 2)" in p
        for p in report.problems
    )
    assert any("2 events covered by the digest are missing" in p for p in report.problems)


async def rewrite_from(
    store: SqlEventStore, tenant: str, stream: str, version: int, data: str
) -> None:
    """Edit one event and recompute its stream's chain from it on, as an attacker would."""
    await tamper(
        store,
        "UPDATE events SET data = JSON(:d) "
        "WHERE stream_id = :s AND version = :v AND tenant_id = :t",
        d=data,
        s=stream,
        v=version,
        t=tenant,
    )
    previous = ""
    async for row in store.export(tenant, stream):
        payload = canonical_bytes(
            tenant_id=tenant,
            stream_id=stream,
            version=row["version"],
            event_id=row["event_id"],
            event_type=row["event_type"],
            schema_version=row["schema_version"],
            data=row["data"],
            metadata=row["metadata"],
        )
        previous = chain(previous, payload)
        if row["version"] >= version:
            await tamper(
                store,
                "UPDATE events SET hash = :h WHERE global_position = :p",
                h=previous,
                p=row["global_position"],
            )


async def rewrite_ledger(store: SqlEventStore, tenant: str) -> None:
    """Make the tenant's stored leaves and frontier agree with its (tampered) events."""
    frontier = MerkleFrontier()
    rows = [row async for row in store.export(tenant)]
    async with store.write_engine.begin() as conn:
        for row in rows:
            leaf = event_leaf(
                tenant_id=tenant,
                stream_id=row["stream_id"],
                version=row["version"],
                event_id=row["event_id"],
                transaction_id=row["transaction_id"],
                position=row["global_position"],
                chain_hash=row["hash"],
            )
            await conn.execute(
                ledger_leaves.update()
                .where(ledger_leaves.c.tenant_id == tenant)
                .where(ledger_leaves.c.leaf_index == frontier.size)
                .values(leaf=leaf.hex())
            )
            frontier.append(leaf)
        await conn.execute(
            ledger_heads.update()
            .where(ledger_heads.c.tenant_id == tenant)
            .values(subtrees=frontier_text(frontier))
        )


async def test_an_edit_with_the_chain_recomputed_from_it_on_is_named(store, digest, signer, tenant):
    await rewrite_from(store, tenant, "a", 2, '{"n":200}')
    assert (await store.verify(tenant)).ok  # the chains alone cannot see it
    report = await check(store, digest, signer)
    assert named(report) == [("a", 2)]
    assert "differs from the ledger's leaf" in report.broken[0].reason
    assert any("event at feed index 2 (stream a, version 2) differs" in p for p in report.problems)


async def test_a_recomputed_chain_is_caught_by_the_digest_even_with_the_ledger_rewritten(
    store, digest, signer, tenant
):
    await rewrite_from(store, tenant, "a", 2, '{"n":200}')
    await rewrite_ledger(store, tenant)
    report = await check(store, digest, signer)
    assert report.broken == []
    assert report.problems == [
        "the root over the first 7 events differs from the digest (no stored leaf tells "
        "which event: the ledger was rewritten too)"
    ]


async def test_a_back_dated_recorded_at_column_is_named(store, digest, signer, tenant):
    await tamper(
        store,
        events.update()
        .where(events.c.tenant_id == tenant, events.c.stream_id == "c", events.c.version == 2)
        .values(recorded_at=T0 - timedelta(days=30)),
    )
    report = await check(store, digest, signer)
    assert named(report) == [("c", 2)]
    assert report.broken[0].reason.startswith("recorded_at column 2025-12-02")


async def test_only_the_edited_events_recomputed_hash_blames_the_edited_event(
    store, digest, signer, tenant
):
    rows = [row async for row in store.export(tenant, "a")]
    edited = {**rows[0], "data": {"n": 100}}
    payload = canonical_bytes(
        tenant_id=tenant,
        stream_id="a",
        version=1,
        event_id=edited["event_id"],
        event_type=edited["event_type"],
        schema_version=1,
        data=edited["data"],
        metadata=edited["metadata"],
    )
    await tamper(
        store,
        "UPDATE events SET data = JSON(:d), hash = :h WHERE global_position = :p",
        d='{"n":100}',
        h=chain("", payload),
        p=rows[0]["global_position"],
    )
    chains = await store.verify(tenant)
    assert named(chains) == [("a", 2)]  # the chain alone blames the next, untouched event
    report = await check(store, digest, signer)
    assert named(report) == [("a", 1)]
    assert "differs from the ledger's leaf" in report.broken[0].reason


async def test_a_digest_with_a_forged_signature_is_refused(store, digest, signer):
    forged = LedgerDigest(
        digest.tenant_id,
        digest.tree_size,
        digest.root,
        digest.issued_at + timedelta(seconds=1),
        digest.key_id,
        digest.signature,
    )
    report = await check(store, forged, signer)
    assert report.problems == ["signature does not verify with the public key"]


async def test_a_rewritten_feed_place_is_named(store, digest, signer, tenant):
    # Last in the module: on PostgreSQL the event moves later in the feed.
    later = "transaction_id + 1"
    if store.engine.dialect.name == "postgresql":
        later = "(transaction_id::text::bigint + 1)::text::xid8"
    await tamper(
        store,
        f"UPDATE events SET transaction_id = {later} "
        "WHERE tenant_id = :t AND stream_id = 'c' AND version = 1",
        t=tenant,
    )
    report = await check(store, digest, signer)
    assert named(report) == [("c", 1)]
    assert "differs from the ledger's leaf" in report.broken[0].reason
