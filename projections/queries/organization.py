"""The organization as it stands: its settings, the team tree and the scorecards."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from projections import tables as t
from projections.asof import scoped


@dataclass(frozen=True)
class TeamView:
    team_id: str
    name: str
    parent_team_id: str | None
    archived: bool


@dataclass(frozen=True)
class ScorecardSummary:
    scorecard_id: str
    team_id: str
    name: str
    description: str


@dataclass(frozen=True)
class OrganizationView:
    organization_id: str
    name: str
    fiscal_year_start_month: int
    cap: float
    green: float
    amber: float
    teams: tuple[TeamView, ...]
    scorecards: tuple[ScorecardSummary, ...]


async def organization(conn: AsyncConnection, tenant_id: str) -> OrganizationView | None:
    """The tenant's organization with its teams (name order) and scorecards (name order), or
    None before the organization is created. Three statements, whatever the sizes."""
    org, teams, cards = t.organizations, t.teams, t.scorecards
    head = (
        await conn.execute(
            sa.select(
                org.c.organization_id,
                org.c.name,
                org.c.fiscal_year_start_month,
                org.c.cap,
                org.c.green,
                org.c.amber,
            ).where(*scoped(org, tenant_id), org.c.sys_to_pos.is_(None))
        )
    ).first()
    if head is None:
        return None
    team_rows = await conn.execute(
        sa.select(teams.c.team_id, teams.c.name, teams.c.parent_team_id, teams.c.archived)
        .where(*scoped(teams, tenant_id), teams.c.sys_to_pos.is_(None))
        .order_by(teams.c.name, teams.c.team_id)
    )
    card_rows = await conn.execute(
        sa.select(cards.c.scorecard_id, cards.c.team_id, cards.c.name, cards.c.description)
        .where(*scoped(cards, tenant_id), cards.c.sys_to_pos.is_(None))
        .order_by(cards.c.name, cards.c.scorecard_id)
    )
    return OrganizationView(
        organization_id=head.organization_id,
        name=head.name,
        fiscal_year_start_month=head.fiscal_year_start_month,
        cap=float(head.cap),
        green=float(head.green),
        amber=float(head.amber),
        teams=tuple(
            TeamView(r.team_id, r.name, r.parent_team_id, bool(r.archived)) for r in team_rows
        ),
        scorecards=tuple(
            ScorecardSummary(r.scorecard_id, r.team_id, r.name, r.description) for r in card_rows
        ),
    )
