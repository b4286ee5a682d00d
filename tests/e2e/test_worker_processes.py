"""Scale-out on PostgreSQL: two API processes with SCORELEDGER_PROJECTIONS=off and one
``scoreledger worker`` on one database. A measurement recorded through one API process reaches
a subscription on the other, and a read there with ``consistentWith`` is answered once the
worker (the only runner of the async projections) has projected it."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.auth.roles import Role
from tests.e2e.conftest import build_small_scorecard, e2e_settings, kpi_gid, scorecard_gid, serve
from tests.e2e.processes import Process, listening_socket, start_api, start_worker
from tests.e2e.subscribing import next_payload, subscribe

pytestmark = pytest.mark.postgres


@pytest.fixture
async def listeners() -> AsyncIterator[tuple[socket.socket, socket.socket]]:
    first, second = listening_socket(), listening_socket()
    try:
        yield first, second
    finally:
        first.close()
        second.close()


async def _prepare(url: str) -> str:
    async with serve(e2e_settings(url)) as api:
        await build_small_scorecard(api)
        return api.token(Role.ADMIN)


async def _next(ws: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await next_payload(ws, timeout=60))["data"]
    return data


async def _subscriptions(http: httpx.AsyncClient) -> float:
    response = await http.get("/metrics")
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "scoreledger_subscriptions":
                return sample.value
    raise AssertionError("no scoreledger_subscriptions in /metrics")


async def _until_subscribed(http: httpx.AsyncClient, count: int) -> None:
    """Until the server feeds ``count`` subscriptions (a subscribe message has no answer of
    its own, so the test asks the server's metrics)."""
    async with asyncio.timeout(60):
        while await _subscriptions(http) < count:
            continue  # each scrape is a round trip to the server: that paces the loop


async def test_a_change_through_one_api_process_reaches_a_subscription_on_another(
    postgres_url: str, listeners: tuple[socket.socket, socket.socket]
) -> None:
    token = await _prepare(postgres_url)
    headers = {"Authorization": f"Bearer {token}"}
    processes: list[Process] = []
    try:
        worker = await start_worker(postgres_url)
        processes.append(worker)
        for listener in listeners:
            processes.append(await start_api(postgres_url, listener, projections="off"))
        writer_port, reader_port = (listener.getsockname()[1] for listener in listeners)
        await worker.logged("projection_runner_active", count=2)
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{writer_port}", timeout=60) as writer,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{reader_port}", timeout=60) as reader,
        ):
            for http in (writer, reader):  # waits in the backlog until the server is up
                assert (await http.get("/readyz")).status_code == 200
            card = await subscribe(
                reader_port,
                token,
                'subscription($id: ID!) { scorecardChanged(id: $id, period: "2026-03") '
                '{ kpi(kpiId: "availability") { actual status } } }',
                {"id": scorecard_gid("ops")},
            )
            values = await subscribe(
                reader_port,
                token,
                "subscription($id: ID!) { measurementRecorded(kpiId: $id) { value } }",
                {"id": kpi_gid("ops", "availability")},
            )
            await _until_subscribed(reader, 2)

            recorded = await writer.post(
                "/graphql",
                headers=headers,
                json={
                    "query": 'mutation { recordMeasurement(input: {scorecardId: "ops", '
                    'kpiId: "availability", period: "2026-03", value: 64}) '
                    "{ position userErrors { code } } }"
                },
            )
            payload = recorded.json()["data"]["recordMeasurement"]
            assert payload["userErrors"] == []

            assert (await _next(values))["measurementRecorded"] == {"value": 64.0}
            pushed = (await _next(card))["scorecardChanged"]["kpi"]
            assert pushed == {"actual": 64.0, "status": "AMBER"}
            # The reader runs no projections: consistentWith waits for the worker's.
            consistent = await reader.post(
                "/graphql",
                headers=headers,
                json={
                    "query": "query($p: String!) { scorecard(id: "
                    f'"{scorecard_gid("ops")}", period: "2026-03", consistentWith: $p) '
                    '{ kpi(kpiId: "availability") { actual } } }',
                    "variables": {"p": payload["position"]},
                },
            )
            assert consistent.json() == {"data": {"scorecard": {"kpi": {"actual": 64.0}}}}, (
                consistent.text
            )
            await card.close()
            await values.close()
        assert await worker.stop() == 0
        for process in processes[1:]:  # uvicorn ends by raising the signal it handled again
            assert await process.stop() in (0, -signal.SIGTERM)
    finally:
        for process in processes:
            await process.kill()
