"""Operations endpoints, unauthenticated (serve them on a network only operators reach):
``/healthz`` (the process answers), ``/readyz`` (database reachable, migrations current,
projection runners alive) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import asyncio
import functools
from http import HTTPStatus
from typing import Any

import orjson
import sqlalchemy as sa
import structlog
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from api.metrics import install_metrics, metrics_of
from api.migrations import current_revision, head_revision
from api.rest.problems import PROBLEM_CONTENT, PROBLEM_JSON, TYPE_BASE
from api.runtime import Runtime
from api.settings import ProjectionsMode

log = structlog.get_logger(__name__)

DATABASE_TIMEOUT = 2.0
"""Seconds the readiness check gives the database to answer."""
OK = "ok"

router = APIRouter(tags=["operations"])


@functools.cache
def _head() -> str | None:
    return head_revision()


async def readiness(runtime: Runtime) -> dict[str, str]:
    """Each check's state: ``ok``, or what is wrong."""
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            async with runtime.store.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            current = await current_revision(runtime.store.engine)
    except Exception as error:  # any failure to reach the database makes us not ready
        reason = "no answer in time" if isinstance(error, TimeoutError) else str(error)
        checks["database"] = f"unreachable: {reason.splitlines()[0] if reason else error!r}"
        checks["migrations"] = "unknown (the database is unreachable)"
    else:
        checks["database"] = OK
        head = _head()
        checks["migrations"] = (
            OK
            if current == head
            else f"the database is at migration {current or 'none'}, this version needs {head}"
        )
    if runtime.settings.projections is ProjectionsMode.OFF:
        checks["projections"] = OK  # worker processes run them
    elif not runtime.runners or not runtime.runners_alive():
        checks["projections"] = "a projection runner of this process has stopped"
    else:
        checks["projections"] = OK
    return checks


@router.get(
    "/healthz",
    summary="Liveness: the process answers",
    description="Always 200 while the process serves requests; touches no database.",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: database, migrations, projection runners",
    description="200 when every check is ok; 503 with a problem naming what is not ready.",
    response_class=Response,
    responses={
        200: {
            "description": "Ready.",
            "content": {
                "application/json": {
                    "example": {
                        "status": "ready",
                        "checks": {"database": OK, "migrations": OK, "projections": OK},
                    }
                }
            },
        },
        503: {"description": "Not ready.", "content": PROBLEM_CONTENT},
    },
)
async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    checks = await readiness(runtime)
    failing = {name: state for name, state in checks.items() if state != OK}
    if not failing:
        body: dict[str, Any] = {"status": "ready", "checks": checks}
        return Response(orjson.dumps(body), media_type="application/json")
    problem = {
        "type": TYPE_BASE + "not-ready",
        "title": HTTPStatus.SERVICE_UNAVAILABLE.phrase,
        "status": 503,
        "detail": "not ready: " + "; ".join(f"{n}: {s}" for n, s in failing.items()),
        "instance": request.url.path,
        "checks": checks,
    }
    return Response(orjson.dumps(problem), 503, media_type=PROBLEM_JSON)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Requests by route and status, latencies, events appended, ingestion items "
    "by result, each async projection's lag in events and seconds, and the subscriptions "
    "this process feeds.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    registry = metrics_of(request)
    runtime: Runtime = request.app.state.runtime
    registry.subscriptions.set(runtime.fanout.subscriptions())
    try:
        await registry.refresh_projection_lag(runtime)
    except Exception:  # the database is away: serve the other figures, the lag as last read
        log.warning("projection_lag_unavailable", exc_info=True)
    return Response(registry.exposition(), media_type=CONTENT_TYPE_LATEST)


def install_operations(app: FastAPI) -> None:
    """Mount the event feed and the operations endpoints, and count every request."""
    from api.rest.feed import router as feed_router

    install_metrics(app)
    app.include_router(feed_router)
    app.include_router(router)
