"""The ledger accumulator as an async projection: concurrent writers, batches, rebuild."""

from __future__ import annotations

import asyncio

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore import ANY, Metadata, NewEvent
from eventstore.digests import DigestSigner
from eventstore.merkle import root_of
from projections.ledger import LedgerProjection
from projections.queries.ledger import issue_digest, ledger_head, ledger_leaves_of, verify_tenant
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from tests.feed import settled
from tests.integration.projections.support import T0


async def test_concurrent_writers_are_accumulated_in_feed_order_batch_by_batch(s):
    store, tenant = s.store, s.tenant_id
    start = asyncio.Event()

    async def writer(stream: str) -> None:
        await start.wait()
        for n in range(5):
            await store.append(
                tenant, stream, ANY, [NewEvent("Counted", {"n": n})], Metadata("w", T0)
            )

    writers = [asyncio.create_task(writer(f"counter-{i}")) for i in range(4)]
    start.set()
    await asyncio.gather(*writers)
    await settled(store)
    await ProjectionRunner(store, LedgerProjection(), batch_size=3).catch_up()

    exported = [row async for row in store.export(tenant)]
    leaves = await ledger_leaves_of(store.engine, tenant)
    assert [(x.stream_id, x.version) for x in leaves] == [
        (row["stream_id"], row["version"]) for row in exported
    ]
    size, root = await ledger_head(store.engine, tenant)
    assert (size, root) == (len(exported), root_of([x.leaf for x in leaves]))
    signer = DigestSigner(Ed25519PrivateKey.generate())
    digest = await issue_digest(store, tenant, signer)
    report = await verify_tenant(store, tenant, digest=digest, public_key=signer.public_key)
    assert report.ok, (report.broken, report.problems)
    assert report.ledger_checked == len(exported)


async def test_a_rebuilt_ledger_has_the_same_leaves_and_root(s):
    store, tenant = s.store, s.tenant_id
    await settled(store)
    projection = LedgerProjection()
    await ProjectionRunner(store, projection).catch_up()
    before = (await ledger_leaves_of(store.engine, tenant), await ledger_head(store.engine, tenant))
    report = await rebuild(store, projection)
    assert report.generation == 2
    after = (await ledger_leaves_of(store.engine, tenant), await ledger_head(store.engine, tenant))
    assert after == before
    assert before[1][0] == len([row async for row in store.export(tenant)])
