"""KPI definitions: define, edit, move, retire."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.checks import require_text, require_thresholds, require_weight
from domain.errors import reject
from domain.kpi_kinds import Direction
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.lookups import kpi, objective
from domain.scorecard.state import Kpi, ScorecardState

_EDITABLE = (
    "name",
    "description",
    "unit",
    "direction",
    "range_low",
    "range_high",
    "aggregation",
    "kind",
    "owner",
    "weight",
    "thresholds",
)


def _check_range(direction: Direction, low: float | None, high: float | None) -> None:
    if direction is not Direction.WITHIN_RANGE:
        if low is not None or high is not None:
            raise reject(
                "kpi.range_not_allowed",
                "range bounds are only for within_range KPIs",
                field="range_low" if low is not None else "range_high",
                value=low if low is not None else high,
            )
        return
    if low is None or high is None:
        raise reject(
            "kpi.range_required",
            "a within_range KPI needs range_low and range_high",
            field="range_low" if low is None else "range_high",
            value=None,
        )
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise reject(
            "kpi.range_invalid",
            "range bounds must be finite with range_low < range_high",
            field="range_low",
            value=(low, high),
        )


def _check_definition(item: Kpi) -> None:
    require_text(item.name, "kpi.name_blank", "name")
    _check_range(item.direction, item.range_low, item.range_high)
    require_weight(item.weight)
    require_thresholds(item.thresholds)


def define_kpi(cmd: c.DefineKpi, state: ScorecardState) -> list[e.ScorecardEvent]:
    """KpiDefined with every definition field."""
    if cmd.kpi_id in state.kpis:
        raise reject("kpi.already_exists", "KPI exists", field="kpi_id", value=cmd.kpi_id)
    objective(state, cmd.objective_id)
    fields = cmd.model_dump(exclude={"scorecard_id"})
    fields["name"] = require_text(cmd.name, "kpi.name_blank", "name")
    fields["thresholds"] = cmd.thresholds
    _check_definition(Kpi(**fields))
    return [e.KpiDefined(scorecard_id=cmd.scorecard_id, **fields)]


def edit_kpi(cmd: c.EditKpi, state: ScorecardState) -> list[e.ScorecardEvent]:
    """KpiEdited with the resulting fields; only the fields given in the command change."""
    current = kpi(state, cmd.kpi_id)
    changes = {name: getattr(cmd, name) for name in _EDITABLE if name in cmd.model_fields_set}
    for required in ("name", "direction", "aggregation", "kind", "owner", "weight", "unit"):
        if changes.get(required, current) is None:
            changes.pop(required)
    if changes.get("direction", current.direction) is not Direction.WITHIN_RANGE:
        # leaving within_range drops the bounds unless they are explicitly given
        changes.setdefault("range_low", None)
        changes.setdefault("range_high", None)
    if "name" in changes:
        changes["name"] = require_text(changes["name"], "kpi.name_blank", "name")
    edited = replace(current, **changes)
    _check_definition(edited)
    if edited == current:
        return []
    return [
        e.KpiEdited(
            scorecard_id=cmd.scorecard_id,
            **{name: getattr(edited, name) for name in ("kpi_id", "objective_id", *_EDITABLE)},
        )
    ]


def move_kpi(cmd: c.MoveKpi, state: ScorecardState) -> list[e.ScorecardEvent]:
    """KpiMoved to another active objective, or nothing when already there."""
    current = kpi(state, cmd.kpi_id)
    objective(state, cmd.objective_id)
    if current.objective_id == cmd.objective_id:
        return []
    return [
        e.KpiMoved(
            scorecard_id=cmd.scorecard_id,
            kpi_id=cmd.kpi_id,
            from_objective_id=current.objective_id,
            to_objective_id=cmd.objective_id,
        )
    ]


def retire_kpi(cmd: c.RetireKpi, state: ScorecardState) -> list[e.ScorecardEvent]:
    """KpiRetired; its history stays, new targets and measurements are rejected."""
    current = kpi(state, cmd.kpi_id)
    return [
        e.KpiRetired(
            scorecard_id=cmd.scorecard_id, kpi_id=cmd.kpi_id, objective_id=current.objective_id
        )
    ]


def _with(state: ScorecardState, item: Kpi) -> ScorecardState:
    return replace(state, kpis=state.kpis.set(item.kpi_id, item))


def _defined(state: ScorecardState, ev: e.KpiDefined) -> ScorecardState:
    return _with(
        state, Kpi(**ev.model_dump(exclude={"scorecard_id"}) | {"thresholds": ev.thresholds})
    )


def _edited(state: ScorecardState, ev: e.KpiEdited) -> ScorecardState:
    changes = {name: getattr(ev, name) for name in _EDITABLE}
    return _with(state, replace(state.kpis[ev.kpi_id], **changes))


HANDLERS: dict[type[c.ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    c.DefineKpi: define_kpi,
    c.EditKpi: edit_kpi,
    c.MoveKpi: move_kpi,
    c.RetireKpi: retire_kpi,
}

APPLIERS: dict[type[e.ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {
    e.KpiDefined: _defined,
    e.KpiEdited: _edited,
    e.KpiMoved: lambda s, ev: _with(s, replace(s.kpis[ev.kpi_id], objective_id=ev.to_objective_id)),
    e.KpiRetired: lambda s, ev: _with(s, replace(s.kpis[ev.kpi_id], retired=True)),
}
