"""Scorecard structure read models: the scorecard, perspectives, objectives and links."""

from __future__ import annotations

from typing import Any

import domain.scorecard.events as sc
from projections import tables as t
from projections.read_models.registry import handles
from projections.versioned import Change, Writer

# scorecard structure --------------------------------------------------------------------


@handles(sc.ScorecardCreated)
async def _scorecard_created(w: Writer, c: Change, e: sc.ScorecardCreated) -> None:
    await w.insert(
        t.scorecards,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "team_id": e.team_id,
            "name": e.name,
            "description": e.description,
        },
    )


@handles(sc.ScorecardRenamed)
async def _scorecard_renamed(w: Writer, c: Change, e: sc.ScorecardRenamed) -> None:
    await w.replace(t.scorecards, c, {"scorecard_id": e.scorecard_id}, {"name": e.name})


@handles(sc.ScorecardDescriptionChanged)
async def _scorecard_described(w: Writer, c: Change, e: sc.ScorecardDescriptionChanged) -> None:
    await w.replace(
        t.scorecards, c, {"scorecard_id": e.scorecard_id}, {"description": e.description}
    )


@handles(sc.PerspectiveAdded)
async def _perspective_added(w: Writer, c: Change, e: sc.PerspectiveAdded) -> None:
    await w.insert(
        t.perspectives,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "perspective_id": e.perspective_id,
            "name": e.name,
            "weight": e.weight,
            "position": e.position,
        },
    )


@handles(sc.PerspectiveRenamed)
async def _perspective_renamed(w: Writer, c: Change, e: sc.PerspectiveRenamed) -> None:
    await w.replace(t.perspectives, c, {"perspective_id": e.perspective_id}, {"name": e.name})


@handles(sc.PerspectiveReweighted)
async def _perspective_reweighted(w: Writer, c: Change, e: sc.PerspectiveReweighted) -> None:
    await w.replace(t.perspectives, c, {"perspective_id": e.perspective_id}, {"weight": e.weight})


@handles(sc.PerspectivesReordered)
async def _perspectives_reordered(w: Writer, c: Change, e: sc.PerspectivesReordered) -> None:
    for position, perspective_id in enumerate(e.perspective_ids):
        await w.replace(
            t.perspectives, c, {"perspective_id": perspective_id}, {"position": position}
        )


@handles(sc.PerspectiveRemoved)
async def _perspective_removed(w: Writer, c: Change, e: sc.PerspectiveRemoved) -> None:
    await w.close(t.perspectives, c, {"perspective_id": e.perspective_id})


# objectives -------------------------------------------------------------------------------


@handles(sc.ObjectiveAdded)
async def _objective_added(w: Writer, c: Change, e: sc.ObjectiveAdded) -> None:
    await w.insert(
        t.objectives,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "objective_id": e.objective_id,
            "perspective_id": e.perspective_id,
            "title": e.title,
            "description": e.description,
            "owner": e.owner,
            "weight": e.weight,
            "retired": False,
            "parent_scorecard_id": None,
            "parent_objective_id": None,
        },
    )


async def _objective(w: Writer, c: Change, objective_id: str, **changes: Any) -> None:
    await w.replace(t.objectives, c, {"objective_id": objective_id}, changes)


@handles(sc.ObjectiveEdited)
async def _objective_edited(w: Writer, c: Change, e: sc.ObjectiveEdited) -> None:
    await _objective(w, c, e.objective_id, title=e.title, description=e.description, owner=e.owner)


@handles(sc.ObjectiveMoved)
async def _objective_moved(w: Writer, c: Change, e: sc.ObjectiveMoved) -> None:
    await _objective(w, c, e.objective_id, perspective_id=e.to_perspective_id)


@handles(sc.ObjectiveReweighted)
async def _objective_reweighted(w: Writer, c: Change, e: sc.ObjectiveReweighted) -> None:
    await _objective(w, c, e.objective_id, weight=e.weight)


@handles(sc.ObjectiveRetired)
async def _objective_retired(w: Writer, c: Change, e: sc.ObjectiveRetired) -> None:
    await _objective(w, c, e.objective_id, retired=True)


@handles(sc.ObjectiveAligned)
async def _objective_aligned(w: Writer, c: Change, e: sc.ObjectiveAligned) -> None:
    await _objective(
        w,
        c,
        e.objective_id,
        parent_scorecard_id=e.parent_scorecard_id,
        parent_objective_id=e.parent_objective_id,
    )


@handles(sc.ObjectiveUnaligned)
async def _objective_unaligned(w: Writer, c: Change, e: sc.ObjectiveUnaligned) -> None:
    await _objective(w, c, e.objective_id, parent_scorecard_id=None, parent_objective_id=None)


@handles(sc.ObjectivesLinked)
async def _objectives_linked(w: Writer, c: Change, e: sc.ObjectivesLinked) -> None:
    await w.insert(
        t.objective_links,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "source_objective_id": e.source_objective_id,
            "target_objective_id": e.target_objective_id,
        },
    )


@handles(sc.ObjectivesUnlinked)
async def _objectives_unlinked(w: Writer, c: Change, e: sc.ObjectivesUnlinked) -> None:
    await w.close(
        t.objective_links,
        c,
        {
            "source_objective_id": e.source_objective_id,
            "target_objective_id": e.target_objective_id,
        },
    )
