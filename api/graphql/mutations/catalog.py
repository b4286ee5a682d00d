"""Which mutation runs which command, who may run it, and what its payload returns."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.roles import Capability
from domain import organization as org
from domain.commands import Command
from domain.scorecard import commands as sc


@dataclass(frozen=True)
class CommandSpec:
    """One mutation: its command, the capability it needs, the entity its payload returns,
    the id fields the server generates when the caller leaves them out, and its summary."""

    command: type[Command]
    capability: Capability
    entity: str
    description: str
    generated: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        name = self.command.__name__
        return name[0].lower() + name[1:]


S, T, M, A = (
    Capability.EDIT_STRUCTURE,
    Capability.EDIT_TARGETS,
    Capability.RECORD_MEASUREMENTS,
    Capability.ADMINISTER,
)

SPECS: tuple[CommandSpec, ...] = (
    # organization and teams
    CommandSpec(org.CreateOrganization, A, "organization", "Create the caller's organization."),
    CommandSpec(org.RenameOrganization, A, "organization", "Rename the organization."),
    CommandSpec(
        org.ChangeScoringDefaults, A, "organization", "Change the score cap and thresholds."
    ),
    CommandSpec(org.CreateTeam, S, "team", "Create a team.", ("team_id",)),
    CommandSpec(org.RenameTeam, S, "team", "Rename a team."),
    CommandSpec(org.MoveTeam, S, "team", "Move a team under another (or to the root)."),
    CommandSpec(org.ArchiveTeam, S, "team", "Archive a team without active child teams."),
    # scorecards and perspectives
    CommandSpec(
        sc.CreateScorecard,
        S,
        "scorecard",
        "Create a scorecard for a team with the four classic perspectives.",
        ("scorecard_id", "perspective_ids"),
    ),
    CommandSpec(sc.RenameScorecard, S, "scorecard", "Rename a scorecard."),
    CommandSpec(sc.DescribeScorecard, S, "scorecard", "Change a scorecard's description."),
    CommandSpec(sc.AddPerspective, S, "perspective", "Add a perspective.", ("perspective_id",)),
    CommandSpec(sc.RenamePerspective, S, "perspective", "Rename a perspective."),
    CommandSpec(sc.ReorderPerspectives, S, "scorecard", "Put the perspectives in a new order."),
    CommandSpec(sc.ReweightPerspective, S, "perspective", "Change a perspective's weight."),
    CommandSpec(sc.RemovePerspective, S, "scorecard", "Remove a perspective without objectives."),
    # objectives, alignment and the strategy map
    CommandSpec(sc.AddObjective, S, "objective", "Add an objective.", ("objective_id",)),
    CommandSpec(sc.EditObjective, S, "objective", "Change an objective's title, text or owner."),
    CommandSpec(sc.MoveObjective, S, "objective", "Move an objective to another perspective."),
    CommandSpec(sc.ReweightObjective, S, "objective", "Change an objective's weight."),
    CommandSpec(sc.RetireObjective, S, "scorecard", "Retire an objective and its KPIs."),
    CommandSpec(
        sc.AlignObjective, S, "objective", "Cascade an objective from a parent team's one."
    ),
    CommandSpec(sc.UnalignObjective, S, "objective", "Remove an objective's alignment."),
    CommandSpec(sc.LinkObjectives, S, "scorecard", "Link two objectives: source drives target."),
    CommandSpec(sc.UnlinkObjectives, S, "scorecard", "Remove a strategy-map link."),
    # KPIs
    CommandSpec(sc.DefineKpi, S, "kpi", "Define a KPI for an objective.", ("kpi_id",)),
    CommandSpec(sc.EditKpi, S, "kpi", "Change a KPI's definition (only the fields given)."),
    CommandSpec(sc.MoveKpi, S, "kpi", "Move a KPI to another objective."),
    CommandSpec(sc.RetireKpi, S, "scorecard", "Retire a KPI."),
    # targets
    CommandSpec(sc.SetTarget, T, "kpi", "Set a KPI's target for a period (or from it on)."),
    CommandSpec(sc.ChangeTarget, T, "kpi", "Change a target; what is not given stays as it was."),
    CommandSpec(sc.ClearTarget, T, "kpi", "Remove a KPI's target for a period."),
    # measurements
    CommandSpec(
        sc.RecordMeasurement,
        M,
        "measurement",
        "Record a KPI's value for a period; a second value is a correction (give a reason).",
        ("measurement_id",),
    ),
    CommandSpec(
        sc.RetractMeasurement,
        Capability.MANAGE_MEASUREMENTS,
        "measurement",
        "Withdraw a KPI's current value for a period (or by its id), with a reason.",
    ),
    # period close
    CommandSpec(sc.ClosePeriod, A, "scorecard", "Close (lock) a scorecard period."),
    CommandSpec(sc.ReopenPeriod, A, "scorecard", "Reopen a closed period, with a reason."),
    # initiatives
    CommandSpec(sc.CreateInitiative, S, "initiative", "Start an initiative.", ("initiative_id",)),
    CommandSpec(sc.EditInitiative, S, "initiative", "Change an initiative (fields given)."),
    CommandSpec(sc.RelinkInitiative, S, "initiative", "Link an initiative to other objectives."),
    CommandSpec(sc.CompleteInitiative, S, "initiative", "Mark an initiative done."),
    CommandSpec(sc.CancelInitiative, S, "initiative", "Cancel an initiative, with a reason."),
)
