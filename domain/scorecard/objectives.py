"""Objectives: adding, editing, moving, retiring, alignment and strategy-map links.

Alignment to another scorecard's objective is checked here only for local rules; that the
parent exists and belongs to a parent team's scorecard is checked outside the domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.checks import require_text, require_weight
from domain.errors import reject
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.lookups import objective, perspective
from domain.scorecard.state import Alignment, Objective, ScorecardState


def add_objective(cmd: c.AddObjective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectiveAdded in an existing perspective."""
    if cmd.objective_id in state.objectives:
        raise reject(
            "objective.already_exists",
            "objective exists",
            field="objective_id",
            value=cmd.objective_id,
        )
    perspective(state, cmd.perspective_id)
    title = require_text(cmd.title, "objective.title_blank", "title")
    require_weight(cmd.weight)
    return [
        e.ObjectiveAdded(
            scorecard_id=cmd.scorecard_id,
            objective_id=cmd.objective_id,
            perspective_id=cmd.perspective_id,
            title=title,
            description=cmd.description,
            owner=cmd.owner,
            weight=cmd.weight,
        )
    ]


def edit_objective(cmd: c.EditObjective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectiveEdited with the resulting fields, or nothing when nothing changes."""
    current = objective(state, cmd.objective_id)
    title = current.title
    if cmd.title is not None:
        title = require_text(cmd.title, "objective.title_blank", "title")
    description = current.description if cmd.description is None else cmd.description
    owner = current.owner if cmd.owner is None else cmd.owner
    if (title, description, owner) == (current.title, current.description, current.owner):
        return []
    return [
        e.ObjectiveEdited(
            scorecard_id=cmd.scorecard_id,
            objective_id=cmd.objective_id,
            title=title,
            description=description,
            owner=owner,
        )
    ]


def move_objective(cmd: c.MoveObjective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectiveMoved to another perspective, or nothing when already there."""
    current = objective(state, cmd.objective_id)
    perspective(state, cmd.perspective_id)
    if current.perspective_id == cmd.perspective_id:
        return []
    return [
        e.ObjectiveMoved(
            scorecard_id=cmd.scorecard_id,
            objective_id=cmd.objective_id,
            from_perspective_id=current.perspective_id,
            to_perspective_id=cmd.perspective_id,
        )
    ]


def reweight_objective(cmd: c.ReweightObjective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectiveReweighted, or nothing when unchanged."""
    current = objective(state, cmd.objective_id)
    require_weight(cmd.weight)
    if current.weight == cmd.weight:
        return []
    return [
        e.ObjectiveReweighted(
            scorecard_id=cmd.scorecard_id, objective_id=cmd.objective_id, weight=cmd.weight
        )
    ]


def retire_objective(cmd: c.RetireObjective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """KpiRetired for each of its active KPIs, then ObjectiveRetired."""
    objective(state, cmd.objective_id)
    kpis = sorted(
        k.kpi_id
        for k in state.kpis.values()
        if k.objective_id == cmd.objective_id and not k.retired
    )
    retired: list[e.ScorecardEvent] = [
        e.KpiRetired(scorecard_id=cmd.scorecard_id, kpi_id=kpi_id, objective_id=cmd.objective_id)
        for kpi_id in kpis
    ]
    retired.append(e.ObjectiveRetired(scorecard_id=cmd.scorecard_id, objective_id=cmd.objective_id))
    return retired


def align_objective(cmd: c.AlignObjective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectiveAligned; replaces a former alignment to a different parent."""
    current = objective(state, cmd.objective_id)
    if (cmd.parent_scorecard_id, cmd.parent_objective_id) == (
        cmd.scorecard_id,
        cmd.objective_id,
    ):
        raise reject(
            "objective.self_alignment",
            "an objective cannot align to itself",
            field="parent_objective_id",
            value=cmd.parent_objective_id,
        )
    wanted = Alignment(cmd.parent_scorecard_id, cmd.parent_objective_id)
    if current.alignment == wanted:
        raise reject(
            "objective.already_aligned",
            "objective is already aligned to this parent",
            field="parent_objective_id",
            value=cmd.parent_objective_id,
        )
    return [
        e.ObjectiveAligned(
            scorecard_id=cmd.scorecard_id,
            objective_id=cmd.objective_id,
            parent_scorecard_id=cmd.parent_scorecard_id,
            parent_objective_id=cmd.parent_objective_id,
        )
    ]


def unalign_objective(cmd: c.UnalignObjective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectiveUnaligned naming the former parent."""
    current = objective(state, cmd.objective_id)
    if current.alignment is None:
        raise reject(
            "objective.not_aligned",
            "objective is not aligned",
            field="objective_id",
            value=cmd.objective_id,
        )
    return [
        e.ObjectiveUnaligned(
            scorecard_id=cmd.scorecard_id,
            objective_id=cmd.objective_id,
            parent_scorecard_id=current.alignment.parent_scorecard_id,
            parent_objective_id=current.alignment.parent_objective_id,
        )
    ]


def _reaches(links: frozenset[tuple[str, str]], start: str, goal: str) -> bool:
    seen: set[str] = set()
    frontier = [start]
    while frontier:
        node = frontier.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        frontier.extend(target for source, target in links if source == node)
    return False


def link_objectives(cmd: c.LinkObjectives, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectivesLinked (source drives target); no self-links, duplicates or cycles."""
    source, target = cmd.source_objective_id, cmd.target_objective_id
    objective(state, source, "source_objective_id")
    objective(state, target, "target_objective_id")
    if source == target:
        raise reject(
            "objective.self_link",
            "an objective cannot drive itself",
            field="target_objective_id",
            value=target,
        )
    if (source, target) in state.links:
        raise reject(
            "objective.link_exists",
            "the link exists",
            field="target_objective_id",
            value=target,
        )
    if _reaches(state.links, target, source):
        raise reject(
            "objective.link_cycle",
            "the link would close a cycle",
            field="target_objective_id",
            value=target,
        )
    return [
        e.ObjectivesLinked(
            scorecard_id=cmd.scorecard_id, source_objective_id=source, target_objective_id=target
        )
    ]


def unlink_objectives(cmd: c.UnlinkObjectives, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ObjectivesUnlinked for an existing link."""
    pair = (cmd.source_objective_id, cmd.target_objective_id)
    if pair not in state.links:
        raise reject(
            "objective.link_not_found",
            "no such link",
            field="target_objective_id",
            value=cmd.target_objective_id,
        )
    return [
        e.ObjectivesUnlinked(
            scorecard_id=cmd.scorecard_id,
            source_objective_id=pair[0],
            target_objective_id=pair[1],
        )
    ]


def _with(state: ScorecardState, item: Objective) -> ScorecardState:
    return replace(state, objectives=state.objectives.set(item.objective_id, item))


def _added(state: ScorecardState, ev: e.ObjectiveAdded) -> ScorecardState:
    item = Objective(
        ev.objective_id, ev.perspective_id, ev.title, ev.description, ev.owner, ev.weight
    )
    return _with(state, item)


def _update(state: ScorecardState, objective_id: str, **changes: Any) -> ScorecardState:
    return _with(state, replace(state.objectives[objective_id], **changes))


HANDLERS: dict[type[c.ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    c.AddObjective: add_objective,
    c.EditObjective: edit_objective,
    c.MoveObjective: move_objective,
    c.ReweightObjective: reweight_objective,
    c.RetireObjective: retire_objective,
    c.AlignObjective: align_objective,
    c.UnalignObjective: unalign_objective,
    c.LinkObjectives: link_objectives,
    c.UnlinkObjectives: unlink_objectives,
}

APPLIERS: dict[type[e.ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {
    e.ObjectiveAdded: _added,
    e.ObjectiveEdited: lambda s, ev: _update(
        s, ev.objective_id, title=ev.title, description=ev.description, owner=ev.owner
    ),
    e.ObjectiveMoved: lambda s, ev: _update(
        s, ev.objective_id, perspective_id=ev.to_perspective_id
    ),
    e.ObjectiveReweighted: lambda s, ev: _update(s, ev.objective_id, weight=ev.weight),
    e.ObjectiveRetired: lambda s, ev: _update(s, ev.objective_id, retired=True),
    e.ObjectiveAligned: lambda s, ev: _update(
        s, ev.objective_id, alignment=Alignment(ev.parent_scorecard_id, ev.parent_objective_id)
    ),
    e.ObjectiveUnaligned: lambda s, ev: _update(s, ev.objective_id, alignment=None),
    e.ObjectivesLinked: lambda s, ev: replace(
        s, links=s.links | {(ev.source_objective_id, ev.target_objective_id)}
    ),
    e.ObjectivesUnlinked: lambda s, ev: replace(
        s, links=s.links - {(ev.source_objective_id, ev.target_objective_id)}
    ),
}
