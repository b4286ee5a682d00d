"""POST /v1/measurements: a result per item, retries that never duplicate, concurrent
batches that never lose or double an item; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from api.auth.roles import Role
from projections.read_models import ReadModelProjection
from projections.rebuild import rebuild
from tests.e2e.conftest import OTHER_TENANT, Api, build_small_scorecard
from tests.e2e.rest import (
    current_measurements,
    event_count,
    item,
    post_batch,
    read_model_content,
    statuses,
)


def months(count: int, first_year: int = 2000) -> list[str]:
    return [f"{first_year + n // 12}-{n % 12 + 1:02d}" for n in range(count)]


async def test_a_thousand_items_retried_with_their_key_get_the_same_bytes_and_write_nothing_more(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    periods = months(500)
    items = [
        item(kpi, period, 90 + n % 10)
        for kpi in ("availability", "incidents")
        for n, period in enumerate(periods)
    ]
    assert len(items) == 1000
    before = await event_count(api.runtime.store)

    first = await post_batch(api, items, key="nightly-2026-12-03")

    assert statuses(first) == ["created"] * 1000
    assert first.json()["counts"] == {"created": 1000, "superseded": 0, "unchanged": 0, "error": 0}
    assert "idempotent-replayed" not in first.headers
    written = await event_count(api.runtime.store)
    assert written - before == 1000
    again = await post_batch(api, items, key="nightly-2026-12-03")
    assert again.status_code == 207
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await event_count(api.runtime.store) == written
    assert len(await current_measurements(api.runtime.store)) == 1000


async def test_bad_items_get_their_own_errors_and_the_good_ones_are_stored_as_a_rebuild_has_them(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    await api.ok("closePeriod", {"scorecardId": "ops", "period": "2026-01"})
    february = (await post_batch(api, [item("availability", "2026-02", 97.0)])).json()
    batch = [
        item("availability", "2026-03", 98.5, source="monitoring", external_ref="mon-1"),
        item("uptime", "2026-03", 99.0),  # unknown KPI
        item("availability", "2026-01", 99.0),  # closed period
        item("incidents", "2026-03", float("nan")),
        item("incidents", "2026-Q1", 4),  # a monthly KPI
        item("availability", "2026-02", 96.0),  # a correction without a reason
        item("incidents", "2026-03", 2, note="two P1s"),
        item("availability", "2026-04", "high"),  # not a number
        item("availability", "2026-02", 96.5, reason="late feed"),
        item("availability", "2026-03", 98.5, source="monitoring", external_ref="mon-1"),
    ]
    events_before = await event_count(api.runtime.store)

    response = await post_batch(api, batch, key="with-bad-items")

    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    assert [(r["status"], r["code"], r["field"]) for r in results] == [
        ("created", None, None),
        ("error", "kpi.not_found", "kpi"),
        ("error", "period.closed", "period"),
        ("error", "measurement.non_finite", "value"),
        ("error", "measurement.wrong_granularity", "period"),
        ("error", "measurement.reason_required", "reason"),
        ("created", None, None),
        ("error", "input.invalid", "value"),
        ("superseded", None, None),
        ("unchanged", None, None),
    ]
    assert all(r["message"] for r in results if r["status"] == "error")
    assert results[8]["supersedes"] == february["results"][0]["measurement_id"]
    assert results[9]["measurement_id"] == results[0]["measurement_id"]
    assert await event_count(api.runtime.store) - events_before == 3
    assert [(k, p, v) for k, p, v, _ in await current_measurements(api.runtime.store)] == [
        ("availability", "2026-02", 96.5),
        ("availability", "2026-03", 98.5),
        ("incidents", "2026-03", 2.0),
    ]
    incremental = await read_model_content(api.runtime.store)
    await rebuild(api.runtime.store, ReadModelProjection())
    assert await read_model_content(api.runtime.store) == incremental


async def test_editors_and_admins_may_post_a_batch_too(api: Api) -> None:
    await build_small_scorecard(api)
    editor = await post_batch(api, [item("availability", "2026-02", 97.0)], role=Role.EDITOR)
    admin = await post_batch(api, [item("availability", "2026-03", 97.0)], role=Role.ADMIN)
    assert statuses(editor) == statuses(admin) == ["created"]


async def test_two_concurrent_batches_for_one_scorecard_store_every_item_exactly_once(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    periods = months(60, 2010)
    shared = [item("incidents", period, 1) for period in periods[:20]]
    first = [item("availability", period, 99.0) for period in periods[:30]] + shared
    second = [item("availability", period, 98.0) for period in periods[30:]] + shared
    events_before = await event_count(api.runtime.store)
    both_sending = asyncio.Barrier(2)

    async def send(items: list[dict[str, Any]], key: str) -> list[str]:
        await both_sending.wait()
        return statuses(await post_batch(api, items, key=key))

    one, two = await asyncio.gather(send(first, "first"), send(second, "second"))

    assert one[:30] == ["created"] * 30 and two[:30] == ["created"] * 30
    # Each shared item is stored by whichever batch came first; the other sees a repeat.
    for index in range(30, 50):
        assert sorted((one[index], two[index])) == ["created", "unchanged"]
    stored = await current_measurements(api.runtime.store)
    assert len(stored) == 80
    assert len({(kpi, period) for kpi, period, _, _ in stored}) == 80
    assert await event_count(api.runtime.store) - events_before == 80


async def test_idempotency_keys_belong_to_one_organization(api: Api) -> None:
    await build_small_scorecard(api)
    await build_small_scorecard(api, tenant=OTHER_TENANT)
    items = [item("availability", "2026-02", 97.0)]
    ours = await post_batch(api, items, key="shared-key")
    theirs = await post_batch(api, items, key="shared-key", tenant=OTHER_TENANT)
    assert statuses(ours) == statuses(theirs) == ["created"]
    assert "idempotent-replayed" not in theirs.headers
    assert (
        ours.json()["results"][0]["measurement_id"] != theirs.json()["results"][0]["measurement_id"]
    )
    assert await event_count(api.runtime.store, OTHER_TENANT) > 0


async def test_ingested_items_are_counted_by_result_in_the_metrics(api: Api) -> None:
    await build_small_scorecard(api)
    batch = [
        item("availability", "2026-05", 98.0),
        item("uptime", "2026-05", 99.0),  # unknown KPI
        item("availability", "2026-05", 98.0),  # an identical repeat
    ]
    results = (await post_batch(api, batch)).json()["results"]
    unknown = results[1]["code"]
    assert [r["status"] for r in results] == ["created", "error", "unchanged"]

    text = (await api.http.get("/metrics")).text

    def count(result: str) -> float:
        line = f'scoreledger_ingestion_items_total{{result="{result}"}} '
        found = [row for row in text.splitlines() if row.startswith(line)]
        return float(found[0].split()[-1]) if found else 0.0

    assert (count("created"), count(unknown), count("unchanged")) == (1.0, 1.0, 1.0)
