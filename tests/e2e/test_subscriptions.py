"""Subscriptions over graphql-transport-ws on a real server, fed by the database's feed."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
import websockets

from api.app import create_app
from api.auth.roles import Role
from api.runtime import Runtime
from domain.scorecard.commands import RecordMeasurement
from eventstore import Metadata
from eventstore.factory import open_store
from ledger import Ledger
from tests.e2e.conftest import (
    TENANT,
    Api,
    build_small_scorecard,
    e2e_settings,
    fanout_past,
    kpi_gid,
    scorecard_gid,
)
from tests.e2e.subscribing import next_payload, subscribe


class LiveServer:
    def __init__(self, database_url: str) -> None:
        self.app = create_app(e2e_settings(database_url))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)  # connections wait in the backlog until the server accepts
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="on", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[tuple[LiveServer, Api]]:
    server = LiveServer(database_url)
    task = asyncio.create_task(server.server.serve(sockets=[server.sock]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            # The first request waits in the listen backlog until startup has finished.
            await http.get("/docs")
            client = Api(http, server.runtime)
            for role in (Role.ADMIN, Role.VIEWER):
                issued = await server.runtime.tokens.create(TENANT, role)
                client.tokens[(TENANT, role)] = issued.secret
            other = await server.runtime.tokens.create("rival", Role.ADMIN)
            client.tokens[("rival", Role.ADMIN)] = other.secret
            yield server, client
    finally:
        server.server.should_exit = True
        await task


async def test_a_measurement_pushes_the_scorecard_and_the_measurement_to_subscribers(
    live: tuple[LiveServer, Api],
) -> None:
    server, api = live
    built = await build_small_scorecard(api)
    await fanout_past(api, built["position"])
    card = await subscribe(
        server.port,
        api.token(Role.VIEWER),
        'subscription($id: ID!) { scorecardChanged(id: $id, period: "2026-03") '
        '{ kpi(kpiId: "availability") { actual status } } }',
        {"id": scorecard_gid("ops")},
    )
    values = await subscribe(
        server.port,
        api.token(Role.ADMIN),
        "subscription($id: ID!) { measurementRecorded(kpiId: $id) "
        "{ kpiId period value eventType recorded { actor } } }",
        {"id": kpi_gid("ops", "availability")},
    )
    await server.runtime.fanout.wait_for_subscribers(TENANT, 2)
    await api.ok(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03", "value": 64},
    )
    pushed = await next_payload(card)
    assert pushed["data"]["scorecardChanged"]["kpi"] == {"actual": 64.0, "status": "AMBER"}
    event = (await next_payload(values))["data"]["measurementRecorded"]
    assert event["kpiId"] == "availability"
    assert event["value"] == 64.0
    assert event["eventType"] == "scorecard.measurement_recorded"
    assert event["recorded"]["actor"] == api.runtime_actor(Role.ADMIN)
    await card.close()
    await values.close()


async def test_a_change_written_by_another_process_reaches_the_subscription(
    live: tuple[LiveServer, Api], database_url: str
) -> None:
    server, api = live
    built = await build_small_scorecard(api)
    await fanout_past(api, built["position"])
    ws = await subscribe(
        server.port,
        api.token(Role.ADMIN),
        "subscription($id: ID!) { measurementRecorded(kpiId: $id) { value } }",
        {"id": kpi_gid("ops", "availability")},
    )
    await server.runtime.fanout.wait_for_subscribers(TENANT, 1)
    # Another writer with its own store and connections, as another process would have.
    store = open_store(database_url)
    try:
        await Ledger(store).execute(
            TENANT,
            RecordMeasurement(
                scorecard_id="ops", measurement_id="m-other", kpi_id="availability",
                period="2026-03", value=71,
            ),
            Metadata(actor="other-process", recorded_at=datetime.now(UTC)),
        )  # fmt: skip
    finally:
        await store.close()
    assert (await next_payload(ws))["data"]["measurementRecorded"]["value"] == 71.0
    await ws.close()


async def test_a_subscription_without_a_valid_token_is_refused(
    live: tuple[LiveServer, Api],
) -> None:
    server, _ = live
    ws = await websockets.connect(
        f"ws://127.0.0.1:{server.port}/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
    )
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_another_organization_receives_nothing_of_ours(live: tuple[LiveServer, Api]) -> None:
    server, api = live
    built = await build_small_scorecard(api)
    await fanout_past(api, built["position"])
    # The same ids in another organization.
    built = await build_small_scorecard(api, tenant="rival")
    await fanout_past(api, built["position"])
    ws = await subscribe(
        server.port,
        api.token(Role.ADMIN, "rival"),
        "subscription($id: ID!) { measurementRecorded(kpiId: $id) { value } }",
        {"id": kpi_gid("ops", "availability")},
    )
    await server.runtime.fanout.wait_for_subscribers("rival", 1)
    item = {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03"}
    await api.ok("recordMeasurement", {**item, "value": 64})
    await api.ok("recordMeasurement", {**item, "value": 99}, tenant="rival")
    # The feed delivers in order: had ours leaked, 64 would arrive first.
    assert (await next_payload(ws))["data"]["measurementRecorded"]["value"] == 99.0
    await ws.close()
