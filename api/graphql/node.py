"""``node(id)``: any entity by its global id, within the caller's organization only."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.auth.roles import Capability
from api.graphql.context import Info
from api.graphql.ids import parse_id
from api.graphql.loaders import ScorecardKey
from api.graphql.organization import Organization, Team
from api.graphql.reads import parse_period
from api.graphql.scorecards import (
    MAX_TREND,
    Initiative,
    Kpi,
    Objective,
    Perspective,
    Scorecard,
    entity_in,
    requested_trend,
)

Node = Annotated[
    Organization | Team | Scorecard | Perspective | Objective | Kpi | Initiative,
    strawberry.union("Node", description="Any entity with a global id."),
]


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any entity by its global id (figures for the period given); null when "
        "it does not exist in the caller's organization."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id from this API.")],
        period: Annotated[
            str | None,
            strawberry.argument(description="Period for scored entities (default: this month)."),
        ] = None,
    ) -> Node | None:
        context = info.context
        context.require(Capability.READ_CURRENT, "read entities")
        key = parse_id(id)
        if key.type_name in {"Organization", "Team"}:
            org = await context.loaders.organization.load(context.tenant_id)
            if org is None:
                return None
            if key.type_name == "Organization":
                return Organization(view=org) if org.organization_id == key.entity_id else None
            team = next((t for t in org.teams if t.team_id == key.entity_id), None)
            return None if team is None else Team(view=team, org=org)
        trend = min(requested_trend(info.selected_fields), MAX_TREND)
        view = await context.loaders.scorecards.load(
            ScorecardKey(key.scorecard_id, parse_period(period), None, trend)
        )
        if view is None:
            return None
        return entity_in(view, key.type_name, key.entity_id)
