"""An auditor replays how a target changed and a value was corrected, and checks the log."""

from __future__ import annotations

import datetime as dt

from api.auth.roles import Role
from tests.e2e.conftest import Api, build_small_scorecard, kpi_gid, scorecard_gid

KPI_FIGURES = """
query($id: ID!, $asOf: DateTime, $at: String, $c: String) {
  scorecard(id: $id, period: "2026-03", asOf: $asOf, atPosition: $at, consistentWith: $c) {
    asOf
    kpi(kpiId: "availability") { actual target score status }
  }
}
"""

TARGET_EVENTS = ["scorecard.target_set", "scorecard.target_changed"]

HISTORY = """
query($id: ID!) {
  kpi(id: $id) {
    name
    targets { period value effectiveFrom current set { actor reason } ended { reason } }
    measurements { value state supersedes recorded { actor reason } ended { actor reason } }
  }
}
"""


async def _figures(api: Api, **moment: str | None) -> dict[str, object]:
    data = await api.query(KPI_FIGURES, {"id": scorecard_gid("ops"), **moment}, role=Role.AUDITOR)
    kpi: dict[str, object] = data["scorecard"]["kpi"]
    return kpi


async def test_the_auditor_sees_each_version_as_known_at_each_moment(api: Api) -> None:
    await build_small_scorecard(api)
    first = await api.ok(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03", "value": 64},
    )
    before_changes = dt.datetime.now(dt.UTC)
    changed = await api.ok(
        "changeTarget",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-01",
            "value": 80,
            "reason": "board raised the bar",
        },
    )
    second_change = await api.ok(
        "changeTarget",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-01",
            "value": 65,
            "reason": "budget cut",
        },
    )
    corrected = await api.ok(
        "recordMeasurement",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-03",
            "value": 66,
            "reason": "feed double-counted an outage",
        },
        role=Role.EDITOR,
    )
    after_all = dt.datetime.now(dt.UTC)

    # The change only changed the value: the target still applies from January on.
    now = await _figures(api, c=corrected["position"])
    assert now == {"actual": 66.0, "target": 65.0, "score": 66 / 65, "status": "GREEN"}
    assert await _figures(api, at=first["position"]) == {
        "actual": 64.0,
        "target": 70.0,
        "score": 64 / 70,
        "status": "AMBER",
    }
    assert (await _figures(api, at=changed["position"]))["target"] == 80.0
    assert (await _figures(api, at=second_change["position"]))["actual"] == 64.0
    assert (await _figures(api, asOf=before_changes.isoformat()))["target"] == 70.0
    assert (await _figures(api, asOf=after_all.isoformat()))["actual"] == 66.0

    history = (await api.query(HISTORY, {"id": kpi_gid("ops", "availability")}, role=Role.AUDITOR))[
        "kpi"
    ]
    assert [(t["value"], t["effectiveFrom"], t["set"]["reason"]) for t in history["targets"]] == [
        (70.0, True, "annual plan"),
        (80.0, True, "board raised the bar"),
        (65.0, True, "budget cut"),
    ]
    assert [t["current"] for t in history["targets"]] == [False, False, True]
    values = history["measurements"]
    assert [(m["value"], m["state"]) for m in values] == [(64.0, "superseded"), (66.0, "current")]
    assert values[1]["recorded"]["reason"] == "feed double-counted an outage"
    assert values[1]["recorded"]["actor"] == api.runtime_actor(Role.EDITOR)
    assert values[0]["ended"]["reason"] == "feed double-counted an outage"

    changes = await api.query(
        """query($id: ID!, $from: DateTime!, $to: DateTime!) {
          changes(scorecardId: $id, from: $from, to: $to) {
            entityType entityId kind before after by { reason }
          }
        }""",
        {
            "id": scorecard_gid("ops"),
            "from": before_changes.isoformat(),
            "to": after_all.isoformat(),
        },
        role=Role.AUDITOR,
    )
    kinds = {(c["entityType"], c["kind"]) for c in changes["changes"]}
    assert ("target", "changed") in kinds
    assert ("measurement", "changed") in kinds
    target_change = next(c for c in changes["changes"] if c["entityType"] == "target")
    assert target_change["before"]["value"] == 70.0
    assert target_change["after"]["value"] == 65.0
    assert [b["reason"] for b in target_change["by"]] == [
        "annual plan",
        "board raised the bar",
        "budget cut",
    ]

    integrity = await api.query(
        "query($id: ID!) { integrity(scorecardId: $id) { ok eventsChecked broken { reason } } }",
        {"id": scorecard_gid("ops")},
        role=Role.AUDITOR,
    )
    assert integrity["integrity"]["ok"] is True
    assert integrity["integrity"]["eventsChecked"] >= 10

    trail = await api.query(
        """query($c: String, $types: [String!]) {
             auditTrail(filter: {eventTypes: $types}, first: 2, consistentWith: $c) {
             edges { cursor node { eventType actor reason } } pageInfo { endCursor hasNextPage }
        } }""",
        {"c": corrected["position"], "types": TARGET_EVENTS},
        role=Role.AUDITOR,
    )
    page = trail["auditTrail"]
    assert [e["node"]["reason"] for e in page["edges"]] == ["annual plan", "annual plan"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await api.query(
        """query($after: String, $types: [String!]) {
             auditTrail(filter: {eventTypes: $types}, after: $after) {
             edges { node { reason } } pageInfo { hasNextPage } } }""",
        {"after": page["pageInfo"]["endCursor"], "types": TARGET_EVENTS},
        role=Role.AUDITOR,
    )
    assert [e["node"]["reason"] for e in rest["auditTrail"]["edges"]] == [
        "board raised the bar",
        "budget cut",
    ]
