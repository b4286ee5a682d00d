"""``GET /v1/events``: the organization's gap-safe feed as NDJSON, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from api.auth.roles import Role
from api.positions import decode_position
from api.rest import feed as feed_module
from api.rest.cursors import encode_cursor
from eventstore import START, FeedPosition, Waiter
from tests.e2e.conftest import OTHER_TENANT, TENANT, Api, build_small_scorecard, fanout_past


def auth(api: Api, role: Role = Role.INTEGRATOR, tenant: str = TENANT) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(role, tenant)}"}


def lines(response: httpx.Response) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The event lines and the closing line of a feed answer."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.text.endswith("\n")
    parsed = [orjson.loads(line) for line in response.text.splitlines()]
    *events, last = parsed
    assert set(last) == {"next", "more"}, last
    assert response.headers["Next-Cursor"] == last["next"]
    assert response.headers["Feed-More"] == ("true" if last["more"] else "false")
    return events, last


async def scorecard(api: Api, tenant: str = TENANT) -> None:
    """The small scorecard, its events visible in the gap-safe feed (on PostgreSQL a commit
    shows there once no transaction that began before it is still running)."""
    ids = await build_small_scorecard(api, tenant)
    await fanout_past(api, ids["position"])


async def feed(api: Api, **params: Any) -> httpx.Response:
    role = params.pop("role", Role.INTEGRATOR)
    tenant = params.pop("tenant", TENANT)
    query = {name: value for name, value in params.items() if value is not None}
    return await api.http.get("/v1/events", params=query, headers=auth(api, role, tenant))


async def test_the_feed_is_the_organizations_events_in_feed_order_as_ndjson(api: Api) -> None:
    await scorecard(api)
    await scorecard(api, OTHER_TENANT)
    stored = await api.runtime.store.read_feed(START, tenant_id=TENANT)

    events, last = lines(await feed(api))

    assert [e["eventId"] for e in events] == [str(e.event_id) for e in stored]
    assert last == {"next": events[-1]["cursor"], "more": False}
    first, recorded = events[0], stored[0]
    assert first["stream"] == recorded.stream_id
    assert first["version"] == recorded.version
    assert first["type"] == recorded.event_type
    assert first["data"] == recorded.data
    assert first["hash"] == recorded.hash
    assert first["metadata"]["actor"] == api.runtime_actor(Role.ADMIN)
    assert first["recordedAt"] == recorded.recorded_at.isoformat()
    # Read on from the end: nothing new, and the cursor stays where it was.
    after, again = lines(await feed(api, after=last["next"]))
    assert after == []
    assert again == last


async def test_pages_follow_each_other_and_any_lines_cursor_resumes_after_it(api: Api) -> None:
    await scorecard(api)
    everything, _ = lines(await feed(api, limit=1000))
    assert len(everything) > 5

    page, last = lines(await feed(api, limit=2))
    assert [e["eventId"] for e in page] == [e["eventId"] for e in everything[:2]]
    assert last["more"] is True
    rest, _ = lines(await feed(api, after=last["next"], limit=1000))
    assert [e["eventId"] for e in rest] == [e["eventId"] for e in everything[2:]]
    resumed, _ = lines(await feed(api, after=everything[3]["cursor"], limit=1000))
    assert [e["eventId"] for e in resumed] == [e["eventId"] for e in everything[4:]]


async def test_a_follower_reading_while_writers_commit_sees_every_event_once_in_order(
    api: Api,
) -> None:
    await scorecard(api)
    per_writer = 8
    written: list[FeedPosition] = []
    writers_done = asyncio.Event()

    async def measure(kpi: str) -> None:
        for month in range(1, per_writer + 1):
            input = {"scorecardId": "ops", "kpiId": kpi, "period": f"2026-{month:02}", "value": 1}
            written.append(decode_position((await api.ok("recordMeasurement", input))["position"]))

    async def create_teams() -> None:
        for number in range(per_writer):
            input = {"teamId": f"team-{number}", "name": f"Team {number}"}
            written.append(decode_position((await api.ok("createTeam", input))["position"]))

    async def write() -> None:
        await asyncio.gather(measure("availability"), measure("incidents"), create_teams())
        await api.runtime.fanout.wait_until(max(written))  # all of it shows in the feed now
        writers_done.set()

    seen: list[dict[str, Any]] = []

    async def follow() -> None:
        cursor = None
        while True:
            done = writers_done.is_set()
            events, last = lines(await feed(api, after=cursor, limit=5, wait=0.2))
            seen.extend(events)
            cursor = last["next"]
            if done and not events and not last["more"]:
                return

    await asyncio.gather(write(), follow())

    stored = await api.runtime.store.read_feed(START, tenant_id=TENANT, limit=10_000)
    assert [e["eventId"] for e in seen] == [str(e.event_id) for e in stored]
    assert len({e["eventId"] for e in seen}) == len(seen)
    recorded = [e for e in seen if e["type"] == "scorecard.measurement_recorded"]
    assert len(recorded) == 2 * per_writer
    assert len([e for e in seen if e["type"] == "organization.team_created"]) == per_writer + 1
    for stream in {e["stream"] for e in seen}:
        versions = [e["version"] for e in seen if e["stream"] == stream]
        assert versions == list(range(1, len(versions) + 1)), stream


class WatchedWaiter:
    """The feed route's waiter, reporting when the route starts waiting on it."""

    def __init__(self, inner: Waiter, waiting: asyncio.Event) -> None:
        self.inner = inner
        self.waiting = waiting

    async def wait(self, timeout: float) -> bool:
        self.waiting.set()
        return await self.inner.wait(timeout)


async def test_a_long_poll_returns_the_event_that_arrives_while_it_waits(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await scorecard(api)
    before, head = lines(await feed(api, limit=1000))
    assert before
    waiting = asyncio.Event()
    monkeypatch.setattr(
        feed_module,
        "long_poll_waiter",
        lambda store: WatchedWaiter(store.waiter(), waiting),
    )

    poll = asyncio.create_task(feed(api, after=head["next"], wait=30))
    await waiting.wait()  # the route read nothing and waits for a notification
    assert not poll.done()
    await api.ok("createTeam", {"teamId": "late", "name": "Arrived while waiting"})
    events, last = lines(await poll)  # returns once the event shows in the feed

    assert [(e["type"], e["data"].get("team_id")) for e in events] == [
        ("organization.team_created", "late")
    ]
    assert last["next"] == events[0]["cursor"]


async def test_a_long_poll_with_nothing_new_returns_empty_after_its_wait(api: Api) -> None:
    await scorecard(api)
    _, head = lines(await feed(api, limit=1000))

    events, last = lines(await feed(api, after=head["next"], wait=0.05))

    assert events == []
    assert last == {"next": head["next"], "more": False}


async def test_an_organizations_cursor_is_refused_to_another_organization(api: Api) -> None:
    await scorecard(api)
    await scorecard(api, OTHER_TENANT)
    _, acme = lines(await feed(api, limit=3))
    forged = encode_cursor(OTHER_TENANT, START)  # a well-formed cursor of the other org

    refused = await feed(api, after=acme["next"], tenant=OTHER_TENANT)
    wrong_org = await feed(api, after=forged)

    for response in (refused, wrong_org):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422
        assert problem["field"] == "after"
        assert "not issued to your organization" in problem["detail"]
        assert "eventId" not in response.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 1001}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"wait": 31}, "query.wait"),
        ({"wait": -1}, "query.wait"),
        ({"after": "p1.MDoxMg"}, "after"),
        ({"after": "c1.not-base64!"}, "after"),
    ],
)
async def test_bad_parameters_are_refused_naming_the_field(
    api: Api, params: dict[str, Any], field: str
) -> None:
    response = await feed(api, **params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == field
    assert problem["detail"]


async def test_admin_editor_auditor_and_integrator_tokens_may_follow_the_feed(api: Api) -> None:
    await scorecard(api)
    for role in (Role.ADMIN, Role.EDITOR, Role.AUDITOR, Role.INTEGRATOR):
        events, _ = lines(await feed(api, role=role))
        assert events, role


async def test_viewers_and_strangers_may_not_follow_the_feed(api: Api) -> None:
    await scorecard(api)
    viewer = await feed(api, role=Role.VIEWER)
    anonymous = await api.http.get("/v1/events")
    unknown = await api.http.get("/v1/events", headers={"Authorization": "Bearer sl_nope"})

    assert viewer.status_code == 403
    assert "viewer" in viewer.json()["detail"]
    for response in (anonymous, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    for response in (viewer, anonymous, unknown):
        assert response.headers["content-type"] == "application/problem+json"
        assert "eventId" not in response.text
