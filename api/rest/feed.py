"""``GET /v1/events``: the organization's gap-safe event feed as NDJSON, with a long-poll.

The route authorizes, decodes the cursor, reads the store's gap-safe feed (filtered on the
caller's organization) and writes one envelope per line, then the next cursor.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.auth.roles import Capability
from api.rest.callers import authorized
from api.rest.cursors import InvalidCursor, decode_cursor, encode_cursor
from api.rest.problems import ProblemError, problem_responses
from api.runtime import Runtime
from eventstore import START, FeedPosition, RecordedEvent, Waiter
from eventstore.sql import SqlEventStore

NDJSON = "application/x-ndjson"
CURSOR_HEADER = "Next-Cursor"
MORE_HEADER = "Feed-More"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_WAIT = 30.0

router = APIRouter(prefix="/v1", tags=["events"])

FEED_DESCRIPTION = f"""The organization's events in the store's gap-safe order, one JSON
envelope per line (`{NDJSON}`), then a last line `{{"next": CURSOR, "more": BOOL}}`.

Pass the `next` cursor (also in the `{CURSOR_HEADER}` header) as `after` to read on: a
follower that always does sees every event exactly once, in order, even when writers commit
out of order. Each event line carries its own `cursor` too, to resume after any line.
`more` (and the `{MORE_HEADER}` header) says whether more events are already waiting.
With `wait`, an empty read waits up to that many seconds for the next event and returns as
soon as one is there. Cursors are opaque and bound to the organization they were issued to.
Admin, editor, auditor and integrator tokens may follow the feed; viewer tokens may not
(events carry who changed what and why)."""

EXAMPLE = (
    '{"cursor":"c1.MTo0Mjo...","eventId":"0192...","stream":"scorecard-ops","version":7,'
    '"type":"scorecard.measurement_recorded","schemaVersion":1,"recordedAt":"2026-03-31T08:00:00+00:00",'
    '"data":{"kpi_id":"availability","period":"2026-03","value":99.9},'
    '"metadata":{"actor":"token:0a1b2c3d4e5f6a7b","recorded_at":"2026-03-31T08:00:00+00:00"},'
    '"hash":"9f86d0..."}\n{"next":"c1.MTo0Mjo...","more":false}\n'
)


def envelope(tenant_id: str, event: RecordedEvent) -> dict[str, Any]:
    """One feed line: the event as stored, with the cursor just after it."""
    return {
        "cursor": encode_cursor(tenant_id, event.feed_position),
        "eventId": str(event.event_id),
        "stream": event.stream_id,
        "version": event.version,
        "type": event.event_type,
        "schemaVersion": event.schema_version,
        "recordedAt": event.recorded_at.isoformat(),
        "data": event.data,
        "metadata": event.metadata.to_dict(),
        "hash": event.hash,
    }


def long_poll_waiter(store: SqlEventStore) -> Waiter:
    """The waiter a long-poll waits on (tests watch it)."""
    return store.waiter()


async def read_page(
    runtime: Runtime, tenant_id: str, after: FeedPosition, limit: int, wait: float
) -> list[RecordedEvent]:
    """Up to ``limit + 1`` events after ``after``; when there are none, wait up to ``wait``
    seconds for some (woken by the store's notifications, polling as the fallback)."""
    store = runtime.store
    # Registered before the first read, so an event committed between the read and the
    # wait still wakes it.
    waiter = long_poll_waiter(store) if wait > 0 else None
    page = await store.read_feed(after, tenant_id=tenant_id, limit=limit + 1)
    if page or waiter is None:
        return page
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not page:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await waiter.wait(timeout=min(remaining, runtime.settings.poll_interval))
        page = await store.read_feed(after, tenant_id=tenant_id, limit=limit + 1)
    return page


@router.get(
    "/events",
    summary="Follow the organization's event feed",
    description=FEED_DESCRIPTION,
    response_class=Response,
    responses={
        200: {
            "description": "Events, one JSON object per line, then the next cursor.",
            "content": {NDJSON: {"schema": {"type": "string"}, "example": EXAMPLE}},
            "headers": {
                CURSOR_HEADER: {
                    "description": "The cursor to pass as `after` next time.",
                    "schema": {"type": "string"},
                },
                MORE_HEADER: {
                    "description": "`true` when more events are already waiting.",
                    "schema": {"type": "string", "enum": ["true", "false"]},
                },
            },
        },
        **problem_responses(401, 403, 422, 503),
    },
)
async def follow_events(
    request: Request,
    after: Annotated[
        str | None,
        Query(
            description="A cursor from a previous read (`next`, or an event line's `cursor`); "
            "leave it out to start at the organization's first event.",
            max_length=200,
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description=f"Most events in the answer (1-{MAX_LIMIT})."),
    ] = DEFAULT_LIMIT,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT,
            description=f"Seconds (0-{MAX_WAIT:g}) to wait for an event when none is there yet.",
        ),
    ] = 0.0,
) -> Response:
    principal = await authorized(request, Capability.FOLLOW_FEED, "follow the event feed")
    tenant_id = principal.tenant_id
    position = START
    if after is not None:
        try:
            position = decode_cursor(tenant_id, after)
        except InvalidCursor as error:
            raise ProblemError(422, "validation", f"after: {error}", field="after") from None
    runtime: Runtime = request.app.state.runtime
    page = await read_page(runtime, tenant_id, position, limit, wait)
    more = len(page) > limit
    events = page[:limit]
    if events:
        position = events[-1].feed_position
    cursor = encode_cursor(tenant_id, position)
    lines = [orjson.dumps(envelope(tenant_id, event)) for event in events]
    lines.append(orjson.dumps({"next": cursor, "more": more}))
    return Response(
        b"\n".join(lines) + b"\n",
        media_type=NDJSON,
        headers={CURSOR_HEADER: cursor, MORE_HEADER: "true" if more else "false"},
    )
