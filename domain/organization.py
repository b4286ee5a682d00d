"""The Organization aggregate: one stream per tenant, holding the organization and its teams.

Renames and moves that change nothing produce no events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from domain.checks import check_command, require_text, require_thresholds
from domain.commands import Command
from domain.decider import Decider
from domain.errors import reject
from domain.events import Event
from domain.numbers import WholeNumber
from domain.scoring import ScoringDefaults, cap_is_valid

# events -------------------------------------------------------------------------------


class OrganizationEvent(Event):
    """Base of the organization stream's events."""

    organization_id: str


class OrganizationCreated(OrganizationEvent):
    event_type = "organization.created"
    name: str
    fiscal_year_start_month: int
    scoring: ScoringDefaults


class OrganizationRenamed(OrganizationEvent):
    event_type = "organization.renamed"
    name: str


class ScoringDefaultsChanged(OrganizationEvent):
    event_type = "organization.scoring_defaults_changed"
    scoring: ScoringDefaults


class TeamCreated(OrganizationEvent):
    event_type = "organization.team_created"
    team_id: str
    name: str
    parent_team_id: str | None


class TeamRenamed(OrganizationEvent):
    event_type = "organization.team_renamed"
    team_id: str
    name: str


class TeamMoved(OrganizationEvent):
    event_type = "organization.team_moved"
    team_id: str
    previous_parent_team_id: str | None
    parent_team_id: str | None


class TeamArchived(OrganizationEvent):
    event_type = "organization.team_archived"
    team_id: str


# commands -----------------------------------------------------------------------------


class OrganizationCommand(Command):
    """Base of the commands on an organization stream."""

    organization_id: str


class CreateOrganization(OrganizationCommand):
    name: str
    fiscal_year_start_month: WholeNumber = 1
    scoring: ScoringDefaults = ScoringDefaults()


class RenameOrganization(OrganizationCommand):
    name: str


class ChangeScoringDefaults(OrganizationCommand):
    scoring: ScoringDefaults


class CreateTeam(OrganizationCommand):
    team_id: str
    name: str
    parent_team_id: str | None = None


class RenameTeam(OrganizationCommand):
    team_id: str
    name: str


class MoveTeam(OrganizationCommand):
    team_id: str
    new_parent_team_id: str | None


class ArchiveTeam(OrganizationCommand):
    team_id: str


# state --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """A team in the tree."""

    team_id: str
    name: str
    parent_team_id: str | None
    archived: bool = False


@dataclass(frozen=True)
class OrganizationState:
    """The organization as its events leave it; ``exists`` is False before creation."""

    exists: bool = False
    organization_id: str = ""
    name: str = ""
    fiscal_year_start_month: int = 1
    scoring: ScoringDefaults = field(default_factory=ScoringDefaults)
    teams: Mapping[str, Team] = field(default_factory=dict)

    def ancestors(self, team_id: str | None) -> list[str]:
        """The ids from ``team_id`` up to the root, starting with ``team_id`` itself."""
        chain: list[str] = []
        while team_id is not None and team_id not in chain:
            chain.append(team_id)
            team_id = self.teams[team_id].parent_team_id
        return chain


def _with_team(state: OrganizationState, team: Team) -> OrganizationState:
    return replace(state, teams={**state.teams, team.team_id: team})


def evolve(state: OrganizationState, event: OrganizationEvent) -> OrganizationState:
    """The state after ``event``."""
    match event:
        case OrganizationCreated():
            return replace(
                state,
                exists=True,
                organization_id=event.organization_id,
                name=event.name,
                fiscal_year_start_month=event.fiscal_year_start_month,
                scoring=event.scoring,
            )
        case OrganizationRenamed():
            return replace(state, name=event.name)
        case ScoringDefaultsChanged():
            return replace(state, scoring=event.scoring)
        case TeamCreated():
            return _with_team(state, Team(event.team_id, event.name, event.parent_team_id))
        case TeamRenamed():
            return _with_team(state, replace(state.teams[event.team_id], name=event.name))
        case TeamMoved():
            team = replace(state.teams[event.team_id], parent_team_id=event.parent_team_id)
            return _with_team(state, team)
        case TeamArchived():
            return _with_team(state, replace(state.teams[event.team_id], archived=True))
    raise TypeError(f"not an organization event: {event!r}")


# decisions ----------------------------------------------------------------------------


def _check_scoring(scoring: ScoringDefaults) -> None:
    if not cap_is_valid(scoring.cap):
        raise reject(
            "scoring.cap_invalid", "cap must be finite and >= 1", field="cap", value=scoring.cap
        )
    require_thresholds(scoring.thresholds)


def active_team(state: OrganizationState, team_id: str) -> Team:
    """The active team ``team_id``, or the rejection: ``organization.not_found`` before the
    organization exists, ``team.not_found``, ``team.archived``. Other aggregates that name a
    team (a scorecard belongs to one) are checked against the organization with it."""
    if not state.exists:
        raise reject(
            "organization.not_found",
            "no organization yet; create it and its teams first",
            field="team_id",
            value=team_id,
        )
    team = state.teams.get(team_id)
    if team is None:
        raise reject("team.not_found", "no such team", field="team_id", value=team_id)
    if team.archived:
        raise reject("team.archived", "team is archived", field="team_id", value=team_id)
    return team


def _check_parent(state: OrganizationState, parent_id: str | None, field_name: str) -> None:
    if parent_id is None:
        return
    parent = state.teams.get(parent_id)
    if parent is None:
        raise reject(
            "team.parent_not_found", "no such parent team", field=field_name, value=parent_id
        )
    if parent.archived:
        raise reject(
            "team.parent_archived", "parent team is archived", field=field_name, value=parent_id
        )


def _create_organization(c: CreateOrganization, s: OrganizationState) -> list[OrganizationEvent]:
    if s.exists:
        raise reject(
            "organization.already_exists",
            "organization exists",
            field="organization_id",
            value=c.organization_id,
        )
    name = require_text(c.name, "organization.name_blank", "name")
    if not 1 <= c.fiscal_year_start_month <= 12:
        raise reject(
            "organization.fiscal_start_month_invalid",
            "fiscal year start month must be 1..12",
            field="fiscal_year_start_month",
            value=c.fiscal_year_start_month,
        )
    _check_scoring(c.scoring)
    return [
        OrganizationCreated(
            organization_id=c.organization_id,
            name=name,
            fiscal_year_start_month=c.fiscal_year_start_month,
            scoring=c.scoring,
        )
    ]


def _rename_organization(c: RenameOrganization, s: OrganizationState) -> list[OrganizationEvent]:
    name = require_text(c.name, "organization.name_blank", "name")
    if name == s.name:
        return []
    return [OrganizationRenamed(organization_id=c.organization_id, name=name)]


def _change_scoring(c: ChangeScoringDefaults, s: OrganizationState) -> list[OrganizationEvent]:
    _check_scoring(c.scoring)
    if c.scoring == s.scoring:
        return []
    return [ScoringDefaultsChanged(organization_id=c.organization_id, scoring=c.scoring)]


def _create_team(c: CreateTeam, s: OrganizationState) -> list[OrganizationEvent]:
    if c.team_id in s.teams:
        raise reject("team.already_exists", "team exists", field="team_id", value=c.team_id)
    name = require_text(c.name, "team.name_blank", "name")
    _check_parent(s, c.parent_team_id, "parent_team_id")
    return [
        TeamCreated(
            organization_id=c.organization_id,
            team_id=c.team_id,
            name=name,
            parent_team_id=c.parent_team_id,
        )
    ]


def _rename_team(c: RenameTeam, s: OrganizationState) -> list[OrganizationEvent]:
    team = active_team(s, c.team_id)
    name = require_text(c.name, "team.name_blank", "name")
    if name == team.name:
        return []
    return [TeamRenamed(organization_id=c.organization_id, team_id=c.team_id, name=name)]


def _move_team(c: MoveTeam, s: OrganizationState) -> list[OrganizationEvent]:
    team = active_team(s, c.team_id)
    new_parent = c.new_parent_team_id
    if new_parent == c.team_id:
        raise reject(
            "team.self_parent",
            "a team cannot be its own parent",
            field="new_parent_team_id",
            value=new_parent,
        )
    _check_parent(s, new_parent, "new_parent_team_id")
    if c.team_id in s.ancestors(new_parent):
        raise reject(
            "team.cycle",
            "the new parent is inside the team being moved",
            field="new_parent_team_id",
            value=new_parent,
        )
    if new_parent == team.parent_team_id:
        return []
    return [
        TeamMoved(
            organization_id=c.organization_id,
            team_id=c.team_id,
            previous_parent_team_id=team.parent_team_id,
            parent_team_id=new_parent,
        )
    ]


def _archive_team(c: ArchiveTeam, s: OrganizationState) -> list[OrganizationEvent]:
    team = s.teams.get(c.team_id)
    if team is None:
        raise reject("team.not_found", "no such team", field="team_id", value=c.team_id)
    if team.archived:
        raise reject(
            "team.already_archived", "team is already archived", field="team_id", value=c.team_id
        )
    children = sorted(
        t.team_id for t in s.teams.values() if t.parent_team_id == c.team_id and not t.archived
    )
    if children:
        raise reject(
            "team.has_active_children",
            "archive or move the child teams first",
            field="team_id",
            value=c.team_id,
        )
    return [TeamArchived(organization_id=c.organization_id, team_id=c.team_id)]


_HANDLERS: dict[type[OrganizationCommand], Callable[[Any, OrganizationState], list[Any]]] = {
    RenameOrganization: _rename_organization,
    ChangeScoringDefaults: _change_scoring,
    CreateTeam: _create_team,
    RenameTeam: _rename_team,
    MoveTeam: _move_team,
    ArchiveTeam: _archive_team,
}


def decide(command: OrganizationCommand, state: OrganizationState) -> list[OrganizationEvent]:
    """The events ``command`` produces on ``state``; raises ``DomainError`` on rejection."""
    check_command(command)  # again: model_copy and model_construct skip the build's checks
    if isinstance(command, CreateOrganization):
        return _create_organization(command, state)
    if not state.exists:
        raise reject(
            "organization.not_found",
            "no such organization",
            field="organization_id",
            value=command.organization_id,
        )
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"not an organization command: {command!r}")
    return handler(command, state)


COMMAND_TYPES: tuple[type[OrganizationCommand], ...] = (CreateOrganization, *_HANDLERS)
"""Every command the organization decider accepts."""

organization_decider: Decider[OrganizationCommand, OrganizationEvent, OrganizationState] = Decider(
    initial_state=OrganizationState(), evolve=evolve, decide=decide
)
