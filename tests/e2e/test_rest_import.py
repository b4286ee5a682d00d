"""POST /v1/measurements/import: CSV rows get the results JSON items get; a dry run checks
every row against the current state and writes nothing."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, build_small_scorecard
from tests.e2e.rest import (
    current_measurements,
    event_count,
    item,
    post_batch,
    post_csv,
    read_model_content,
)

FILE = (
    "\ufeffscorecard,kpi,period,value,source,external_ref,note,reason\r\n"
    'ops,availability,2026-03,98.5,monitoring,mon-7,"steady, after the fix",\r\n'
    "ops,uptime,2026-03,99,monitoring,,,\r\n"
    "ops,availability,2026-01,99,monitoring,,,\r\n"
    "\r\n"
    "ops,incidents,2026-03,nan,itsm,,,\r\n"
    "ops,incidents,2026-Q1,4,itsm,,,\r\n"
    "ops,availability,2026-02,96,monitoring,,,\r\n"
    "ops,availability,2026-02,96.5,monitoring,,,late feed\r\n"
    "ops,incidents,2026-04,NA,itsm,,tool outage,\r\n"
    "ops,incidents,2026-05,lots,itsm,,,\r\n"
    "ops,incidents,2026-06,1,itsm\r\n"
    "ops,availability,2026-04,97,monitoring,mon-8,,\r\n"
).encode()


def without_ids(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 207, response.text
    return [
        {k: v for k, v in r.items() if k not in ("measurement_id", "supersedes")}
        for r in response.json()["results"]
    ]


async def test_a_dry_run_writes_nothing_and_reports_what_the_import_then_does(api: Api) -> None:
    await build_small_scorecard(api)
    await api.ok("closePeriod", {"scorecardId": "ops", "period": "2026-01"})
    await post_batch(api, [item("availability", "2026-02", 97.0)])
    await post_batch(api, [item("availability", "2026-04", 97.0, external_ref="mon-8")])
    events = await event_count(api.runtime.store)
    content = await read_model_content(api.runtime.store)

    dry = await post_csv(api, FILE, dry_run=True)

    assert dry.json()["dry_run"] is True
    assert await event_count(api.runtime.store) == events
    assert await read_model_content(api.runtime.store) == content
    rows = without_ids(dry)
    assert [(r["row"], r["status"], r["code"], r["field"]) for r in rows] == [
        (2, "created", None, None),
        (3, "error", "kpi.not_found", "kpi"),
        (4, "error", "period.closed", "period"),
        (6, "error", "measurement.non_finite", "value"),
        (7, "error", "measurement.wrong_granularity", "period"),
        (8, "error", "measurement.reason_required", "reason"),
        (9, "superseded", None, None),
        (10, "created", None, None),
        (11, "error", "input.invalid", "value"),
        (12, "error", "input.invalid", None),
        (13, "unchanged", None, None),
    ]
    assert "row 12 has 5 cells" in rows[9]["message"]

    real = await post_csv(api, FILE, key="import-2026-03")

    assert real.json()["dry_run"] is False
    assert without_ids(real) == rows
    assert await event_count(api.runtime.store) - events == 3
    stored = {(k, p): v for k, p, v, _ in await current_measurements(api.runtime.store)}
    assert stored[("availability", "2026-02")] == 96.5
    assert stored[("availability", "2026-03")] == 98.5
    assert stored[("incidents", "2026-04")] is None  # not available
    replay = await post_csv(api, FILE, key="import-2026-03")
    assert replay.content == real.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert await event_count(api.runtime.store) - events == 3
