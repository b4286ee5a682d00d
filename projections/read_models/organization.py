"""Organization and team tree read models."""

from __future__ import annotations

import domain.organization as org
from projections import tables as t
from projections.read_models.registry import handles
from projections.versioned import Change, Writer

# organization and teams -----------------------------------------------------------------


@handles(org.OrganizationCreated)
async def _organization_created(w: Writer, c: Change, e: org.OrganizationCreated) -> None:
    await w.insert(
        t.organizations,
        c,
        {
            "organization_id": e.organization_id,
            "name": e.name,
            "fiscal_year_start_month": e.fiscal_year_start_month,
            "cap": e.scoring.cap,
            "green": e.scoring.thresholds.green,
            "amber": e.scoring.thresholds.amber,
        },
    )


@handles(org.OrganizationRenamed)
async def _organization_renamed(w: Writer, c: Change, e: org.OrganizationRenamed) -> None:
    await w.replace(t.organizations, c, {"organization_id": e.organization_id}, {"name": e.name})


@handles(org.ScoringDefaultsChanged)
async def _scoring_changed(w: Writer, c: Change, e: org.ScoringDefaultsChanged) -> None:
    await w.replace(
        t.organizations,
        c,
        {"organization_id": e.organization_id},
        {
            "cap": e.scoring.cap,
            "green": e.scoring.thresholds.green,
            "amber": e.scoring.thresholds.amber,
        },
    )


@handles(org.TeamCreated)
async def _team_created(w: Writer, c: Change, e: org.TeamCreated) -> None:
    await w.insert(
        t.teams,
        c,
        {
            "team_id": e.team_id,
            "name": e.name,
            "parent_team_id": e.parent_team_id,
            "archived": False,
        },
    )


@handles(org.TeamRenamed)
async def _team_renamed(w: Writer, c: Change, e: org.TeamRenamed) -> None:
    await w.replace(t.teams, c, {"team_id": e.team_id}, {"name": e.name})


@handles(org.TeamMoved)
async def _team_moved(w: Writer, c: Change, e: org.TeamMoved) -> None:
    await w.replace(t.teams, c, {"team_id": e.team_id}, {"parent_team_id": e.parent_team_id})


@handles(org.TeamArchived)
async def _team_archived(w: Writer, c: Change, e: org.TeamArchived) -> None:
    await w.replace(t.teams, c, {"team_id": e.team_id}, {"archived": True})
