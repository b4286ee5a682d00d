"""What to generate and the plan being built: the options, the KPIs and the timed commands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from domain.commands import Command
from domain.periods import Granularity, Period
from eventstore import Metadata
from ledger.demo.catalog import DEFAULT_END, MIN_KPIS, MIN_MONTHS, Template


@dataclass(frozen=True)
class DemoOptions:
    """What to generate: the tenant, the seed, the size and the last month reported."""

    tenant_id: str = "demo"
    seed: int = 7
    kpis: int = 40
    months: int = 24
    end: Period = DEFAULT_END
    teams: bool = True


DEFAULT_OPTIONS = DemoOptions()


@dataclass(frozen=True)
class Kpi:
    """A KPI to generate: where it lives and how its figures are produced."""

    kpi_id: str
    scorecard_id: str
    objective_id: str
    template: Template
    name: str
    order: int  # position in the daily feed (seconds after the hour)
    known: int = 0  # 1..5 for the known KPIs, 0 for random ones


@dataclass
class Plan:
    """The commands with their times, and what the summary needs to know up front."""

    options: DemoOptions
    first: Period
    items: list[tuple[dt.datetime, int, Command, Metadata]] = field(default_factory=list)
    scorecard_ids: list[str] = field(default_factory=list)
    team_ids: list[str] = field(default_factory=list)
    objective_ids: list[str] = field(default_factory=list)
    kpi_ids: list[str] = field(default_factory=list)
    initiative_ids: list[str] = field(default_factory=list)
    closed: list[Period] = field(default_factory=list)
    reopened: list[Period] = field(default_factory=list)

    def add(
        self,
        at: dt.datetime,
        command: Command,
        actor: str,
        reason: str | None = None,
        source_system: str | None = None,
    ) -> None:
        metadata = Metadata(actor=actor, recorded_at=at, reason=reason, source_system=source_system)
        self.items.append((at, len(self.items), command, metadata))


def check(options: DemoOptions) -> None:
    """Refuse options the demo cannot be built from (``ValueError``)."""
    if options.kpis < MIN_KPIS:
        raise ValueError(f"the demo needs at least {MIN_KPIS} KPIs, got {options.kpis}")
    if options.months < MIN_MONTHS:
        raise ValueError(f"the demo needs at least {MIN_MONTHS} months, got {options.months}")
    if options.end.granularity is not Granularity.MONTH:
        raise ValueError(f"end must be a month, got {options.end}")
    if not options.tenant_id:
        raise ValueError("tenant_id must not be empty")
