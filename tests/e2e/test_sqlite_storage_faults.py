"""The SQLite database turning read-only or running out of space under a running server:
writes get a clear error naming the condition, reads keep working, nothing is half-written
(the hash chains verify, the read models equal a rebuild), and writes work again once the
condition is lifted.

How the conditions are made. The tests run as root, so file permissions stop nothing (root
writes through a 0444 file), and a file the server already has open stays writable to it
whatever its mode becomes; a genuinely full file system needs a mount the CI may not allow.
So the tests ask SQLite itself, on the store's one write connection (every write of the
process goes through it; the read connections are untouched, as they would be):

- disk full: ``PRAGMA max_page_count`` set to the file's current size, so the pager refuses
  to grow the database with ``SQLITE_FULL`` ("database or disk is full"), SQLite's real
  disk-full path. The test keeps writing until a write needs a new page, as a filling disk
  would: the writes before it were stored, the one refused was not.
- read-only: ``PRAGMA query_only``, with which SQLite refuses every write with
  ``SQLITE_READONLY`` ("attempt to write a readonly database"), the code a database opened
  from a read-only file gives.

Lifting the pragma is lifting the condition; nothing is restarted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiosqlite
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

MOST_WRITES_BEFORE_FULL = 100
NOTE = "n" * 2000  # the longest note: each write needs a few kilobytes


@dataclass(frozen=True)
class Condition:
    name: str
    impose: str
    lift: str
    code: str
    status: int
    kind: str
    message: str
    retry_after: str | None


READ_ONLY = Condition(
    "read-only",
    "PRAGMA query_only = 1",
    "PRAGMA query_only = 0",
    "DATABASE_READ_ONLY",
    503,
    "database-read-only",
    "the database is read-only: writes fail until it is writable again, reads still work",
    "30",
)
DISK_FULL = Condition(
    "disk-full",
    "PRAGMA max_page_count = {pages}",
    "PRAGMA max_page_count = 1073741823",
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


async def _pragma(api: Api, statement: str) -> Any:
    """Run ``statement`` on the store's single write connection, outside a transaction
    (the engine begins each one IMMEDIATE, which a read-only database refuses); its first
    value."""
    async with api.runtime.store.write_engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, aiosqlite.Connection)
        async with driver.execute(statement) as cursor:
            row = await cursor.fetchone()
    return None if row is None else row[0]


async def _impose(api: Api, condition: Condition) -> None:
    if condition is DISK_FULL:
        assert await _pragma(api, "PRAGMA freelist_count") == 0, "free pages would absorb writes"
        pages = await _pragma(api, "PRAGMA page_count")
        assert await _pragma(api, condition.impose.format(pages=pages)) == pages
    else:
        await _pragma(api, condition.impose)


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


@pytest.mark.parametrize("condition", [READ_ONLY, DISK_FULL], ids=lambda c: c.name)
async def test_writes_are_refused_with_the_condition_named_reads_go_on_and_writes_resume(
    api: Api, condition: Condition
) -> None:
    built = await build_small_scorecard(api)
    assert await api.runtime.wait_for_projections(decode_position(built["position"]), 30)
    events_before = await event_count(api.runtime.store)
    await _impose(api, condition)

    stored, refused, body = await _until_refused(api)

    if condition is READ_ONLY:
        assert stored == []  # refused from the first write on
    [error] = body["errors"]
    assert error["extensions"]["code"] == condition.code
    assert error["message"] == condition.message
    assert error["path"] == ["recordMeasurement"]
    assert body["data"] is None
    batch = [item("availability", f"2030-{month:02d}", 99, note=NOTE) for month in range(1, 13)]
    posted = await post_batch(api, batch, key="nightly")
    assert posted.status_code == condition.status, posted.text
    assert posted.headers["content-type"] == "application/problem+json"
    assert posted.headers.get("retry-after") == condition.retry_after
    problem = posted.json()
    assert problem["type"].endswith("/" + condition.kind)
    assert problem["detail"] == condition.message
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

    await _pragma(api, condition.lift)

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
