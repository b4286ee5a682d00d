"""``/healthz``, ``/readyz`` and ``/metrics``, and the request log, on both backends."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import pytest
import sqlalchemy as sa
import structlog
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families

from api.auth.roles import Role
from api.logs import configure_logging
from api.metrics import Metrics
from api.migrations import alembic_config, head_revision
from api.positions import decode_position
from api.settings import LogFormat
from projections import async_projections
from tests.e2e.conftest import Api, build_small_scorecard
from tests.feed import settled


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def stop_projection_runners(api: Api) -> None:
    """End this process's projection runners, as if they had died."""
    for task in api.runtime._tasks:
        task.cancel()
    for task in api.runtime._tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_healthz_answers_without_a_token(api: Api) -> None:
    response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_database_migrations_and_runners_are(api: Api) -> None:
    response = await api.http.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "projections": "ok"},
    }


async def test_readyz_names_migrations_that_are_behind(api: Api) -> None:
    head = head_revision()
    assert head is not None
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(head)
    async with api.runtime.store.write_engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE alembic_version SET version_num = :v"),
            {"v": previous.down_revision},
        )

    response = await api.http.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503
    assert problem["type"].endswith("/not-ready")
    assert (
        f"migrations: the database is at migration {previous.down_revision}" in (problem["detail"])
    )
    assert f"needs {head}" in problem["detail"]
    assert problem["checks"]["database"] == "ok"
    assert problem["checks"]["projections"] == "ok"


async def test_readyz_names_a_stopped_projection_runner(api: Api) -> None:
    await stop_projection_runners(api)

    response = await api.http.get("/readyz")

    assert response.status_code == 503
    problem = response.json()
    assert (
        problem["detail"]
        == "not ready: projections: a projection runner of this process has stopped"
    )
    assert problem["checks"]["migrations"] == "ok"


async def test_metrics_count_requests_by_route_events_appended_and_projection_lag(
    api: Api,
) -> None:
    ids = await build_small_scorecard(api)
    assert await api.runtime.wait_for_projections(decode_position(ids["position"]), timeout=30)
    await stop_projection_runners(api)
    late = 3
    for number in range(late):
        await api.ok("createTeam", {"teamId": f"late-{number}", "name": f"Late {number}"})
    headers = {"Authorization": f"Bearer {api.token(Role.INTEGRATOR)}"}
    assert (await api.http.get("/v1/events", headers=headers)).status_code == 200
    assert (
        await api.http.get("/v1/events", params={"limit": 0}, headers=headers)
    ).status_code == 422
    assert (await api.http.get("/no/such/path")).status_code == 404

    response = await api.http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    count = "scoreledger_http_requests_total"
    route = (("method", "GET"), ("route", "/v1/events"))
    assert found[(count, (*route, ("status", "200")))] == 1
    assert found[(count, (*route, ("status", "422")))] == 1
    graphql = found[(count, (("method", "POST"), ("route", "/graphql"), ("status", "200")))]
    assert graphql >= 8 + late
    assert found[(count, (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))] == 1
    latency = "scoreledger_http_request_duration_seconds"
    assert found[(f"{latency}_count", route)] == 2
    assert found[(f"{latency}_bucket", (("le", "+Inf"), *route))] == 2
    await settled(api.runtime.store)
    stored = await api.runtime.store.read_feed(limit=10_000)
    assert found[("scoreledger_events_appended_total", ())] == len(stored)
    for projection in async_projections():
        label = (("projection", projection.name),)
        assert found[("scoreledger_projection_lag_events", label)] == late
        assert found[("scoreledger_projection_lag_seconds", label)] >= 0


def test_each_app_counts_in_a_registry_of_its_own() -> None:
    first, second = Metrics(), Metrics()  # a shared registry would refuse the second
    first.ingestion_items.labels(result="created").inc(5)
    second.ingestion_items.labels(result="created").inc(2)
    created = ("scoreledger_ingestion_items_total", (("result", "created"),))
    assert samples(first.exposition().decode())[created] == 5
    assert samples(second.exposition().decode())[created] == 2


async def test_each_request_is_logged_with_its_request_id(api: Api) -> None:
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        response = await api.http.get("/healthz", headers={"X-Request-ID": "req-42"})
        other = await api.http.get("/readyz")

    assert response.headers["X-Request-ID"] == "req-42"
    requests = [entry for entry in logs if entry["event"] == "http_request"]
    assert [(e["route"], e["status"], e["request_id"]) for e in requests] == [
        ("/healthz", 200, "req-42"),
        ("/readyz", 200, other.headers["X-Request-ID"]),
    ]


async def test_json_logs_carry_the_request_id(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LogFormat.JSON)
    try:
        response = await api.http.get("/healthz", headers={"X-Request-ID": "req-7"})
    finally:
        structlog.reset_defaults()

    assert response.status_code == 200
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    (request,) = [line for line in lines if line["event"] == "http_request"]
    assert request["request_id"] == "req-7"
    assert request["route"] == "/healthz"
    assert request["status"] == 200
    assert request["level"] == "info"
    assert request["timestamp"].endswith("Z")
