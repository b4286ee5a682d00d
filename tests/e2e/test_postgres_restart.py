"""PostgreSQL restarted under a running server: requests fail with a clear 503 only while
it is down, everything reconnects by itself, nothing acknowledged is lost and subscribers
miss nothing.

The server is a real uvicorn (in the test's event loop, for the websocket subscriptions) on
a PostgreSQL cluster of the test's own (tests.pgcluster), which the test crashes
(``pg_ctl stop -m immediate``) or shuts down (``-m fast``) and starts again; the shared
server other tests use is never touched. Coordination is by what the system reports (the
fan-out's position, ``/readyz``, the subscription's messages), each wait bounded; nothing
sleeps to decide an outcome.

To have events that were committed before the restart but not yet delivered, the test
holds the feed back the documented way: a transaction with a transaction id left open
keeps every later transaction out of the gap-safe feed, so the writes made meanwhile are
acknowledged yet unseen by the fan-out until the crash ends that transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
import websockets

from api.app import create_app
from api.auth.roles import Role
from api.graphql.loaders import ScorecardKey
from api.graphql.subscriptions import current_scorecard
from api.positions import decode_position
from api.runtime import Runtime
from domain.periods import Period
from eventstore import NO_STREAM, Metadata, NewEvent
from eventstore.factory import open_store
from eventstore.horizon import TAKE_APPEND_LOCK
from eventstore.postgres import PostgresEventStore
from projections import async_projections
from tests.e2e.conftest import (
    TENANT,
    Api,
    build_small_scorecard,
    e2e_settings,
    fanout_past,
    kpi_gid,
    scorecard_gid,
)
from tests.e2e.rest import current_measurements, item
from tests.e2e.subscribing import next_payload, subscribe
from tests.pgcluster import PrivateCluster

pytestmark = pytest.mark.postgres

READY_TIMEOUT = 30.0
MESSAGE_TIMEOUT = 30.0


@contextlib.asynccontextmanager
async def live_server(url: str) -> AsyncIterator[tuple[int, Api]]:
    """The app on uvicorn on a free port, with admin, viewer and integrator tokens."""
    app = create_app(e2e_settings(url))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # requests wait in the backlog until startup has finished
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            await http.get("/healthz")  # answered once the lifespan has started
            runtime: Runtime = app.state.runtime
            api = Api(http, runtime)
            for role in (Role.ADMIN, Role.VIEWER, Role.INTEGRATOR):
                issued = await runtime.tokens.create(TENANT, role)
                api.tokens[(TENANT, role)] = issued.secret
            yield port, api
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _next(ws: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await next_payload(ws, MESSAGE_TIMEOUT))["data"]
    return data


async def _record(api: Api, period: str, value: float) -> str:
    """Record a measurement that must be acknowledged; its position token."""
    payload = await api.ok(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "availability", "period": period, "value": value},
    )
    position: str = payload["position"]
    return position


async def _until_ready(api: Api) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    while True:
        response = await api.http.get("/readyz")
        if response.status_code == 200:
            return
        assert response.status_code == 503, response.text
        assert loop.time() < deadline, f"not ready {READY_TIMEOUT:g} s after the restart"
        await asyncio.sleep(0.05)  # a polling interval; the outcome is /readyz's


async def _assert_unavailable(api: Api) -> None:
    """Every kind of request answers 503 with a clear, typed error and no traceback."""
    scorecard = await api.http.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { scorecard(id: $id) { name } }",
            "variables": {"id": scorecard_gid("ops")},
        },
        headers={"Authorization": f"Bearer {api.token(Role.VIEWER)}"},
    )
    mutation = await api.http.post(
        "/graphql",
        json={
            "query": "mutation($i: RecordMeasurementInput!) "
            "{ recordMeasurement(input: $i) { position } }",
            "variables": {
                "i": {"scorecardId": "ops", "kpiId": "availability", "period": "2026-09"}
                | {"value": 1}
            },
        },
        headers={"Authorization": f"Bearer {api.token(Role.ADMIN)}"},
    )
    for response in (scorecard, mutation):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        body = response.json()
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
        assert error["message"] == "the database is unavailable; retry shortly"
        assert "Traceback" not in response.text and "asyncpg" not in response.text
    integrator = {"Authorization": f"Bearer {api.token(Role.INTEGRATOR)}"}
    posted = await api.http.post(
        "/v1/measurements",
        json={"items": [item("availability", "2026-09", 1)]},
        headers={**integrator, "Idempotency-Key": "during-the-outage"},
    )
    feed = await api.http.get("/v1/events", headers=integrator)
    for response in (posted, feed):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        problem = response.json()
        assert problem["type"].endswith("/database-unavailable")
        assert problem["status"] == 503
        assert problem["detail"] == "the database is unavailable; retry shortly"
    ready = await api.http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unreachable")
    assert (await api.http.get("/healthz")).status_code == 200


async def _assert_subscribing_is_refused_for_now(port: int, token: str) -> None:
    """A new subscription's token cannot be checked: closed as "try again later"."""
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), timeout=MESSAGE_TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert closed.value.rcvd.reason == "the database is unavailable; retry shortly"


@pytest.mark.parametrize("mode", ["immediate", "fast"])
async def test_a_postgres_restart_fails_requests_only_while_it_is_down_and_loses_nothing(
    private_postgres_url: tuple[PrivateCluster, str], mode: str
) -> None:
    cluster, url = private_postgres_url
    async with live_server(url) as (port, api):
        runtime = api.runtime
        built = await build_small_scorecard(api)
        await fanout_past(api, built["position"])
        values = await subscribe(
            port,
            api.token(Role.ADMIN),
            "subscription($id: ID!) { measurementRecorded(kpiId: $id) { period value } }",
            {"id": kpi_gid("ops", "availability")},
        )
        card = await subscribe(
            port,
            api.token(Role.VIEWER),
            'subscription($id: ID!) { scorecardChanged(id: $id, period: "2026-07") '
            '{ kpi(kpiId: "availability") { actual } } }',
            {"id": scorecard_gid("ops")},
        )
        await runtime.fanout.wait_for_subscribers(TENANT, 2)
        try:
            await _record(api, "2026-01", 91)
            assert (await _next(values))["measurementRecorded"] == {
                "period": "2026-01",
                "value": 91.0,
            }

            # Acknowledged, committed, and held out of the feed until the restart: by what
            # looks to readers like an append still in flight (the append lock, then an id).
            holder = await asyncpg.connect(url)
            await holder.execute("BEGIN")
            await holder.execute(f"SELECT {TAKE_APPEND_LOCK}")
            await holder.fetchval("SELECT pg_current_xact_id()")
            held = [await _record(api, period, 92) for period in ("2026-02", "2026-03")]
            assert runtime.fanout.position < decode_position(held[0])
            listening = runtime.store.hub.connection
            assert listening is not None and not listening.is_closed()

            await asyncio.to_thread(cluster.stop, mode)
            # What a scorecard subscription does for a change it was handed just before.
            key = ScorecardKey("ops", Period.parse("2026-03"), None, 1)
            pushed = asyncio.ensure_future(current_scorecard(runtime, TENANT, key))
            await _assert_unavailable(api)
            await _assert_subscribing_is_refused_for_now(port, api.token(Role.VIEWER))
            assert not pushed.done(), "the subscription gave up while the database was away"
            with contextlib.suppress(Exception):
                await holder.close(timeout=1)
            await asyncio.to_thread(cluster.start)
            await _until_ready(api)
            view = await asyncio.wait_for(pushed, MESSAGE_TIMEOUT)
            assert view is not None and view.scorecard_id == "ops"

            # Served at once, with no failure left over from the old connections.
            for period in ("2026-04", "2026-05"):
                await _record(api, period, 93)
            data = await api.query(
                'query($id: ID!) { scorecard(id: $id, period: "2026-04") '
                '{ kpi(kpiId: "availability") { actual } } }',
                {"id": scorecard_gid("ops")},
                role=Role.VIEWER,
            )
            assert data["scorecard"]["kpi"] == {"actual": 93.0}
            integrator = {"Authorization": f"Bearer {api.token(Role.INTEGRATOR)}"}
            posted = await api.http.post(
                "/v1/measurements",
                json={"items": [item("availability", "2026-06", 94)]},
                headers={**integrator, "Idempotency-Key": "after-the-outage"},
            )
            assert posted.status_code == 207, posted.text
            assert (await api.http.get("/v1/events", headers=integrator)).status_code == 200
            last = await _record(api, "2026-07", 95)

            # Every change once, in commit order: the held ones, then the later ones.
            received = [(await _next(values))["measurementRecorded"] for _ in range(6)]
            assert [(r["period"], r["value"]) for r in received] == [
                ("2026-02", 92.0),
                ("2026-03", 92.0),
                ("2026-04", 93.0),
                ("2026-05", 93.0),
                ("2026-06", 94.0),
                ("2026-07", 95.0),
            ]
            # The scorecard subscription lived through it too and shows the last change.
            while (await _next(card))["scorecardChanged"]["kpi"]["actual"] != 95.0:
                pass

            # The projection runners took their leadership back and caught up.
            assert await runtime.wait_for_projections(decode_position(last), timeout=30)
            assert all(runner.active.is_set() for runner in runtime.runners)
            assert runtime.runners_alive()
            assert await _projection_locks_held(url) == len(async_projections())
            # The LISTEN connection is a new one and wakes waiters for other writers' events.
            listening_now = runtime.store.hub.connection
            assert listening_now is not None and listening_now is not listening
            await _woken_by_another_writer(runtime, url)
        finally:
            await values.close()
            await card.close()
    await _nothing_lost(url)


async def _woken_by_another_writer(runtime: Runtime, url: str) -> None:
    waiter = runtime.store.waiter()
    woken = asyncio.ensure_future(waiter.wait(timeout=MESSAGE_TIMEOUT))
    other = open_store(url)
    try:
        await other.append(
            "elsewhere",
            "probe",
            NO_STREAM,
            [NewEvent("probe.written", {})],
            Metadata(actor="probe", recorded_at=datetime.now(UTC)),
        )
    finally:
        await other.close()
    assert await woken, "no notification reached the server after the restart"


async def _nothing_lost(url: str) -> None:
    """Every acknowledged measurement is stored, once, and the hash chains verify."""
    store = open_store(url)
    assert isinstance(store, PostgresEventStore)
    try:
        stored = {
            (kpi, period): value for kpi, period, value, _ in await current_measurements(store)
        }
        assert stored == {
            ("availability", "2026-01"): 91.0,
            ("availability", "2026-02"): 92.0,
            ("availability", "2026-03"): 92.0,
            ("availability", "2026-04"): 93.0,
            ("availability", "2026-05"): 93.0,
            ("availability", "2026-06"): 94.0,
            ("availability", "2026-07"): 95.0,
        }
        report = await store.verify(TENANT)
        assert report.ok, report.broken
    finally:
        await store.close()


async def _projection_locks_held(url: str) -> int:
    """Sessions holding a projection's leadership (one-part advisory locks)."""
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
        )
        return count
    finally:
        await conn.close()
