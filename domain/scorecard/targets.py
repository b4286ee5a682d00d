"""Targets: set, change and clear a KPI's target for a period (or from a period onward).

A KPI has at most one target per period; use ChangeTarget to alter it (it changes only
what it names). A target may be for
the KPI's own frequency or a longer period (a monthly KPI takes monthly, quarterly and
yearly targets), never a finer one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.checks import require_finite, require_text
from domain.errors import reject
from domain.periods import Period
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.lookups import kpi, open_period
from domain.scorecard.state import Kpi, ScorecardState, Target


def _check(
    state: ScorecardState, kpi_id: str, period: Period, reason: str, numbers: dict[str, Any]
) -> tuple[Kpi, str]:
    current = kpi(state, kpi_id)
    if period.granularity.is_finer_than(current.frequency):
        raise reject(
            "target.period_too_fine",
            f"a {current.frequency} KPI cannot take a target for a shorter period",
            field="period",
            value=str(period),
        )
    for name, number in numbers.items():
        require_finite(number, "target.non_finite", name)
    text = require_text(reason, "target.reason_required", "reason")
    open_period(state, period)
    return current, text


def set_target(cmd: c.SetTarget, state: ScorecardState) -> list[e.ScorecardEvent]:
    """TargetSet for a period without a target."""
    numbers = {"value": cmd.value, "baseline": cmd.baseline, "stretch": cmd.stretch}
    _, reason = _check(state, cmd.kpi_id, cmd.period, cmd.reason, numbers)
    if (cmd.kpi_id, cmd.period) in state.targets:
        raise reject(
            "target.already_set",
            "a target is set for this period; change it instead",
            field="period",
            value=str(cmd.period),
        )
    return [e.TargetSet(**(cmd.model_dump() | {"period": cmd.period, "reason": reason}))]


def change_target(cmd: c.ChangeTarget, state: ScorecardState) -> list[e.ScorecardEvent]:
    """TargetChanged with the resulting target for a period with a target, or nothing when
    nothing changes. What the command leaves out keeps its current value."""
    numbers = {"value": cmd.value, "baseline": cmd.baseline, "stretch": cmd.stretch}
    _, reason = _check(state, cmd.kpi_id, cmd.period, cmd.reason, numbers)
    current = state.targets.get((cmd.kpi_id, cmd.period))
    if current is None:
        raise reject(
            "target.not_found",
            "no target for this period",
            field="period",
            value=str(cmd.period),
        )
    given = cmd.model_fields_set
    wanted = replace(
        current,
        value=cmd.value,
        effective_from=current.effective_from if cmd.effective_from is None else cmd.effective_from,
        baseline=cmd.baseline if "baseline" in given else current.baseline,
        stretch=cmd.stretch if "stretch" in given else current.stretch,
    )
    if wanted == current:
        return []
    return [
        e.TargetChanged(
            scorecard_id=cmd.scorecard_id,
            kpi_id=wanted.kpi_id,
            period=wanted.period,
            effective_from=wanted.effective_from,
            value=wanted.value,
            baseline=wanted.baseline,
            stretch=wanted.stretch,
            reason=reason,
        )
    ]


def clear_target(cmd: c.ClearTarget, state: ScorecardState) -> list[e.ScorecardEvent]:
    """TargetCleared for a period with a target."""
    _, reason = _check(state, cmd.kpi_id, cmd.period, cmd.reason, {})
    if (cmd.kpi_id, cmd.period) not in state.targets:
        raise reject(
            "target.not_found",
            "no target for this period",
            field="period",
            value=str(cmd.period),
        )
    return [
        e.TargetCleared(
            scorecard_id=cmd.scorecard_id, kpi_id=cmd.kpi_id, period=cmd.period, reason=reason
        )
    ]


def _put(state: ScorecardState, ev: e.TargetSet | e.TargetChanged) -> ScorecardState:
    target = Target(ev.kpi_id, ev.period, ev.effective_from, ev.value, ev.baseline, ev.stretch)
    return replace(state, targets=state.targets.set((ev.kpi_id, ev.period), target))


def _cleared(state: ScorecardState, ev: e.TargetCleared) -> ScorecardState:
    key = (ev.kpi_id, ev.period)
    return replace(state, targets=state.targets.delete(key))


HANDLERS: dict[type[c.ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    c.SetTarget: set_target,
    c.ChangeTarget: change_target,
    c.ClearTarget: clear_target,
}

APPLIERS: dict[type[e.ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {
    e.TargetSet: _put,
    e.TargetChanged: _put,
    e.TargetCleared: _cleared,
}
