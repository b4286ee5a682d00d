"""Idempotency keys of POST /v1/measurements over time and under contention: kept for their
lifetime per organization, then a new key; purged; released when a batch lost to other
writers, so that its retry runs again. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from api.rest.idempotency import KEY_LIFETIME, IdempotencyKeys
from api.tables import api_idempotency_keys as keys
from ledger import Ledger
from tests.e2e.conftest import OTHER_TENANT, TENANT, Api, build_small_scorecard
from tests.e2e.rest import event_count, item, post_batch, statuses

HOUR = dt.timedelta(hours=1)


async def first_used_earlier(api: Api, key: str, by: dt.timedelta, tenant: str = TENANT) -> None:
    """Make the stored key look as if it had been first used ``by`` earlier."""
    async with api.runtime.store.write_engine.begin() as conn:
        row = (
            await conn.execute(
                sa.select(keys.c.created_at, keys.c.expires_at).where(
                    keys.c.tenant_id == tenant, keys.c.key == key
                )
            )
        ).one()
        await conn.execute(
            keys.update()
            .where(keys.c.tenant_id == tenant, keys.c.key == key)
            .values(created_at=row.created_at - by, expires_at=row.expires_at - by)
        )


async def stored_keys(api: Api) -> set[tuple[str, str]]:
    async with api.runtime.store.engine.connect() as conn:
        rows = await conn.execute(sa.select(keys.c.tenant_id, keys.c.key))
        return {(row.tenant_id, row.key) for row in rows}


async def test_a_key_is_kept_a_day_per_organization_and_is_a_new_key_after_that(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    await build_small_scorecard(api, tenant=OTHER_TENANT)
    batch = [item("availability", "2026-02", 97.0)]
    other_body = [item("availability", "2026-03", 96.0)]
    first = await post_batch(api, batch, key="daily")
    theirs = await post_batch(api, batch, key="daily", tenant=OTHER_TENANT)
    assert statuses(first) == statuses(theirs) == ["created"]
    written = await event_count(api.runtime.store)

    await first_used_earlier(api, "daily", KEY_LIFETIME - HOUR)
    replayed = await post_batch(api, batch, key="daily")
    reused = await post_batch(api, other_body, key="daily")

    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == first.content
    assert reused.status_code == 422

    await first_used_earlier(api, "daily", 2 * HOUR)  # now first used 25 hours ago
    again = await post_batch(api, batch, key="daily")
    theirs_again = await post_batch(api, batch, key="daily", tenant=OTHER_TENANT)

    # Ours is a new key: the request ran again (and recorded nothing twice) ...
    assert "idempotent-replayed" not in again.headers
    assert statuses(again) == ["created"]
    assert await event_count(api.runtime.store) == written
    # ... and the other organization's key of the same name is still theirs, still kept.
    assert theirs_again.headers["idempotent-replayed"] == "true"
    assert theirs_again.content == theirs.content
    # The renewed key is kept afresh: another body is refused again.
    assert (await post_batch(api, other_body, key="daily")).status_code == 422


async def test_an_expired_key_may_come_with_another_request(api: Api) -> None:
    await build_small_scorecard(api)
    await post_batch(api, [item("availability", "2026-02", 97.0)], key="reused-next-day")
    await first_used_earlier(api, "reused-next-day", KEY_LIFETIME + HOUR)

    response = await post_batch(api, [item("incidents", "2026-02", 1)], key="reused-next-day")

    assert statuses(response) == ["created"]
    assert "idempotent-replayed" not in response.headers


async def test_expired_keys_of_every_organization_are_purged_and_the_others_kept(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    await build_small_scorecard(api, tenant=OTHER_TENANT)
    batch = [item("availability", "2026-02", 97.0)]
    await post_batch(api, batch, key="old")
    await post_batch(api, batch, key="old", tenant=OTHER_TENANT)
    await post_batch(api, [item("availability", "2026-03", 97.0)], key="recent")
    await first_used_earlier(api, "old", KEY_LIFETIME + HOUR)
    await first_used_earlier(api, "old", KEY_LIFETIME + HOUR, tenant=OTHER_TENANT)
    await first_used_earlier(api, "recent", KEY_LIFETIME - HOUR)
    store = api.runtime.store
    # A process that has not purged yet purges when it first takes a key.
    process = IdempotencyKeys(store.engine, store.write_engine, owner="another process")
    try:
        async with process.hold(TENANT, "new", "a request's hash") as held:
            assert held.claim is not None
            assert await stored_keys(api) == {(TENANT, "recent"), (TENANT, "new")}
    finally:
        process.close()


async def test_a_batch_that_lost_to_other_writers_is_503_and_its_retry_with_the_key_runs_it(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    runtime = api.runtime
    # An ingestion that tries once, with the scorecard's state cached by a first batch; the
    # app's own ledger (GraphQL) then writes the scorecard, as another process would, so the
    # cached state is stale and the next batch's one attempt conflicts.
    runtime.ingestion.ledger = Ledger(runtime.store, max_attempts=1)
    assert statuses(await post_batch(api, [item("availability", "2026-02", 97.0)])) == ["created"]
    await api.ok(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "incidents", "period": "2026-02", "value": 2},
    )
    batch = [item("availability", "2026-03", 98.0), item("incidents", "2026-03", 1)]
    events_before = await event_count(runtime.store)

    contended = await post_batch(api, batch, key="contended")

    assert contended.status_code == 503, contended.text
    assert contended.headers["retry-after"] == "1"
    assert contended.headers["content-type"] == "application/problem+json"
    assert contended.json()["type"].endswith("/contention")
    assert await event_count(runtime.store) == events_before
    assert (TENANT, "contended") not in await stored_keys(api)

    runtime.ingestion.ledger = runtime.ledger  # retries as many times as the app does
    retried = await post_batch(api, batch, key="contended")
    replayed = await post_batch(api, batch, key="contended")

    assert statuses(retried) == ["created", "created"]
    assert "idempotent-replayed" not in retried.headers
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == retried.content
    assert await event_count(runtime.store) == events_before + 2


def dev_item(period: str, value: float) -> dict[str, Any]:
    return {**item("deploys", period, value), "scorecard": "dev"}


async def test_a_retry_after_503_reports_what_the_first_attempt_stored_and_stores_the_rest(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    created = await api.ok(
        "createScorecard",
        {"scorecardId": "dev", "teamId": "it", "name": "Delivery"},
        'scorecard(period: "2026-03") { perspectives { perspectiveId } }',
    )
    perspective = created["scorecard"]["perspectives"][0]["perspectiveId"]
    objective = {"objectiveId": "ship", "perspectiveId": perspective, "title": "Ship often"}
    await api.ok("addObjective", {"scorecardId": "dev", **objective})
    await api.ok(
        "defineKpi",
        {"scorecardId": "dev", "kpiId": "deploys", "objectiveId": "ship", "name": "Deploys"},
    )
    runtime = api.runtime
    runtime.ingestion.ledger = Ledger(runtime.store, max_attempts=1)
    # The one-attempt ingestion caches "dev" only; then "dev" changes behind its back.
    assert statuses(await post_batch(api, [dev_item("2026-02", 10.0)])) == ["created"]
    await api.ok(
        "recordMeasurement",
        {"scorecardId": "dev", "kpiId": "deploys", "period": "2026-03", "value": 12},
    )
    # "ops" (read fresh) is stored, then "dev" (stale) loses its one attempt.
    batch = [item("availability", "2026-04", 99.0), dev_item("2026-04", 14.0)]
    events_before = await event_count(runtime.store)

    contended = await post_batch(api, batch, key="half-done")

    assert contended.status_code == 503, contended.text
    assert await event_count(runtime.store) == events_before + 1
    runtime.ingestion.ledger = runtime.ledger
    retried = await post_batch(api, batch, key="half-done")

    assert statuses(retried) == ["created", "created"]
    assert await event_count(runtime.store) == events_before + 2
