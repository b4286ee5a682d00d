"""A mutation changes only what it names, and keeps everything it is given."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api, build_small_scorecard, kpi_gid, scorecard_gid

FIGURES = """query($id: ID!, $period: String!) { scorecard(id: $id, period: $period) {
  kpi(kpiId: "availability") { target baseline score status weight } } }"""


async def test_changing_a_target_value_keeps_its_baseline_and_its_effective_from(
    api: Api,
) -> None:
    await build_small_scorecard(api)
    await api.ok(
        "changeTarget",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-01",
            "value": 70,
            "baseline": 50,
            "reason": "baseline from last year",
        },
    )
    await api.ok(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "availability", "period": "2026-02", "value": 62},
    )
    await api.ok(
        "changeTarget",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-01",
            "value": 65,
            "reason": "re-planned",
        },
    )
    # February still has a target (effective from January) and the baseline still applies.
    kpi = (await api.query(FIGURES, {"id": scorecard_gid("ops"), "period": "2026-02"}))[
        "scorecard"
    ]["kpi"]
    assert kpi["target"] == 65.0
    assert kpi["baseline"] == 50.0
    assert kpi["score"] == pytest.approx((62 - 50) / (65 - 50))
    assert kpi["status"] == "RED"
    assert isinstance(kpi["weight"], float)


async def test_a_reason_given_with_a_first_value_is_kept(api: Api) -> None:
    await build_small_scorecard(api)
    await api.ok(
        "recordMeasurement",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-02",
            "value": 62,
            "reason": "backfilled from the old tool",
        },
    )
    history = await api.query(
        "query($id: ID!) { kpi(id: $id) { measurements { recorded { reason } } } }",
        {"id": kpi_gid("ops", "availability")},
    )
    reasons = [m["recorded"]["reason"] for m in history["kpi"]["measurements"]]
    assert reasons == ["backfilled from the old tool"]
