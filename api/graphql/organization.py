"""The caller, their organization, its team tree and scorecards."""

from __future__ import annotations

import strawberry

from api.auth.roles import Capability
from api.graphql.context import Info
from api.graphql.enums import Role
from api.graphql.ids import global_id
from projections.queries.organization import OrganizationView, ScorecardSummary, TeamView


@strawberry.type(description="Who is calling.")
class Viewer:
    organization_id: str = strawberry.field(description="The token's organization (tenant).")
    role: Role = strawberry.field(description="The token's role.")
    token_name: str = strawberry.field(description="The token's name.")
    actor: str = strawberry.field(description="The actor recorded on the events it writes.")


@strawberry.type(description="A scorecard as listed under its organization and team.")
class ScorecardListing:
    view: strawberry.Private[ScorecardSummary]

    @strawberry.field(description="Global id (use with scorecard and node).")
    def id(self) -> strawberry.ID:
        sid = self.view.scorecard_id
        return strawberry.ID(global_id("Scorecard", sid, sid))

    @strawberry.field(description="The scorecard's own id.")
    def scorecard_id(self) -> str:
        return self.view.scorecard_id

    @strawberry.field(description="Name.")
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="Description.")
    def description(self) -> str:
        return self.view.description

    @strawberry.field(description="The team it belongs to.")
    def team_id(self) -> str:
        return self.view.team_id


@strawberry.type(description="A team in the organization's tree.")
class Team:
    view: strawberry.Private[TeamView]
    org: strawberry.Private[OrganizationView]

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Team", "", self.view.team_id))

    @strawberry.field(description="The team's own id.")
    def team_id(self) -> str:
        return self.view.team_id

    @strawberry.field(description="Name.")
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="Whether the team is archived.")
    def archived(self) -> bool:
        return self.view.archived

    @strawberry.field(description="The parent team's id (none for a root team).")
    def parent_team_id(self) -> str | None:
        return self.view.parent_team_id

    @strawberry.field(description="The teams directly below it.")
    def children(self) -> list[Team]:
        return [
            Team(view=t, org=self.org)
            for t in self.org.teams
            if t.parent_team_id == self.view.team_id
        ]

    @strawberry.field(description="The team's scorecards.")
    def scorecards(self) -> list[ScorecardListing]:
        return [
            ScorecardListing(view=s) for s in self.org.scorecards if s.team_id == self.view.team_id
        ]


@strawberry.type(description="The organization's scoring defaults.")
class ScoringSettings:
    cap: float = strawberry.field(description="Highest score a KPI can reach.")
    green: float = strawberry.field(description="Default minimum score for green.")
    amber: float = strawberry.field(description="Default minimum score for amber.")


@strawberry.type(description="The caller's organization.")
class Organization:
    view: strawberry.Private[OrganizationView]

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Organization", "", self.view.organization_id))

    @strawberry.field(description="The organization's own id.")
    def organization_id(self) -> str:
        return self.view.organization_id

    @strawberry.field(description="Name.")
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="Month (1-12) its fiscal year starts in.")
    def fiscal_year_start_month(self) -> int:
        return self.view.fiscal_year_start_month

    @strawberry.field(description="Scoring defaults.")
    def scoring(self) -> ScoringSettings:
        v = self.view
        return ScoringSettings(cap=v.cap, green=v.green, amber=v.amber)

    @strawberry.field(description="Every team, in name order.")
    def teams(self) -> list[Team]:
        return [Team(view=t, org=self.view) for t in self.view.teams]

    @strawberry.field(description="The root teams of the tree (walk down with children).")
    def team_tree(self) -> list[Team]:
        return [Team(view=t, org=self.view) for t in self.view.teams if t.parent_team_id is None]

    @strawberry.field(description="Every scorecard, in name order.")
    def scorecards(self) -> list[ScorecardListing]:
        return [ScorecardListing(view=s) for s in self.view.scorecards]


async def load_organization(info: Info) -> Organization | None:
    context = info.context
    context.require(Capability.READ_CURRENT, "read the organization")
    found = await context.loaders.organization.load(context.tenant_id)
    return None if found is None else Organization(view=found)


@strawberry.type
class OrganizationQueries:
    @strawberry.field(description="Who is calling: the token's organization and role.")
    def viewer(self, info: Info) -> Viewer:
        caller = info.context.caller
        return Viewer(
            organization_id=caller.tenant_id,
            role=caller.role,
            token_name=caller.name,
            actor=caller.token_id,
        )

    @strawberry.field(description="The caller's organization (none before it is created).")
    async def organization(self, info: Info) -> Organization | None:
        return await load_organization(info)
