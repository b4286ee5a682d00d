"""The scorecard itself and its perspectives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.checks import require_text, require_weight
from domain.errors import reject
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.lookups import perspective
from domain.scorecard.state import Perspective, ScorecardState
from domain.scorecard.values import CLASSIC_PERSPECTIVES


def create_scorecard(cmd: c.CreateScorecard, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ScorecardCreated followed by the four classic perspectives."""
    if state.exists:
        raise reject(
            "scorecard.already_exists",
            "scorecard exists",
            field="scorecard_id",
            value=cmd.scorecard_id,
        )
    name = require_text(cmd.name, "scorecard.name_blank", "name")
    ids = cmd.perspective_ids
    if len(ids) != len(CLASSIC_PERSPECTIVES) or len(set(ids)) != len(ids):
        raise reject(
            "scorecard.perspective_ids_invalid",
            f"give {len(CLASSIC_PERSPECTIVES)} distinct perspective ids",
            field="perspective_ids",
            value=ids,
        )
    sid = cmd.scorecard_id
    created = e.ScorecardCreated(
        scorecard_id=sid, team_id=cmd.team_id, name=name, description=cmd.description
    )
    added = [
        e.PerspectiveAdded(
            scorecard_id=sid, perspective_id=pid, name=title, weight=1.0, position=position
        )
        for position, (pid, title) in enumerate(zip(ids, CLASSIC_PERSPECTIVES, strict=True))
    ]
    return [created, *added]


def rename_scorecard(cmd: c.RenameScorecard, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ScorecardRenamed, or nothing when the name is unchanged."""
    name = require_text(cmd.name, "scorecard.name_blank", "name")
    if name == state.name:
        return []
    return [e.ScorecardRenamed(scorecard_id=cmd.scorecard_id, name=name)]


def describe_scorecard(cmd: c.DescribeScorecard, state: ScorecardState) -> list[e.ScorecardEvent]:
    """ScorecardDescriptionChanged, or nothing when unchanged."""
    if cmd.description == state.description:
        return []
    return [
        e.ScorecardDescriptionChanged(scorecard_id=cmd.scorecard_id, description=cmd.description)
    ]


def add_perspective(cmd: c.AddPerspective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """PerspectiveAdded at the end of the order."""
    if cmd.perspective_id in state.perspectives:
        raise reject(
            "perspective.already_exists",
            "perspective exists",
            field="perspective_id",
            value=cmd.perspective_id,
        )
    name = require_text(cmd.name, "perspective.name_blank", "name")
    require_weight(cmd.weight)
    return [
        e.PerspectiveAdded(
            scorecard_id=cmd.scorecard_id,
            perspective_id=cmd.perspective_id,
            name=name,
            weight=cmd.weight,
            position=len(state.perspective_order),
        )
    ]


def rename_perspective(cmd: c.RenamePerspective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """PerspectiveRenamed, or nothing when unchanged."""
    current = perspective(state, cmd.perspective_id)
    name = require_text(cmd.name, "perspective.name_blank", "name")
    if name == current.name:
        return []
    return [
        e.PerspectiveRenamed(
            scorecard_id=cmd.scorecard_id, perspective_id=cmd.perspective_id, name=name
        )
    ]


def reorder_perspectives(
    cmd: c.ReorderPerspectives, state: ScorecardState
) -> list[e.ScorecardEvent]:
    """PerspectivesReordered; the ids must be a permutation of the current ones."""
    ids = cmd.perspective_ids
    if len(ids) != len(state.perspective_order) or set(ids) != set(state.perspective_order):
        raise reject(
            "perspective.order_not_permutation",
            "give every current perspective id exactly once",
            field="perspective_ids",
            value=ids,
        )
    if ids == state.perspective_order:
        return []
    return [e.PerspectivesReordered(scorecard_id=cmd.scorecard_id, perspective_ids=ids)]


def reweight_perspective(
    cmd: c.ReweightPerspective, state: ScorecardState
) -> list[e.ScorecardEvent]:
    """PerspectiveReweighted, or nothing when unchanged."""
    current = perspective(state, cmd.perspective_id)
    require_weight(cmd.weight)
    if cmd.weight == current.weight:
        return []
    return [
        e.PerspectiveReweighted(
            scorecard_id=cmd.scorecard_id, perspective_id=cmd.perspective_id, weight=cmd.weight
        )
    ]


def remove_perspective(cmd: c.RemovePerspective, state: ScorecardState) -> list[e.ScorecardEvent]:
    """PerspectiveRemoved; only when no active objective is in it."""
    perspective(state, cmd.perspective_id)
    if any(
        o.perspective_id == cmd.perspective_id and not o.retired for o in state.objectives.values()
    ):
        raise reject(
            "perspective.has_active_objectives",
            "move or retire its objectives first",
            field="perspective_id",
            value=cmd.perspective_id,
        )
    return [e.PerspectiveRemoved(scorecard_id=cmd.scorecard_id, perspective_id=cmd.perspective_id)]


def _with(state: ScorecardState, item: Perspective) -> ScorecardState:
    return replace(state, perspectives=state.perspectives.set(item.perspective_id, item))


def _created(state: ScorecardState, ev: e.ScorecardCreated) -> ScorecardState:
    return replace(
        state,
        exists=True,
        scorecard_id=ev.scorecard_id,
        team_id=ev.team_id,
        name=ev.name,
        description=ev.description,
    )


def _added(state: ScorecardState, ev: e.PerspectiveAdded) -> ScorecardState:
    order = list(state.perspective_order)
    order.insert(ev.position, ev.perspective_id)
    item = Perspective(ev.perspective_id, ev.name, ev.weight)
    return replace(_with(state, item), perspective_order=tuple(order))


def _removed(state: ScorecardState, ev: e.PerspectiveRemoved) -> ScorecardState:
    remaining = state.perspectives.delete(ev.perspective_id)
    order = tuple(pid for pid in state.perspective_order if pid != ev.perspective_id)
    return replace(state, perspectives=remaining, perspective_order=order)


HANDLERS: dict[type[c.ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    c.RenameScorecard: rename_scorecard,
    c.DescribeScorecard: describe_scorecard,
    c.AddPerspective: add_perspective,
    c.RenamePerspective: rename_perspective,
    c.ReorderPerspectives: reorder_perspectives,
    c.ReweightPerspective: reweight_perspective,
    c.RemovePerspective: remove_perspective,
}

APPLIERS: dict[type[e.ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {
    e.ScorecardCreated: _created,
    e.ScorecardRenamed: lambda s, ev: replace(s, name=ev.name),
    e.ScorecardDescriptionChanged: lambda s, ev: replace(s, description=ev.description),
    e.PerspectiveAdded: _added,
    e.PerspectiveRenamed: lambda s, ev: _with(
        s, replace(s.perspectives[ev.perspective_id], name=ev.name)
    ),
    e.PerspectivesReordered: lambda s, ev: replace(s, perspective_order=ev.perspective_ids),
    e.PerspectiveReweighted: lambda s, ev: _with(
        s, replace(s.perspectives[ev.perspective_id], weight=ev.weight)
    ),
    e.PerspectiveRemoved: _removed,
}
