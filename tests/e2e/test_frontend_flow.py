"""A front-end team builds a scorecard through mutations and reads it back whole."""

from __future__ import annotations

import pytest

from api.auth.roles import Role
from tests.e2e.conftest import Api, build_small_scorecard, kpi_gid, scorecard_gid

SCORECARD = """
query($id: ID!, $period: String) {
  scorecard(id: $id, period: $period) {
    name period score status
    explanation { summary children { id score normalisedWeight included excludedBecause } }
    perspectives {
      name score status
      objectives {
        title score status
        explanation { formula children { id included } }
        kpis {
          kpiId actual target score status
          explanation { rule formula summary status { status minimum } }
          trend(last: 3) { period actual target score status }
        }
      }
    }
    strategyMap { nodes { objectiveId status } links { sourceObjectiveId targetObjectiveId } }
  }
}
"""


async def test_a_scorecard_built_through_mutations_reads_back_scored_and_explained(
    api: Api,
) -> None:
    ids = await build_small_scorecard(api)
    recorded = await api.ok(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03", "value": 64},
        "kpi { score status } measurement { value state recorded { actor } }",
        role=Role.INTEGRATOR,
    )
    assert recorded["changed"] is True
    assert recorded["position"].startswith("p1.")
    assert recorded["kpi"]["status"] == "AMBER"
    assert recorded["measurement"] is None  # integrators do not read who/why history

    data = await api.query(SCORECARD, {"id": scorecard_gid(ids["scorecard"]), "period": "2026-03"})
    card = data["scorecard"]
    kpis = card["perspectives"][2]["objectives"][0]["kpis"]
    availability = next(k for k in kpis if k["kpiId"] == "availability")
    assert availability["actual"] == 64.0
    assert availability["target"] == 70.0
    assert availability["score"] == pytest.approx(64 / 70)
    assert availability["status"] == "AMBER"
    assert availability["explanation"]["summary"] == "64 ÷ 70 = 0.914 → amber (≥ 0.9)"
    assert availability["explanation"]["status"] == {"status": "AMBER", "minimum": 0.9}
    assert [t["period"] for t in availability["trend"]] == ["2026-01", "2026-02", "2026-03"]
    assert availability["trend"][0]["status"] == "NO_DATA"

    incidents = next(k for k in kpis if k["kpiId"] == "incidents")
    assert incidents["status"] == "NO_DATA"
    objective = card["perspectives"][2]["objectives"][0]
    left_out = {c["id"]: c["included"] for c in objective["explanation"]["children"]}
    assert left_out == {"availability": True, "incidents": False}
    assert objective["score"] == pytest.approx(64 / 70)
    # Perspectives without data are left out of the scorecard's roll-up.
    included = [c for c in card["explanation"]["children"] if c["included"]]
    assert [c["id"] for c in included] == [ids["perspective"]]
    assert included[0]["normalisedWeight"] == 1.0
    assert card["status"] == "AMBER"


async def test_an_unchanged_command_still_returns_a_position(api: Api) -> None:
    await build_small_scorecard(api)
    renamed = await api.ok("renameScorecard", {"scorecardId": "ops", "name": "IT Operations"})
    assert renamed["changed"] is False
    assert renamed["position"] is not None


async def test_domain_errors_and_bad_input_come_back_as_user_errors(api: Api) -> None:
    await build_small_scorecard(api)
    wrong_period = await api.mutate(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "availability", "period": "2026-13", "value": 1},
    )
    assert wrong_period["userErrors"][0]["field"] == "period"
    assert wrong_period["userErrors"][0]["code"] == "period.invalid"
    assert wrong_period["position"] is None
    unknown = await api.mutate(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "nope", "period": "2026-03", "value": 1},
    )
    assert unknown["userErrors"][0]["code"] == "kpi.not_found"
    assert unknown["userErrors"][0]["field"] == "kpiId"
    no_team = await api.mutate(
        "createScorecard", {"scorecardId": "x", "teamId": "ghost", "name": "X"}
    )
    assert no_team["userErrors"][0]["code"] == "team.not_found"


async def test_a_retry_with_the_same_idempotency_key_writes_once(api: Api) -> None:
    await build_small_scorecard(api)
    item = {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03", "value": 71}
    first = await api.ok("recordMeasurement", item, idempotency_key="job-1")
    again = await api.ok("recordMeasurement", item, idempotency_key="job-1")
    assert again["position"] == first["position"]
    history = await api.query(
        "query($id: ID!) { kpi(id: $id) { measurements { value } } }",
        {"id": kpi_gid("ops", "availability")},
    )
    assert [m["value"] for m in history["kpi"]["measurements"]] == [71.0]
    reused = await api.mutate("recordMeasurement", {**item, "value": 72}, idempotency_key="job-1")
    assert reused["userErrors"][0]["code"] == "idempotency.key_reused"


async def test_a_missing_or_unknown_token_is_refused_at_the_http_level(api: Api) -> None:
    missing = await api.http.post("/graphql", json={"query": "{ viewer { role } }"})
    assert missing.status_code == 401
    unknown = await api.http.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": "Bearer sl_0000000000000000_" + "a" * 43},
    )
    assert unknown.status_code == 401
    assert unknown.headers["www-authenticate"].startswith("Bearer")


async def test_node_resolves_a_kpi_with_the_trend_length_asked_for(api: Api) -> None:
    await build_small_scorecard(api)
    data = await api.query(
        'query($id: ID!) { node(id: $id, period: "2026-03") '
        "{ ... on Kpi { kpiId trend(last: 12) { period } } } }",
        {"id": kpi_gid("ops", "availability")},
    )
    assert data["node"]["kpiId"] == "availability"
    assert len(data["node"]["trend"]) == 12


async def test_an_objective_aligns_only_to_an_existing_active_parent_objective(api: Api) -> None:
    ids = await build_small_scorecard(api)
    await api.ok("createScorecard", {"scorecardId": "apps", "teamId": "it", "name": "Applications"})
    card = await api.query(
        'query($id: ID!) { scorecard(id: $id, period: "2026-03") '
        "{ perspectives { perspectiveId } } }",
        {"id": scorecard_gid("apps")},
    )
    perspective = card["scorecard"]["perspectives"][2]["perspectiveId"]
    await api.ok(
        "addObjective",
        {"scorecardId": "apps", "objectiveId": "fast", "perspectiveId": perspective, "title": "F"},
    )
    align = {"scorecardId": "apps", "objectiveId": "fast"}
    missing_card = await api.mutate(
        "alignObjective", {**align, "parentScorecardId": "nope", "parentObjectiveId": "stable"}
    )
    assert [(e["code"], e["field"]) for e in missing_card["userErrors"]] == [
        ("scorecard.not_found", "parentScorecardId")
    ]
    missing_objective = await api.mutate(
        "alignObjective", {**align, "parentScorecardId": "ops", "parentObjectiveId": "nope"}
    )
    assert [(e["code"], e["field"]) for e in missing_objective["userErrors"]] == [
        ("objective.not_found", "parentObjectiveId")
    ]
    aligned = await api.ok(
        "alignObjective",
        {**align, "parentScorecardId": ids["scorecard"], "parentObjectiveId": ids["objective"]},
        "objective { alignedTo { scorecardId objectiveId } }",
    )
    assert aligned["objective"]["alignedTo"] == {"scorecardId": "ops", "objectiveId": "stable"}
