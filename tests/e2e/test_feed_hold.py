"""Operators see which backend's open append holds the feed back, and for how long."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from api.settings import ProjectionsMode
from eventstore import NO_STREAM, Metadata, NewEvent
from eventstore.postgres import PostgresEventStore
from projections import async_projections
from tests.e2e.conftest import TENANT, Api, e2e_settings, serve
from tests.e2e.test_operations import samples
from tests.feed import settled
from tests.inflight import GUARD, HeldWriter, unrelated_transactions

pytestmark = pytest.mark.postgres

STATUS = (
    "{ projectionStatus { name lifecycle lagEvents heldBack { events pid transactionSeconds } } }"
)


async def async_status(api: Api) -> list[dict[str, Any]]:
    data = await api.query(STATUS)
    return [s for s in data["projectionStatus"] if s["lifecycle"] == "async"]


async def test_projection_status_and_metrics_name_the_backend_whose_append_holds_the_feed(
    postgres_url: str,
) -> None:
    settings = e2e_settings(postgres_url).model_copy(update={"projections": ProjectionsMode.OFF})
    async with unrelated_transactions(postgres_url), serve(settings) as api:
        store = api.runtime.store
        assert isinstance(store, PostgresEventStore)
        held = HeldWriter(store, TENANT, "held")
        await held.start()
        for i in range(2):
            await store.append(
                TENANT,
                f"later-{i}",
                NO_STREAM,
                [NewEvent("test.later", {"i": i})],
                Metadata(actor="test", recorded_at=datetime.now(UTC)),
            )

        statuses = await async_status(api)
        async with asyncio.timeout(GUARD):  # (a hold whose backend just ended has no pid)
            while any((s["heldBack"] or {}).get("pid") is None for s in statuses):
                statuses = await async_status(api)
        assert {s["name"] for s in statuses} == {p.name for p in async_projections()}
        for status in statuses:
            assert status["lagEvents"] == 2
            assert status["heldBack"]["events"] == 2
            assert status["heldBack"]["pid"] == held.pid
            assert status["heldBack"]["transactionSeconds"] >= 0
        found = samples((await api.http.get("/metrics")).text)
        for projection in async_projections():
            label = (("projection", projection.name),)
            assert found[("scoreledger_projection_held_back_events", label)] == 2
            assert found[("scoreledger_projection_lag_events", label)] == 2

        await held.commit()
        await settled(store)
        for status in await async_status(api):
            assert (status["lagEvents"], status["heldBack"]) == (3, None)
