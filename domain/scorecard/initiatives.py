"""Initiatives: projects linked to objectives that close a performance gap.

EditInitiative may move the status between planned and in progress; done and cancelled are
reached through CompleteInitiative and CancelInitiative. A finished (done or cancelled)
initiative cannot be changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.checks import require_text
from domain.errors import reject
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.lookups import objective
from domain.scorecard.state import Initiative, ScorecardState
from domain.scorecard.values import InitiativeStatus

_FINISHED = (InitiativeStatus.DONE, InitiativeStatus.CANCELLED)


def _check_objectives(state: ScorecardState, ids: tuple[str, ...]) -> None:
    if not ids:
        raise reject(
            "initiative.objectives_required",
            "link at least one objective",
            field="objective_ids",
            value=ids,
        )
    if len(set(ids)) != len(ids):
        raise reject(
            "initiative.duplicate_objective",
            "an objective is listed twice",
            field="objective_ids",
            value=ids,
        )
    for objective_id in ids:
        objective(state, objective_id, "objective_ids")


def _check_plan(start: dt.date, due: dt.date, progress: int) -> None:
    if due < start:
        raise reject(
            "initiative.due_before_start",
            "due date is before the start date",
            field="due_date",
            value=due.isoformat(),
        )
    if not 0 <= progress <= 100:
        raise reject(
            "initiative.progress_out_of_range",
            "progress must be 0..100",
            field="progress",
            value=progress,
        )


def _open_initiative(state: ScorecardState, initiative_id: str) -> Initiative:
    found = state.initiatives.get(initiative_id)
    if found is None:
        raise reject(
            "initiative.not_found",
            "no such initiative",
            field="initiative_id",
            value=initiative_id,
        )
    if found.status in _FINISHED:
        raise reject(
            "initiative.finished",
            f"initiative is {found.status}",
            field="initiative_id",
            value=initiative_id,
        )
    return found


def create_initiative(cmd: c.CreateInitiative, state: ScorecardState) -> list[e.ScorecardEvent]:
    """InitiativeCreated linked to one or more active objectives."""
    if cmd.initiative_id in state.initiatives:
        raise reject(
            "initiative.already_exists",
            "initiative exists",
            field="initiative_id",
            value=cmd.initiative_id,
        )
    title = require_text(cmd.title, "initiative.title_blank", "title")
    _check_objectives(state, cmd.objective_ids)
    _check_plan(cmd.start_date, cmd.due_date, cmd.progress)
    return [e.InitiativeCreated(**(cmd.model_dump() | {"title": title}))]


def edit_initiative(cmd: c.EditInitiative, state: ScorecardState) -> list[e.ScorecardEvent]:
    """InitiativeEdited with the resulting fields, or nothing when nothing changes."""
    current = _open_initiative(state, cmd.initiative_id)
    given = {k: v for k, v in cmd.model_dump(exclude={"scorecard_id"}).items() if v is not None}
    edited = replace(current, **given)
    if edited.status in _FINISHED:
        raise reject(
            "initiative.status_requires_command",
            "complete or cancel the initiative with its own command",
            field="status",
            value=str(edited.status),
        )
    edited = replace(edited, title=require_text(edited.title, "initiative.title_blank", "title"))
    _check_plan(edited.start_date, edited.due_date, edited.progress)
    if edited == current:
        return []
    return [
        e.InitiativeEdited(
            scorecard_id=cmd.scorecard_id,
            initiative_id=edited.initiative_id,
            title=edited.title,
            owner=edited.owner,
            start_date=edited.start_date,
            due_date=edited.due_date,
            status=edited.status,
            progress=edited.progress,
        )
    ]


def relink_initiative(cmd: c.RelinkInitiative, state: ScorecardState) -> list[e.ScorecardEvent]:
    """InitiativeRelinked to a new set of active objectives."""
    current = _open_initiative(state, cmd.initiative_id)
    _check_objectives(state, cmd.objective_ids)
    if cmd.objective_ids == current.objective_ids:
        return []
    return [
        e.InitiativeRelinked(
            scorecard_id=cmd.scorecard_id,
            initiative_id=cmd.initiative_id,
            objective_ids=cmd.objective_ids,
        )
    ]


def complete_initiative(cmd: c.CompleteInitiative, state: ScorecardState) -> list[e.ScorecardEvent]:
    """InitiativeCompleted (progress 100)."""
    _open_initiative(state, cmd.initiative_id)
    return [e.InitiativeCompleted(scorecard_id=cmd.scorecard_id, initiative_id=cmd.initiative_id)]


def cancel_initiative(cmd: c.CancelInitiative, state: ScorecardState) -> list[e.ScorecardEvent]:
    """InitiativeCancelled with the reason."""
    _open_initiative(state, cmd.initiative_id)
    reason = require_text(cmd.reason, "initiative.reason_required", "reason")
    return [
        e.InitiativeCancelled(
            scorecard_id=cmd.scorecard_id, initiative_id=cmd.initiative_id, reason=reason
        )
    ]


def _with(state: ScorecardState, item: Initiative) -> ScorecardState:
    return replace(state, initiatives=state.initiatives.set(item.initiative_id, item))


def _created(state: ScorecardState, ev: e.InitiativeCreated) -> ScorecardState:
    fields = ev.model_dump(exclude={"scorecard_id"})
    fields |= {"objective_ids": ev.objective_ids, "status": ev.status}
    return _with(state, Initiative(**fields))


def _edited(state: ScorecardState, ev: e.InitiativeEdited) -> ScorecardState:
    fields = ev.model_dump(exclude={"scorecard_id", "initiative_id"}) | {"status": ev.status}
    return _with(state, replace(state.initiatives[ev.initiative_id], **fields))


def _finished(
    state: ScorecardState, initiative_id: str, status: InitiativeStatus, **more: Any
) -> ScorecardState:
    return _with(state, replace(state.initiatives[initiative_id], status=status, **more))


HANDLERS: dict[type[c.ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    c.CreateInitiative: create_initiative,
    c.EditInitiative: edit_initiative,
    c.RelinkInitiative: relink_initiative,
    c.CompleteInitiative: complete_initiative,
    c.CancelInitiative: cancel_initiative,
}

APPLIERS: dict[type[e.ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {
    e.InitiativeCreated: _created,
    e.InitiativeEdited: _edited,
    e.InitiativeRelinked: lambda s, ev: _with(
        s, replace(s.initiatives[ev.initiative_id], objective_ids=ev.objective_ids)
    ),
    e.InitiativeCompleted: lambda s, ev: _finished(
        s, ev.initiative_id, InitiativeStatus.DONE, progress=100
    ),
    e.InitiativeCancelled: lambda s, ev: _finished(s, ev.initiative_id, InitiativeStatus.CANCELLED),
}
