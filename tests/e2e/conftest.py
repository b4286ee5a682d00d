"""The whole app over HTTP through httpx's ASGI transport, on both backends."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth.roles import Role
from api.runtime import Runtime
from api.settings import Settings

TENANT = "acme"
OTHER_TENANT = "rival"


class GraphQLErrorResponse(AssertionError):
    """The response carried top-level errors where the test expected none."""


@dataclass
class Api:
    """A client for the app, with one token per role in two organizations."""

    http: httpx.AsyncClient
    runtime: Runtime
    tokens: dict[tuple[str, Role], str] = field(default_factory=dict)

    def token(self, role: Role = Role.ADMIN, tenant: str = TENANT) -> str:
        return self.tokens[(tenant, role)]

    def runtime_actor(self, role: Role, tenant: str = TENANT) -> str:
        """The actor recorded for writes made with that role's token."""
        return "token:" + self.token(role, tenant).split("_")[1]

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: Role = Role.ADMIN,
        tenant: str = TENANT,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The full response body of a GraphQL request (data and errors)."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token or self.token(role, tenant)}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: Role = Role.ADMIN,
        tenant: str = TENANT,
    ) -> dict[str, Any]:
        """The data of a request that must not fail."""
        body = await self.post(query, variables, role=role, tenant=tenant)
        if body.get("errors"):
            raise GraphQLErrorResponse(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(
        self,
        name: str,
        input: dict[str, Any],
        selection: str = "",
        *,
        role: Role = Role.ADMIN,
        tenant: str = TENANT,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Run mutation ``name``; return its payload (userErrors included)."""
        query = (
            f"mutation($input: {name[0].upper() + name[1:]}Input!, $key: String) "
            f"{{ {name}(input: $input, idempotencyKey: $key) "
            f"{{ position changed userErrors {{ code field message }} {selection} }} }}"
        )
        data = await self.query(
            query, {"input": input, "key": idempotency_key}, role=role, tenant=tenant
        )
        payload: dict[str, Any] = data[name]
        return payload

    async def ok(self, name: str, input: dict[str, Any], selection: str = "", **kw: Any) -> Any:
        """Run a mutation that must succeed."""
        payload = await self.mutate(name, input, selection, **kw)
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload


def e2e_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, poll_interval=0.05, graphiql=True)


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[Api]:
    """The app for ``settings``, started, with a client holding a token per role and tenant."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            client = Api(http, runtime)
            for tenant in (TENANT, OTHER_TENANT):
                for role in Role:
                    issued = await runtime.tokens.create(tenant, role, f"{tenant} {role.value}")
                    client.tokens[(tenant, role)] = issued.secret
            yield client


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with serve(e2e_settings(database_url)) as client:
        yield client


def scorecard_gid(scorecard_id: str) -> str:
    from api.graphql.ids import global_id

    return global_id("Scorecard", scorecard_id, scorecard_id)


def kpi_gid(scorecard_id: str, kpi_id: str) -> str:
    from api.graphql.ids import global_id

    return global_id("Kpi", scorecard_id, kpi_id)


async def build_small_scorecard(api: Api, tenant: str = TENANT) -> dict[str, str]:
    """An organization with a team, a scorecard, an objective and two KPIs with targets,
    all through mutations; returns the ids."""
    await api.ok("createOrganization", {"name": f"{tenant} Corp"}, tenant=tenant)
    team = await api.ok(
        "createTeam", {"teamId": "it", "name": "IT"}, "team { teamId }", tenant=tenant
    )
    assert team["team"]["teamId"] == "it"
    card = await api.ok(
        "createScorecard",
        {"scorecardId": "ops", "teamId": "it", "name": "IT Operations"},
        'scorecard(period: "2026-03") { perspectives { perspectiveId name } }',
        tenant=tenant,
    )
    perspectives = card["scorecard"]["perspectives"]
    assert [p["name"] for p in perspectives] == [
        "Financial",
        "Customer",
        "Internal Process",
        "Learning & Growth",
    ]
    internal = perspectives[2]["perspectiveId"]
    await api.ok(
        "addObjective",
        {
            "scorecardId": "ops",
            "objectiveId": "stable",
            "perspectiveId": internal,
            "title": "Stable services",
        },
        tenant=tenant,
    )
    await api.ok(
        "defineKpi",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "objectiveId": "stable",
            "name": "Availability",
            "unit": "%",
            "aggregation": "AVERAGE",
        },
        tenant=tenant,
    )
    await api.ok(
        "defineKpi",
        {
            "scorecardId": "ops",
            "kpiId": "incidents",
            "objectiveId": "stable",
            "name": "P1 incidents",
            "direction": "LOWER_IS_BETTER",
        },
        tenant=tenant,
    )
    await api.ok(
        "setTarget",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-01",
            "value": 70,
            "effectiveFrom": True,
            "reason": "annual plan",
        },
        tenant=tenant,
    )
    last = await api.ok(
        "setTarget",
        {
            "scorecardId": "ops",
            "kpiId": "incidents",
            "period": "2026-01",
            "value": 3,
            "effectiveFrom": True,
            "reason": "annual plan",
        },
        tenant=tenant,
    )
    return {
        "scorecard": "ops",
        "objective": "stable",
        "perspective": internal,
        "position": last["position"],
    }


async def fanout_past(api: Api, position: str) -> None:
    """Wait until the process's feed fan-out has delivered every event up to ``position`` (a
    mutation's token), so a subscription made next sees only what is written after it."""
    from api.positions import decode_position

    await api.runtime.fanout.wait_until(decode_position(position))
