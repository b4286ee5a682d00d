"""Hostile input through GraphQL and REST comes back as typed user and item errors
naming the field, with the domain's codes, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import Api, build_small_scorecard
from tests.e2e.rest import event_count, item, post_batch

MEASURE = {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03", "value": 1}


async def _mutate(api: Api, name: str, given: dict[str, Any]) -> dict[str, Any]:
    """Run mutation ``name``, its body encoded by hand so that a lone surrogate can be sent
    (as the JSON escape ``\\ud800``)."""
    query = (
        f"mutation($input: {name[0].upper() + name[1:]}Input!) "
        f"{{ {name}(input: $input) {{ position userErrors {{ code field message }} }} }}"
    )
    response = await api.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": {"input": given}}),
        headers={"Authorization": f"Bearer {api.token()}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"][name]
    return payload


@pytest.mark.parametrize(
    ("name", "given", "code", "field"),
    [
        ("recordMeasurement", {**MEASURE, "note": "a\x07b"}, "text.invalid", "note"),
        ("recordMeasurement", {**MEASURE, "note": "\ud800"}, "text.invalid", "note"),
        ("recordMeasurement", {**MEASURE, "value": 1e308}, "number.out_of_range", "value"),
        ("recordMeasurement", {**MEASURE, "kpiId": "k" * 8192}, "id.too_long", "kpiId"),
        ("recordMeasurement", {**MEASURE, "period": "2026-05\n"}, "period.invalid", "period"),
        ("recordMeasurement", {**MEASURE, "period": "0001-02"}, "period.invalid", "period"),
        (
            "renameScorecard",
            {"scorecardId": "ops", "name": "n" * 1_000_000},
            "text.too_long",
            "name",
        ),
        (
            "defineKpi",
            {"scorecardId": "ops", "kpiId": " ", "objectiveId": "stable", "name": "K"},
            "id.blank",
            "kpiId",
        ),
        (
            "changeScoringDefaults",
            {"scoring": {"cap": 1e300}},
            "number.out_of_range",
            "scoring.cap",
        ),
    ],
)
async def test_hostile_mutation_input_is_a_user_error_naming_the_field(
    api: Api, name: str, given: dict[str, Any], code: str, field: str
) -> None:
    await build_small_scorecard(api)
    before = await event_count(api.runtime.store)
    payload = await _mutate(api, name, given)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert len(payload["userErrors"][0]["message"]) < 400
    assert payload["position"] is None
    assert await event_count(api.runtime.store) == before


async def test_hostile_items_in_a_batch_are_refused_one_by_one(api: Api) -> None:
    await build_small_scorecard(api)
    before = await event_count(api.runtime.store)
    response = await post_batch(
        api,
        [
            item("availability", "2026-03", 98.0, note="\x1b[2J"),
            item("availability", "2026-03", 1e300),
            item("avail ability", "2026-03", 98.0),
            item("availability", "1800", 98.0),
            item("availability", "2026-03", 98.0),
        ],
    )
    results = response.json()["results"]
    assert [(r["status"], r["code"], r["field"]) for r in results] == [
        ("error", "text.invalid", "note"),
        ("error", "number.out_of_range", "value"),
        ("error", "id.invalid", "kpi"),
        ("error", "period.invalid", "period"),
        ("created", None, None),
    ]
    assert await event_count(api.runtime.store) - before == 1
