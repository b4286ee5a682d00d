"""``POST /v1/measurements`` (a JSON batch) and ``POST /v1/measurements/import`` (CSV).

A route authorizes, reads and checks the body, claims the idempotency key, hands the items
to :class:`~api.ingest.Ingestion` and answers 207 with a result per item.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
import pydantic_core
import structlog
from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from api.auth.roles import Capability, allows
from api.auth.tokens import Principal
from api.ingest import MAX_ITEMS, ItemIds, Parsed, parse_items
from api.ingest.csvfile import MAX_BYTES as MAX_CSV_BYTES
from api.ingest.csvfile import CsvFormatError, parse_csv
from api.ingest.run import Report
from api.metrics import metrics_of
from api.outages import outage_of
from api.rest.faults import fault_checkpoint
from api.rest.idempotency import HEADER, REPLAYED, StoredResponse, check_key
from api.rest.models import BatchResponse, ImportResponse, counts, import_body, result_body
from api.rest.problems import PROBLEM_JSON, ProblemError, problem_responses
from api.runtime import Runtime
from eventstore.errors import ConcurrencyError

log = structlog.get_logger(__name__)

MAX_JSON_BYTES = 8 * 1024 * 1024
"""Largest JSON batch body (1,000 items with long notes fit easily)."""
JSON = "application/json"
RETRY_AFTER_SECONDS = 1
"""What a batch refused for contention tells the client to wait before retrying."""
CSV_TYPES = ("text/csv", "application/csv")

router = APIRouter(prefix="/v1", tags=["measurements"])

KEY_DESCRIPTION = (
    "Any unique string (1-255 printable ASCII characters, a UUID is fine), kept per "
    "organization at least 24 hours after its first use (the server's "
    "`SCORELEDGER_IDEMPOTENCY_KEY_HOURS`). A retry with the same key and body gets the first "
    "response byte for byte with `Idempotent-Replayed: true`; the same key with another body "
    "is refused (422); a retry while the first request is still running is refused (409). A "
    "request answered 503 (`contention`) keeps nothing under the key: retry it with the same "
    "key."
)
IdempotencyKey = Annotated[
    str | None, Header(alias=HEADER, description=KEY_DESCRIPTION, max_length=255)
]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _caller(request: Request) -> Principal:
    """The token's principal, allowed to record measurements; 401 or 403 otherwise."""
    from api.app import bearer

    challenge = {"WWW-Authenticate": 'Bearer realm="scoreledger"'}
    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise ProblemError(
            401, "unauthorized", "send Authorization: Bearer <token>", headers=challenge
        )
    principal = await _runtime(request).tokens.authenticate(token)
    if principal is None:
        raise ProblemError(
            401, "unauthorized", "the token is unknown or revoked", headers=challenge
        )
    if not allows(principal.role, Capability.RECORD_MEASUREMENTS):
        raise ProblemError(
            403,
            "forbidden",
            f"a {principal.role.value} token may not record measurements",
        )
    return principal


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (before reading it all)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(f"the body may be at most {limit:,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"the body may be at most {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(detail: str) -> ProblemError:
    return ProblemError(413, "too-large", detail)


def request_hash(method: str, path: str, body: bytes, variant: str = "") -> str:
    """What identifies a request for its idempotency key: method, path, variant, body."""
    digest = hashlib.sha256()
    for part in (method, path, variant):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _answer(status: int, payload: dict[str, Any]) -> StoredResponse:
    return StoredResponse(status, JSON, orjson.dumps(payload))


def _typed(stored: StoredResponse, headers: dict[str, str]) -> Response:
    response = Response(stored.body, stored.status_code, headers=headers)
    response.headers["content-type"] = stored.content_type
    return response


async def _idempotent(
    request: Request,
    principal: Principal,
    key: str | None,
    hashed: str,
    work: Callable[[ItemIds], Awaitable[StoredResponse]],
) -> Response:
    """Run ``work`` once per key and keep its response for replays. A request that fails
    (a problem raised, contention among them) releases the key: a retry runs afresh."""
    runtime = _runtime(request)
    ids = ItemIds.for_request(principal.tenant_id, key, hashed)
    if key is None:
        return _typed(await _guarded(work, ids), {})
    check_key(key)
    async with runtime.idempotency.hold(principal.tenant_id, key, hashed) as held:
        if held.replay is not None:
            return _typed(held.replay, {REPLAYED: "true"})
        assert held.claim is not None
        stored = await _guarded(work, ids)
        await held.claim.finish(stored)
        return _typed(stored, {})


async def _guarded(
    work: Callable[[ItemIds], Awaitable[StoredResponse]], ids: ItemIds
) -> StoredResponse:
    """``work``'s response; its failures as problems: 503 for contention (retry), else 500."""
    try:
        return await work(ids)
    except ProblemError:
        raise
    except ConcurrencyError:
        # Payment APIs keep no result for a request that lost to concurrent writers and ask
        # for a retry; so do we (the key is released, the retry runs the batch again).
        log.warning("ingestion_contended")
        raise ProblemError(
            503,
            "contention",
            "a scorecard of this batch kept changing under it (other writers); retry the "
            "request, with the same Idempotency-Key if it had one",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    except Exception as error:
        if outage_of(error) is not None:
            raise  # answered with its own problem (api.outages)
        log.exception("ingestion_failed")
        raise ProblemError(
            500, "internal", "the server failed to finish this request; retry it"
        ) from None


async def _ingest(
    request: Request, principal: Principal, items: list[Parsed], ids: ItemIds, dry_run: bool
) -> Report:
    runtime = _runtime(request)
    checkpoint = fault_checkpoint(runtime.settings.test_fault_pause)
    extra = {} if checkpoint is None else {"checkpoint": checkpoint}
    report = await runtime.ingestion.run(
        principal.tenant_id,
        items,
        ids,
        actor=principal.token_id,
        request_id=request.headers.get("x-request-id") or uuid.uuid4().hex,
        dry_run=dry_run,
        **extra,
    )
    if not dry_run:
        # Items by result: created, superseded, unchanged, or the error's code (one
        # increment per result, not per item).
        counter = metrics_of(request).ingestion_items
        tally = Counter(result.code or result.outcome.value for result in report.results)
        for label, number in tally.items():
            counter.labels(result=label).inc(number)
    return report


BATCH_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/MeasurementBatch"}}},
    }
}


@router.post(
    "/measurements",
    status_code=207,
    response_model=BatchResponse,
    summary="Record up to 1,000 measurements",
    description=(
        "Each item is decided on its own against its scorecard: `created` (the first value "
        "for the KPI and period), `superseded` (a correction, with a reason), `unchanged` (an "
        "identical repeat) or `error` (nothing written for it; the other items go on). Items "
        "of one scorecard are written in one transaction. Scorecards and KPIs are named by "
        "their plain ids (GraphQL `scorecardId`, `kpiId`). Tokens with the integrator, "
        "editor or admin role may call it."
    ),
    responses={
        207: {"description": "A result per item, in order."},
        **problem_responses(401, 403, 409, 413, 415, 422, 503, 507),
    },
    openapi_extra=BATCH_REQUEST_BODY,
)
async def post_measurements(request: Request, idempotency_key: IdempotencyKey = None) -> Response:
    principal = await _caller(request)
    media = _media_type(request)
    if media != JSON and not media.endswith("+json"):
        raise ProblemError(415, "unsupported-media-type", f"send {JSON}, not {media or 'nothing'}")
    body = await _body(request, MAX_JSON_BYTES)
    raw_items = _batch_items(body)
    hashed = request_hash(request.method, request.url.path, body)

    async def work(ids: ItemIds) -> StoredResponse:
        items = parse_items(raw_items)
        report = await _ingest(request, principal, items, ids, dry_run=False)
        payload = {
            "results": [result_body(result) for result in report.results],
            "counts": counts(report.results),
        }
        return _answer(207, payload)

    return await _idempotent(request, principal, idempotency_key, hashed, work)


def _batch_items(body: bytes) -> list[Any]:
    try:
        document = pydantic_core.from_json(body, allow_inf_nan=True)
    except ValueError as error:
        detail = f"the body is not JSON: {error}"
        raise ProblemError(422, "validation", detail, field="body") from None
    if not isinstance(document, dict) or "items" not in document:
        raise ProblemError(
            422, "validation", 'the body is an object {"items": [...]}', field="body.items"
        )
    extra = sorted(set(document) - {"items"})
    if extra:
        raise ProblemError(
            422, "validation", f"unknown field(s) {', '.join(extra)}", field="body." + extra[0]
        )
    items = document["items"]
    if not isinstance(items, list):
        raise ProblemError(422, "validation", "items must be a list", field="body.items")
    if not items:
        raise ProblemError(422, "validation", "items must not be empty", field="body.items")
    if len(items) > MAX_ITEMS:
        raise _too_large(f"a batch has at most {MAX_ITEMS:,} items, not {len(items):,}")
    return items


@router.post(
    "/measurements/import",
    status_code=207,
    response_model=ImportResponse,
    summary="Import measurements from a CSV file",
    description=(
        "The body is the file (`Content-Type: text/csv`, UTF-8 with or without BOM, at most "
        "10 MB) with the header `scorecard,kpi,period,value,source,external_ref,note,reason`; "
        "`value` is a number or `NA` (not available). Each row gets the result a JSON item "
        "would, with its row number (the header is row 1). With `dry_run=true` every row is "
        "checked against the current state and nothing is written."
    ),
    responses={
        207: {"description": "A result per row, in file order."},
        **problem_responses(401, 403, 409, 413, 415, 422, 503, 507),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_measurements(
    request: Request,
    dry_run: Annotated[
        bool, Query(description="Check every row against the current state; write nothing.")
    ] = False,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    principal = await _caller(request)
    media = _media_type(request)
    if media not in CSV_TYPES:
        raise ProblemError(
            415, "unsupported-media-type", f"send text/csv, not {media or 'nothing'}"
        )
    body = await _body(request, MAX_CSV_BYTES)
    try:
        parsed = parse_csv(body)
    except CsvFormatError as error:
        raise ProblemError(422, "validation", error.message, field=error.field) from None
    if not parsed.items:
        raise ProblemError(422, "validation", "the file has no data rows", field="file")

    async def work(ids: ItemIds) -> StoredResponse:
        report = await _ingest(request, principal, parsed.items, ids, dry_run=dry_run)
        payload = import_body(parsed.rows, report.results, dry_run)
        return _answer(207, payload)

    if dry_run:
        return _typed(await _guarded(work, ItemIds()), {})
    hashed = request_hash(request.method, request.url.path, body, "import")
    return await _idempotent(request, principal, idempotency_key, hashed, work)


__all__ = ["PROBLEM_JSON", "router"]
