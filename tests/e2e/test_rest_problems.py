"""Every REST error is an RFC 9457 problem (application/problem+json); GraphQL keeps its own
error responses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from api.auth.roles import Role
from api.rest.measurements import request_hash
from tests.e2e.conftest import TENANT, Api, build_small_scorecard
from tests.e2e.rest import event_count, item, post_batch, post_csv


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    return body


async def test_a_request_without_a_valid_token_is_401(api: Api) -> None:
    missing = await api.http.post("/v1/measurements", json={"items": []})
    unknown = await api.http.post(
        "/v1/measurements",
        json={"items": []},
        headers={"Authorization": "Bearer sl_0123456789abcdef_" + "x" * 43},
    )
    assert "Bearer" in problem(missing, 401)["detail"]
    assert problem(unknown, 401)["detail"] == "the token is unknown or revoked"
    assert missing.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AUDITOR])
async def test_viewers_and_auditors_may_not_post_measurements(api: Api, role: Role) -> None:
    await build_small_scorecard(api)
    before = await event_count(api.runtime.store)
    batch = await post_batch(api, [item("availability", "2026-02", 97.0)], role=role)
    csv = await post_csv(
        api, b"scorecard,kpi,period,value\nops,availability,2026-02,97\n", role=role
    )
    assert "may not record measurements" in problem(batch, 403)["detail"]
    problem(csv, 403)
    assert await event_count(api.runtime.store) == before


async def test_an_unknown_path_is_a_404_problem(api: Api) -> None:
    body = problem(await api.http.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"


async def test_a_retry_while_the_first_request_is_running_is_409(api: Api) -> None:
    await build_small_scorecard(api)
    items = [item("availability", "2026-02", 97.0)]
    body = json.dumps({"items": items}).encode()
    hashed = request_hash("POST", "/v1/measurements", body)
    # Hold the key as the first request does while it runs, then send the retry.
    async with api.runtime.idempotency.hold(TENANT, "in-flight", hashed) as held:
        assert held.claim is not None
        conflict = await post_batch(api, items, key="in-flight")
        assert problem(conflict, 409)["field"] == "Idempotency-Key"
    # The first request ended without settling its claim: the key is free again.
    retried = await post_batch(api, items, key="in-flight")
    assert [r["status"] for r in retried.json()["results"]] == ["created"]


async def test_the_same_key_with_another_body_is_422(api: Api) -> None:
    await build_small_scorecard(api)
    await post_batch(api, [item("availability", "2026-02", 97.0)], key="k")
    other = await post_batch(api, [item("availability", "2026-02", 98.0)], key="k")
    assert problem(other, 422)["type"].endswith("/idempotency-key-reused")


async def test_more_than_a_thousand_items_or_ten_megabytes_of_csv_is_413(api: Api) -> None:
    await build_small_scorecard(api)
    before = await event_count(api.runtime.store)
    too_many = await post_batch(api, [item("availability", "2026-02", 1.0)] * 1001)
    assert "1,000" in problem(too_many, 413)["detail"]
    header = b"scorecard,kpi,period,value,note\n"
    row = b"ops,availability,2026-02,97," + b"x" * 1000 + b"\n"
    big = header + row * (10 * 1024 + 1)
    problem(await post_csv(api, big), 413)
    assert await event_count(api.runtime.store) == before


async def test_a_body_of_the_wrong_media_type_is_415(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token(Role.INTEGRATOR)}"}
    text = await api.http.post(
        "/v1/measurements", content=b"x", headers={**headers, "Content-Type": "text/plain"}
    )
    json_import = await api.http.post(
        "/v1/measurements/import", json={"items": []}, headers=headers
    )
    assert "application/json" in problem(text, 415)["detail"]
    assert "text/csv" in problem(json_import, 415)["detail"]


async def test_malformed_requests_are_422_naming_the_field(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token(Role.INTEGRATOR)}"}
    not_json = await api.http.post(
        "/v1/measurements",
        content=b"{items: oops",
        headers={**headers, "Content-Type": "application/json"},
    )
    no_items = await api.http.post("/v1/measurements", json={"rows": []}, headers=headers)
    bad_key = await api.http.post(
        "/v1/measurements",
        json={"items": [item("availability", "2026-02", 1.0)]},
        headers={**headers, "Idempotency-Key": "has spaces"},
    )
    # FastAPI's own request validation, as a problem too:
    bad_flag = await api.http.post(
        "/v1/measurements/import?dry_run=perhaps",
        content=b"scorecard,kpi,period,value\n",
        headers={**headers, "Content-Type": "text/csv"},
    )
    no_header = await post_csv(api, b"ops,availability,2026-02,97\n")
    assert problem(not_json, 422)["field"] == "body"
    assert problem(no_items, 422)["field"] == "body.items"
    assert problem(bad_key, 422)["field"] == "Idempotency-Key"
    flag = problem(bad_flag, 422)
    assert flag["field"] == "query.dry_run"
    assert flag["invalid-params"][0]["name"] == "query.dry_run"
    assert "unknown column" in problem(no_header, 422)["detail"]


async def test_graphql_keeps_its_own_401_response(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ viewer { role } }"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "send Authorization: Bearer <token>"}
