"""Closing and reopening scorecard periods.

A period is closed when it, or a period containing it, is closed. Changes to targets and
measurements of a closed period are rejected until it is reopened, with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.checks import require_text
from domain.errors import reject
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.state import ScorecardState


def close_period(cmd: c.ClosePeriod, state: ScorecardState) -> list[e.ScorecardEvent]:
    """PeriodClosed for a period that is open."""
    if cmd.period in state.closed_periods:
        raise reject(
            "period.already_closed", "period is closed", field="period", value=str(cmd.period)
        )
    if state.is_closed(cmd.period):
        raise reject(
            "period.closed_by_containing_period",
            "a period containing this one is closed",
            field="period",
            value=str(cmd.period),
        )
    return [e.PeriodClosed(scorecard_id=cmd.scorecard_id, period=cmd.period)]


def reopen_period(cmd: c.ReopenPeriod, state: ScorecardState) -> list[e.ScorecardEvent]:
    """PeriodReopened for a period closed itself (not only through a containing one)."""
    if cmd.period not in state.closed_periods:
        code = (
            "period.closed_by_containing_period"
            if state.is_closed(cmd.period)
            else "period.not_closed"
        )
        raise reject(code, "period is not closed itself", field="period", value=str(cmd.period))
    reason = require_text(cmd.reason, "period.reason_required", "reason")
    return [e.PeriodReopened(scorecard_id=cmd.scorecard_id, period=cmd.period, reason=reason)]


HANDLERS: dict[type[c.ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    c.ClosePeriod: close_period,
    c.ReopenPeriod: reopen_period,
}

APPLIERS: dict[type[e.ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {
    e.PeriodClosed: lambda s, ev: replace(s, closed_periods=s.closed_periods | {ev.period}),
    e.PeriodReopened: lambda s, ev: replace(s, closed_periods=s.closed_periods - {ev.period}),
}
