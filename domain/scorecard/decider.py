"""The Scorecard decider: dispatches commands and events to the modules that own them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.checks import check_command
from domain.decider import Decider
from domain.errors import reject
from domain.scorecard import (
    initiatives,
    kpis,
    measurements,
    objectives,
    periods_close,
    structure,
    targets,
)
from domain.scorecard.commands import CreateScorecard, ScorecardCommand
from domain.scorecard.events import ScorecardEvent
from domain.scorecard.state import ScorecardState

_MODULES = (structure, objectives, kpis, targets, measurements, periods_close, initiatives)

HANDLERS: dict[type[ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    CreateScorecard: structure.create_scorecard
}
APPLIERS: dict[type[ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {}
for _module in _MODULES:
    HANDLERS.update(_module.HANDLERS)
    APPLIERS.update(_module.APPLIERS)


def decide(command: ScorecardCommand, state: ScorecardState) -> list[ScorecardEvent]:
    """The events ``command`` produces on ``state``; raises ``DomainError`` on rejection."""
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"not a scorecard command: {command!r}")
    check_command(command)  # again: model_copy and model_construct skip the build's checks
    if not state.exists and not isinstance(command, CreateScorecard):
        raise reject(
            "scorecard.not_found",
            "no such scorecard",
            field="scorecard_id",
            value=command.scorecard_id,
        )
    return handler(command, state)


def evolve(state: ScorecardState, event: ScorecardEvent) -> ScorecardState:
    """The state after ``event`` (a new state; the given one is not changed)."""
    applier = APPLIERS.get(type(event))
    if applier is None:
        raise TypeError(f"not a scorecard event: {event!r}")
    return applier(state, event)


scorecard_decider: Decider[ScorecardCommand, ScorecardEvent, ScorecardState] = Decider(
    initial_state=ScorecardState(), evolve=evolve, decide=decide
)
