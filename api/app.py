"""The composition root: ``create_app(settings)`` builds the FastAPI app and its schema;
the lifespan opens the runtime (store, migrations, runners) and closes it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Request, Response, WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from api.dashboard import mount_dashboard
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.outages import Outage, install_outage_handlers, outage_of
from api.rest.operations import install_operations
from api.rest.setup import install_rest
from api.runtime import Runtime, open_runtime
from api.settings import Settings

REQUEST_ID = "X-Request-ID"
TRY_AGAIN_LATER = 1013
"""The WebSocket close code for a server that cannot serve the connection now."""


def bearer(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail=message,
        headers={"WWW-Authenticate": 'Bearer realm="scoreledger"'},
    )


class DatabaseOutage(Exception):
    """A subscription's token could not be checked: the database is not answering."""

    def __init__(self, outage: Outage) -> None:
        super().__init__(outage.message)
        self.outage = outage


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, closing a connection whose ``connection_init`` met a database
    outage with 1013 (try again later) and the reason, not as a refused token (4403)."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except DatabaseOutage as error:
            await self.websocket.close(code=TRY_AGAIN_LATER, reason=error.outage.message)


class ScoreledgerGraphQL(GraphQLRouter[Context, None]):
    """The GraphQL router; subscriptions authenticate in ``connection_init``."""

    graphql_transport_ws_handler_class = TransportWSHandler

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        raw = None
        if isinstance(params, dict):
            raw = params.get("Authorization") or params.get("authorization")
            if raw is None and isinstance(params.get("token"), str):
                raw = f"Bearer {params['token']}"
        token = bearer(raw if isinstance(raw, str) else None)
        try:
            principal = None if token is None else await context.runtime.tokens.authenticate(token)
        except Exception as error:
            outage = outage_of(error)
            if outage is None:
                raise
            raise DatabaseOutage(outage) from error
        if principal is None:
            raise ConnectionRejectionError({"message": "a valid bearer token is required"})
        context.authenticate(principal)
        return {"organizationId": principal.tenant_id, "role": principal.role.value}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole server for ``settings`` (read from the environment when not given)."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            runtime.store.append_listeners.append(app.state.metrics.count_appended)
            yield

    app = FastAPI(
        title="Scoreledger",
        description=(
            "Event-sourced balanced scorecards: GraphQL at /graphql; REST for integrators "
            "under /v1 (errors as RFC 9457 application/problem+json)."
        ),
        version="0.1.0",
        lifespan=lifespan,
    )

    async def context_getter(
        request: Request = None,  # type: ignore[assignment]
        ws: WebSocket = None,  # type: ignore[assignment]
    ) -> Context:
        connection = request if request is not None else ws
        runtime: Runtime = connection.app.state.runtime
        request_id = connection.headers.get(REQUEST_ID) or uuid.uuid4().hex
        if ws is not None:
            return Context(runtime, None, request_id)
        if request.method == "GET" and "query" not in request.query_params:
            return Context(runtime, None, request_id)  # the IDE page itself
        token = bearer(request.headers.get("authorization"))
        if token is None:
            raise _unauthorized("send Authorization: Bearer <token>")
        principal = await runtime.tokens.authenticate(token)
        if principal is None:
            raise _unauthorized("the token is unknown or revoked")
        return Context(runtime, principal, request_id)

    schema = build_schema(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
    )
    router = ScoreledgerGraphQL(
        schema,
        context_getter=context_getter,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
    )
    app.include_router(router, prefix="/graphql")
    install_rest(app)
    install_outage_handlers(app)
    install_operations(app)
    mount_dashboard(app)

    @app.middleware("http")
    async def request_ids(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get(REQUEST_ID) or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response.headers[REQUEST_ID] = request_id
        return response

    return app
