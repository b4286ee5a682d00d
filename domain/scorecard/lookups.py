"""Finding entities in the scorecard state, with the coded rejection when absent or retired."""

from __future__ import annotations

from domain.errors import reject
from domain.periods import Period
from domain.scorecard.state import Kpi, Objective, Perspective, ScorecardState


def perspective(state: ScorecardState, perspective_id: str) -> Perspective:
    """The perspective, or ``perspective.not_found``."""
    found = state.perspectives.get(perspective_id)
    if found is None:
        raise reject(
            "perspective.not_found",
            "no such perspective",
            field="perspective_id",
            value=perspective_id,
        )
    return found


def objective(state: ScorecardState, objective_id: str, field: str = "objective_id") -> Objective:
    """The active objective, or ``objective.not_found`` / ``objective.retired``."""
    found = state.objectives.get(objective_id)
    if found is None:
        raise reject("objective.not_found", "no such objective", field=field, value=objective_id)
    if found.retired:
        raise reject("objective.retired", "objective is retired", field=field, value=objective_id)
    return found


def kpi(state: ScorecardState, kpi_id: str) -> Kpi:
    """The active KPI, or ``kpi.not_found`` / ``kpi.retired``."""
    found = state.kpis.get(kpi_id)
    if found is None:
        raise reject("kpi.not_found", "no such KPI", field="kpi_id", value=kpi_id)
    if found.retired:
        raise reject("kpi.retired", "KPI is retired", field="kpi_id", value=kpi_id)
    return found


def open_period(state: ScorecardState, period: Period) -> None:
    """Reject with ``period.closed`` when ``period`` (or one containing it) is closed."""
    if state.is_closed(period):
        raise reject(
            "period.closed",
            "period is closed; reopen it first",
            field="period",
            value=str(period),
        )
