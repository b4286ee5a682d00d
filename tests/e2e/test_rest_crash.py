"""Crash safety: a server process killed with SIGKILL while a batch is in flight; the
client's retry with the same key, on a restarted server, stores every item exactly once and
the hash chains verify. On PostgreSQL, through real uvicorn processes over HTTP.

Coordination is by a FIFO and the process's exit, never by sleeping: the server's test
fault-injection point (api.rest.faults) writes to the FIFO when the batch reaches it and
then hangs there. The listening socket belongs to the test and is handed to each server
process (uvicorn --fd), so the client's requests simply wait in its backlog until a server
accepts them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth.roles import Role
from eventstore.factory import open_store
from tests.e2e.conftest import TENANT, build_small_scorecard, e2e_settings, serve
from tests.e2e.rest import current_measurements, event_count

ROOT = Path(__file__).resolve().parents[2]
KEY = "crash-2026-12-03"

pytestmark = pytest.mark.postgres


async def _prepare(url: str) -> str:
    """The small scorecard, a second one with a KPI, and an integrator token."""
    async with serve(e2e_settings(url)) as api:
        await build_small_scorecard(api)
        card = await api.ok(
            "createScorecard",
            {"scorecardId": "ops2", "teamId": "it", "name": "Ops 2"},
            'scorecard(period: "2026-03") { perspectives { perspectiveId } }',
        )
        await api.ok(
            "addObjective",
            {
                "scorecardId": "ops2",
                "objectiveId": "fast",
                "perspectiveId": card["scorecard"]["perspectives"][2]["perspectiveId"],
                "title": "Fast",
            },
        )
        await api.ok(
            "defineKpi",
            {"scorecardId": "ops2", "kpiId": "latency", "objectiveId": "fast", "name": "p95"},
        )
        return api.token(Role.INTEGRATOR)


def _items() -> list[dict[str, Any]]:
    periods = [f"{2001 + n // 12}-{n % 12 + 1:02d}" for n in range(100)]
    first = [{"scorecard": "ops", "kpi": "availability", "period": p, "value": 99} for p in periods]
    second = [{"scorecard": "ops2", "kpi": "latency", "period": p, "value": 120} for p in periods]
    return first + second


class Server:
    """One uvicorn process serving the app on the test's socket."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, url: str, listener: socket.socket, fault: str | None) -> Server:
        env = {**os.environ, "SCORELEDGER_DATABASE_URL": url, "SCORELEDGER_POLL_INTERVAL": "0.05"}
        env.pop("SCORELEDGER_TEST_FAULT_PAUSE", None)
        if fault is not None:
            env["SCORELEDGER_TEST_FAULT_PAUSE"] = fault
        fd = listener.fileno()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
            "--fd", str(fd), "--log-level", "warning",
            cwd=ROOT, env=env, pass_fds=(fd,),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        return cls(process)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


@pytest.fixture
async def listener() -> AsyncIterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    try:
        yield sock
    finally:
        sock.close()


async def _until_paused(fifo: Path, server: Server, request: asyncio.Task[Any]) -> str:
    """What the fault point announced; fails if the server or the request ended first."""
    announced = asyncio.ensure_future(asyncio.to_thread(fifo.read_text))
    exited = asyncio.ensure_future(server.process.wait())
    done, _ = await asyncio.wait({announced, exited, request}, return_when="FIRST_COMPLETED")
    exited.cancel()
    if announced not in done:
        # Unblock the reader thread (it waits for a writer to open the FIFO).
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        await announced
        pytest.fail(f"the batch never reached the fault point: {request}")
    return announced.result().strip()


@pytest.mark.parametrize("point", ["before_append", "after_append"])
async def test_a_batch_retried_after_its_server_was_killed_is_stored_exactly_once(
    postgres_url: str, listener: socket.socket, tmp_path: Path, point: str
) -> None:
    token = await _prepare(postgres_url)
    store = open_store(postgres_url)
    items = _items()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    fifo = tmp_path / "fault"
    os.mkfifo(fifo)
    servers: list[Server] = []
    try:
        events_before = await event_count(store)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            servers.append(await Server.start(postgres_url, listener, f"{point}:{fifo}"))
            request = asyncio.ensure_future(
                client.post("/v1/measurements", json={"items": items}, headers=headers)
            )
            assert await _until_paused(fifo, servers[0], request) == point
            await servers[0].kill()
            with pytest.raises(httpx.TransportError):
                await request
        # The kill left the batch unanswered: nothing written, or the first scorecard's part.
        written = await event_count(store) - events_before
        assert written == (0 if point == "before_append" else 100)

        servers.append(await Server.start(postgres_url, listener, None))
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            retry = await client.post("/v1/measurements", json={"items": items}, headers=headers)
            replay = await client.post("/v1/measurements", json={"items": items}, headers=headers)

        assert retry.status_code == 207, retry.text
        assert [r["status"] for r in retry.json()["results"]] == ["created"] * 200
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.content == retry.content
        assert await event_count(store) - events_before == 200
        stored = await current_measurements(store)
        assert len(stored) == len({(kpi, period) for kpi, period, _, _ in stored}) == 200
        assert sorted(r["measurement_id"] for r in retry.json()["results"]) == sorted(
            m for _, _, _, m in stored
        )
        report = await store.verify(TENANT)
        assert report.ok, report.broken
    finally:
        for server in servers:
            await server.kill()
        await store.close()
