"""Period closes and initiatives read models."""

from __future__ import annotations

from typing import Any

import domain.scorecard.events as sc
from projections import tables as t
from projections.read_models.registry import handles, period_columns
from projections.versioned import Change, Writer

# period closes ----------------------------------------------------------------------------


@handles(sc.PeriodClosed)
async def _period_closed(w: Writer, c: Change, e: sc.PeriodClosed) -> None:
    await w.insert(t.period_closes, c, {"scorecard_id": e.scorecard_id, **period_columns(e.period)})


@handles(sc.PeriodReopened)
async def _period_reopened(w: Writer, c: Change, e: sc.PeriodReopened) -> None:
    await w.close(t.period_closes, c, {"scorecard_id": e.scorecard_id, "period": str(e.period)})


# initiatives ------------------------------------------------------------------------------


@handles(sc.InitiativeCreated)
async def _initiative_created(w: Writer, c: Change, e: sc.InitiativeCreated) -> None:
    await w.insert(
        t.initiatives,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "initiative_id": e.initiative_id,
            "title": e.title,
            "objective_ids": list(e.objective_ids),
            "owner": e.owner,
            "start_date": e.start_date,
            "due_date": e.due_date,
            "status": str(e.status),
            "progress": e.progress,
        },
    )


async def _initiative(w: Writer, c: Change, initiative_id: str, **changes: Any) -> None:
    await w.replace(t.initiatives, c, {"initiative_id": initiative_id}, changes)


@handles(sc.InitiativeEdited)
async def _initiative_edited(w: Writer, c: Change, e: sc.InitiativeEdited) -> None:
    await _initiative(
        w,
        c,
        e.initiative_id,
        title=e.title,
        owner=e.owner,
        start_date=e.start_date,
        due_date=e.due_date,
        status=str(e.status),
        progress=e.progress,
    )


@handles(sc.InitiativeRelinked)
async def _initiative_relinked(w: Writer, c: Change, e: sc.InitiativeRelinked) -> None:
    await _initiative(w, c, e.initiative_id, objective_ids=list(e.objective_ids))


@handles(sc.InitiativeCompleted)
async def _initiative_completed(w: Writer, c: Change, e: sc.InitiativeCompleted) -> None:
    await _initiative(w, c, e.initiative_id, status="done", progress=100)


@handles(sc.InitiativeCancelled)
async def _initiative_cancelled(w: Writer, c: Change, e: sc.InitiativeCancelled) -> None:
    await _initiative(w, c, e.initiative_id, status="cancelled")
