"""Prometheus metrics of one app, in a registry of its own (several apps share a process in
tests and must not see each other's figures).

Each app's :class:`Metrics` lives at ``app.state.metrics``; :func:`metrics_of` finds it for a
route. Code that ingests measurements counts its items with
``metrics_of(request).ingestion_items.labels(result=...).inc(n)``, ``result`` being the
item's result (``created``, ``superseded``, ``unchanged`` or an error code).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.runtime import Runtime
from projections import async_projections, checkpoints

log = structlog.get_logger(__name__)

UNMATCHED = "<unmatched>"
"""The route label of a request no route matched (a 404), so paths never become labels."""


class Metrics:
    """The app's counters, histograms and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "scoreledger_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "scoreledger_http_request_duration_seconds",
            "Time from a request's arrival to the start of its response, by route template.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.events_appended = Counter(
            "scoreledger_events_appended",
            "Events this process appended to the store (committed; replays not counted).",
            registry=self.registry,
        )
        self.ingestion_items = Counter(
            "scoreledger_ingestion_items",
            "Measurement items ingested over REST, by result "
            "(created, superseded, unchanged, or the error code).",
            ["result"],
            registry=self.registry,
        )
        self.projection_lag_events = Gauge(
            "scoreledger_projection_lag_events",
            "Committed events after an async projection's checkpoint.",
            ["projection"],
            registry=self.registry,
        )
        self.projection_held_back_events = Gauge(
            "scoreledger_projection_held_back_events",
            "Of the events after an async projection's checkpoint, those the feed does not "
            "release yet because an append still in flight may commit events before them.",
            ["projection"],
            registry=self.registry,
        )
        self.projection_lag_seconds = Gauge(
            "scoreledger_projection_lag_seconds",
            "Age of the oldest event an async projection has not applied yet (0 when none).",
            ["projection"],
            registry=self.registry,
        )

        self.subscriptions = Gauge(
            "scoreledger_subscriptions",
            "GraphQL subscriptions this process is feeding now.",
            registry=self.registry,
        )

    def count_appended(self, events: int) -> None:
        """A store append listener: ``events`` were committed."""
        self.events_appended.inc(events)

    async def refresh_projection_lag(self, runtime: Runtime) -> None:
        """Read every async projection's checkpoint and the feed after it."""
        now = datetime.now(UTC)
        for projection in async_projections():
            async with runtime.store.engine.connect() as conn:
                checkpoint = await checkpoints.load(conn, projection.name)
            lag = await runtime.store.feed_lag(checkpoint)
            self.projection_lag_events.labels(projection.name).set(lag.events)
            oldest = lag.oldest
            age = 0.0 if oldest is None else max(0.0, (now - _aware(oldest)).total_seconds())
            self.projection_lag_seconds.labels(projection.name).set(age)
            self.projection_held_back_events.labels(projection.name).set(lag.held_back)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; the store writes them in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def metrics_of(request: Request) -> Metrics:
    """The metrics of the app serving ``request``."""
    metrics: Metrics = request.app.state.metrics
    return metrics


class RequestMetrics:
    """ASGI middleware: counts every HTTP request by its route template and status, times it
    to the start of its response, and logs it (with the request id the outer middleware
    bound to the log context)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        elapsed: float | None = None

        async def sending(message: Message) -> None:
            nonlocal status, elapsed
            if message["type"] == "http.response.start":
                status = int(message["status"])
                elapsed = time.perf_counter() - started
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            taken = elapsed if elapsed is not None else time.perf_counter() - started
            self.metrics.latency.labels(method, route).observe(taken)
            log.info(
                "http_request",
                method=method,
                route=route,
                path=scope.get("path"),
                status=status,
                duration_ms=round(taken * 1000, 2),
            )


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    if route is None:
        return UNMATCHED
    if not getattr(route, "param_convertors", None):
        # Without path parameters the path is its own template; a route's own path lacks
        # the prefix of the router it was included with (GraphQL's, for one).
        return str(scope.get("path") or UNMATCHED)
    return str(getattr(route, "path_format", UNMATCHED))


def install_metrics(app: FastAPI) -> Metrics:
    """Give ``app`` its own metrics and count its requests."""
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)
    return metrics
