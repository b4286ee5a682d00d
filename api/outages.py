"""What the API answers while the database is away, read-only or out of space.

Each :class:`~eventstore.outages.StorageFault` has one answer: an RFC 9457 problem on REST
(503 with ``Retry-After``, or 507), a GraphQL error with a stable ``extensions.code``. The
request that met it gets that answer instead of a 500 and a traceback; the next one after
the condition ends is served as usual (the pools reconnect by themselves).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import asyncpg
import orjson
import structlog
from fastapi import FastAPI, Request
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError
from starlette.responses import Response

from api.rest.problems import GRAPHQL_PREFIX, problem_response
from eventstore.outages import StorageFault, storage_fault

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Outage:
    """How one storage condition is reported."""

    status: int
    kind: str
    """The problem type's last segment on REST."""
    code: str
    """The GraphQL ``extensions.code``."""
    message: str
    retry_after: int | None
    """Seconds a client should wait before retrying (``Retry-After``), if it is worth it."""

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def graphql_error(self, error: GraphQLError | None = None) -> GraphQLError:
        """This outage as a GraphQL error, at ``error``'s place in the response if given."""
        extensions: dict[str, object] = {"code": self.code}
        if self.retry_after is not None:
            extensions["retryAfter"] = self.retry_after
        if error is None:
            return GraphQLError(self.message, extensions=extensions)
        return GraphQLError(
            self.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )


OUTAGES = {
    StorageFault.UNAVAILABLE: Outage(
        503,
        "database-unavailable",
        "DATABASE_UNAVAILABLE",
        "the database is unavailable; retry shortly",
        5,
    ),
    StorageFault.READ_ONLY: Outage(
        503,
        "database-read-only",
        "DATABASE_READ_ONLY",
        "the database is read-only: writes fail until it is writable again, reads still work",
        30,
    ),
    StorageFault.DISK_FULL: Outage(
        507,
        "disk-full",
        "DISK_FULL",
        "the disk is full: writes fail until space is freed, reads still work",
        None,
    ),
}

DRIVER_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)
"""What a database error may surface as; :func:`outage_of` tells which are outages."""


def outage_of(error: BaseException) -> Outage | None:
    """The answer for ``error`` when it is a storage condition, else None."""
    fault = storage_fault(error)
    return None if fault is None else OUTAGES[fault]


def install_outage_handlers(app: FastAPI) -> None:
    """Answer a request that meets a storage condition with its problem (or, on
    ``/graphql``, where the caller's token could not be checked, a GraphQL error); every
    other error goes on to the server's usual 500."""

    async def _outage(request: Request, error: Exception) -> Response:
        outage = outage_of(error)
        if outage is None:
            raise error
        log.warning(
            "database_outage", kind=outage.kind, path=request.url.path, error=_first_line(error)
        )
        if request.url.path.startswith(GRAPHQL_PREFIX):
            body = {"data": None, "errors": [outage.graphql_error().formatted]}
            return Response(
                orjson.dumps(body),
                outage.status,
                headers=outage.headers(),
                media_type="application/json",
            )
        return problem_response(
            request, outage.status, outage.kind, outage.message, headers=outage.headers()
        )

    for kind in DRIVER_ERRORS:
        app.add_exception_handler(kind, _outage)


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else repr(error)
