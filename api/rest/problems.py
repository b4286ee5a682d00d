"""RFC 9457 problem details: every REST error is ``application/problem+json``.

Installed app-wide by :func:`install_problem_handlers`; GraphQL at ``/graphql`` keeps
FastAPI's own error responses (its clients read GraphQL errors, not problems).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://scoreledger.dev/problems/"
GRAPHQL_PREFIX = "/graphql"


class InvalidParam(BaseModel):
    """One input field at fault."""

    name: str = Field(description="The field: `body.items`, `Idempotency-Key`, `dry_run`...")
    reason: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An error, as RFC 9457 describes it."""

    type: str = Field(
        description="A URI naming the kind of problem.",
        examples=[TYPE_BASE + "validation"],
    )
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.", examples=[422])
    detail: str = Field(description="What went wrong with this request, for people.")
    instance: str | None = Field(default=None, description="The request path.")
    field: str | None = Field(
        default=None, description="The (first) field at fault, for validation problems."
    )
    invalid_params: list[InvalidParam] | None = Field(
        default=None,
        alias="invalid-params",
        description="Every field at fault, for validation problems.",
    )


class ProblemError(Exception):
    """Raise to answer with a problem."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.field = field
        self.headers = headers or {}


def problem_response(
    request: Request,
    status: int,
    kind: str,
    detail: str,
    *,
    field: str | None = None,
    invalid: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if field is not None:
        body["field"] = field
    if invalid:
        body["invalid-params"] = [{"name": name, "reason": reason} for name, reason in invalid]
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_JSON)


_KINDS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation",
}


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error outside ``/graphql`` with a problem."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> Response:
        return problem_response(
            request,
            error.status,
            error.kind,
            error.detail,
            field=error.field,
            invalid=None if error.field is None else [(error.field, error.detail)],
            headers=error.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith(GRAPHQL_PREFIX):
            return await http_exception_handler(request, error)
        detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code)
        return problem_response(
            request,
            error.status_code,
            _KINDS.get(error.status_code, "error"),
            str(detail.phrase if isinstance(detail, HTTPStatus) else detail),
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        if request.url.path.startswith(GRAPHQL_PREFIX):
            return await request_validation_exception_handler(request, error)
        invalid = [
            (_location(item["loc"]), str(item["msg"]).removeprefix("Value error, "))
            for item in error.errors()
        ]
        detail = "; ".join(f"{name}: {reason}" for name, reason in invalid) or "invalid request"
        return problem_response(
            request,
            422,
            "validation",
            detail,
            field=invalid[0][0] if invalid else None,
            invalid=invalid,
        )


PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for routes answering these statuses with problems (the
    ``Problem`` schema is added to the document's components by :mod:`api.rest.setup`)."""
    return {
        status: {"description": HTTPStatus(status).phrase, "content": PROBLEM_CONTENT}
        for status in statuses
    }
