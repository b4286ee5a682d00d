"""The SQLite database turning read-only or running out of space under a running server:
writes get a clear error naming the condition, reads keep working, nothing is half-written
(the hash chains verify, the read models equal a rebuild), and writes work again once the
condition is lifted.

How the conditions are made (more in tests.sqlite_conditions): the tests run as root, whom
file modes do not stop, and a file the server has open stays writable to it whatever its
mode becomes, so SQLite itself is made to refuse writes on the store's one write
connection: ``PRAGMA max_page_count`` at the file's size gives SQLITE_FULL, SQLite's own
disk-full path, and ``PRAGMA query_only`` gives SQLITE_READONLY, the code a read-only file
gives. The reads, on their own connections, are left alone, as they would be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.auth.roles import Role
from api.positions import decode_position
from projections.read_models import ReadModelProjection
from projections.rebuild import rebuild
from tests.e2e.conftest import (
    TENANT,
    Api,
    build_small_scorecard,
    e2e_settings,
    scorecard_gid,
    serve,
)
from tests.e2e.rest import current_measurements, event_count, item, post_batch, read_model_content
from tests.sqlite_conditions import Condition, impose, lift

MOST_WRITES_BEFORE_FULL = 100
NOTE = "n" * 2000  # the longest note: each write needs a few kilobytes


@dataclass(frozen=True)
class Answer:
    """What a write meeting the condition gets."""

    condition: Condition
    code: str
    status: int
    kind: str
    message: str
    retry_after: str | None


READ_ONLY = Answer(
    Condition.READ_ONLY,
    "DATABASE_READ_ONLY",
    503,
    "database-read-only",
    "the database is read-only: writes fail until it is writable again, reads still work",
    "30",
)
DISK_FULL = Answer(
    Condition.DISK_FULL,
    "DISK_FULL",
    507,
    "disk-full",
    "the disk is full: writes fail until space is freed, reads still work",
    None,
)


@pytest.fixture
async def api(sqlite_url: str) -> AsyncIterator[Api]:
    async with serve(e2e_settings(sqlite_url)) as client:
        yield client


def _measurement(period: str) -> dict[str, Any]:
    return {
        "scorecardId": "ops",
        "kpiId": "availability",
        "period": period,
        "value": 90,
        "note": NOTE,
    }


RECORD = (
    "mutation($input: RecordMeasurementInput!) "
    "{ recordMeasurement(input: $input) { position userErrors { code } } }"
)


async def _until_refused(api: Api) -> tuple[list[str], str, dict[str, Any]]:
    """Record measurements until the database refuses one: the periods stored, the period
    refused and the response refusing it."""
    stored: list[str] = []
    for month in range(MOST_WRITES_BEFORE_FULL):
        period = f"{2001 + month // 12}-{month % 12 + 1:02d}"
        body = await api.post(RECORD, {"input": _measurement(period)})
        if body.get("errors"):
            return stored, period, body
        assert body["data"]["recordMeasurement"]["userErrors"] == []
        stored.append(period)
    pytest.fail(f"{MOST_WRITES_BEFORE_FULL} writes and the database never refused one")


@pytest.mark.parametrize("answer", [READ_ONLY, DISK_FULL], ids=lambda a: a.condition.value)
async def test_writes_are_refused_with_the_condition_named_reads_go_on_and_writes_resume(
    api: Api, answer: Answer
) -> None:
    built = await build_small_scorecard(api)
    assert await api.runtime.wait_for_projections(decode_position(built["position"]), 30)
    events_before = await event_count(api.runtime.store)
    await impose(api.runtime.store, answer.condition)

    stored, refused, body = await _until_refused(api)

    if answer is READ_ONLY:
        assert stored == []  # refused from the first write on
    [error] = body["errors"]
    assert error["extensions"]["code"] == answer.code
    assert error["message"] == answer.message
    assert error["path"] == ["recordMeasurement"]
    assert body["data"] is None
    batch = [item("availability", f"2030-{month:02d}", 99, note=NOTE) for month in range(1, 13)]
    posted = await post_batch(api, batch, key="nightly")
    assert posted.status_code == answer.status, posted.text
    assert posted.headers["content-type"] == "application/problem+json"
    assert posted.headers.get("retry-after") == answer.retry_after
    problem = posted.json()
    assert problem["type"].endswith("/" + answer.kind)
    assert problem["detail"] == answer.message
    assert "Traceback" not in posted.text and "sqlite" not in posted.text.lower()

    # Reads carry on.
    data = await api.query(
        'query($id: ID!) { scorecard(id: $id, period: "2026-03") { name } }',
        {"id": scorecard_gid("ops")},
        role=Role.VIEWER,
    )
    assert data["scorecard"] == {"name": "IT Operations"}
    feed = await api.http.get(
        "/v1/events", headers={"Authorization": f"Bearer {api.token(Role.INTEGRATOR)}"}
    )
    assert feed.status_code == 200
    assert (await api.http.get("/readyz")).status_code == 200

    # Nothing half-written: exactly the acknowledged writes, chains intact, read models whole.
    assert await event_count(api.runtime.store) == events_before + len(stored)
    assert [p for _, p, _, _ in await current_measurements(api.runtime.store)] == stored
    report = await api.runtime.store.verify(TENANT)
    assert report.ok, report.broken

    await lift(api.runtime.store, answer.condition)

    retried = await api.ok("recordMeasurement", _measurement(refused))
    again = await post_batch(api, batch, key="nightly")
    assert again.status_code == 207, again.text
    assert [r["status"] for r in again.json()["results"]] == ["created"] * len(batch)
    periods = [p for _, p, _, _ in await current_measurements(api.runtime.store)]
    assert periods == sorted([*stored, refused, *(i["period"] for i in batch)])
    assert await api.runtime.wait_for_projections(decode_position(retried["position"]), 30)
    assert api.runtime.runners_alive()
    report = await api.runtime.store.verify(TENANT)
    assert report.ok, report.broken
    incremental = await read_model_content(api.runtime.store)
    await rebuild(api.runtime.store, ReadModelProjection())
    assert await read_model_content(api.runtime.store) == incremental
