"""Writing the demo into a store: deciding and appending each command, keeping each stream's
state in memory, and summarizing what was written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.commands import Command
from domain.periods import Period
from eventstore import Metadata
from ledger.application import Ledger
from ledger.demo.catalog import MAIN_SCORECARD_ID, ORGANIZATION_ID
from ledger.demo.known import KnownKpi, known_figures
from ledger.demo.plan import DEFAULT_OPTIONS, DemoOptions
from ledger.demo.sequence import build_plan


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote."""

    tenant_id: str
    organization_id: str
    scorecard_id: str
    scorecard_ids: tuple[str, ...]
    team_ids: tuple[str, ...]
    objective_ids: tuple[str, ...]
    kpi_ids: tuple[str, ...]
    initiative_ids: tuple[str, ...]
    first_period: Period
    last_period: Period
    closed_periods: tuple[Period, ...]
    reopened_periods: tuple[Period, ...]
    commands: int
    events: int
    first_recorded_at: dt.datetime
    last_recorded_at: dt.datetime
    known: dict[str, KnownKpi] = field(default_factory=dict)


class _Writer:
    """Runs the demo's commands through the :class:`~ledger.Ledger`, the one write path."""

    def __init__(self, ledger: Ledger, tenant_id: str) -> None:
        self.ledger = ledger
        self.tenant_id = tenant_id

    async def execute(self, command: Command, metadata: Metadata) -> int:
        """Run ``command``; the number of events it appended."""
        result = await self.ledger.execute(self.tenant_id, command, metadata)
        return len(result.events)


async def generate(
    ledger: Ledger,
    options: DemoOptions = DEFAULT_OPTIONS,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write the demo into ``options.tenant_id`` (which must not hold an organization yet).

    ``progress(done, total)`` is called after each command.
    """
    plan = build_plan(options)
    writer = _Writer(ledger, options.tenant_id)
    total = len(plan.items)
    events = 0
    for done, (_, _, command, metadata) in enumerate(plan.items, start=1):
        events += await writer.execute(command, metadata)
        if progress is not None:
            progress(done, total)
    return DemoSummary(
        tenant_id=options.tenant_id,
        organization_id=ORGANIZATION_ID,
        scorecard_id=MAIN_SCORECARD_ID,
        scorecard_ids=tuple(plan.scorecard_ids),
        team_ids=tuple(plan.team_ids),
        objective_ids=tuple(plan.objective_ids),
        kpi_ids=tuple(plan.kpi_ids),
        initiative_ids=tuple(plan.initiative_ids),
        first_period=plan.first,
        last_period=options.end,
        closed_periods=tuple(plan.closed),
        reopened_periods=tuple(plan.reopened),
        commands=total,
        events=events,
        first_recorded_at=plan.items[0][0],
        last_recorded_at=plan.items[-1][0],
        known=known_figures(plan.first, options.end),
    )
