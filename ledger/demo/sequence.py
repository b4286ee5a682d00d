"""The demo's deterministic command sequence, in ``recorded_at`` order."""

from __future__ import annotations

from collections.abc import Iterator

from domain.commands import Command
from eventstore import Metadata
from ledger.demo.history import closes, initiative_updates, measurements
from ledger.demo.plan import DEFAULT_OPTIONS, DemoOptions, Plan, check
from ledger.demo.structure import setup


def build_plan(options: DemoOptions) -> Plan:
    """Every command of the demo with its time and metadata, sorted by ``recorded_at``."""
    check(options)
    plan = Plan(options, options.end.shift(1 - options.months))
    kpis = setup(plan)
    initiative_updates(plan)
    current = measurements(plan, kpis)
    closes(plan, kpis, current)
    plan.items.sort(key=lambda item: (item[0], item[1]))
    return plan


def commands(options: DemoOptions = DEFAULT_OPTIONS) -> Iterator[tuple[Command, Metadata]]:
    """The demo's commands with their metadata, in ``recorded_at`` order (deterministic)."""
    for _, _, command, metadata in build_plan(options).items:
        yield command, metadata
