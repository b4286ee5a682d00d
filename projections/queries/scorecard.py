"""The whole scorecard for a period, current or as known at any moment.

A fixed number of statements whatever the number of KPIs: the scorecard, the organization's
scoring defaults, perspectives, objectives, links, KPIs, targets, the measurements of the
trend window, initiatives and the period close. The scores come from the domain's
evaluation and roll-up functions; nothing is scored twice.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.evaluation import KpiSpec, TargetSpec, evaluate_kpi, trend_periods
from domain.kpi_kinds import Aggregation, Direction
from domain.periods import Frequency, Period
from domain.scoring import ScoringDefaults, Status, Thresholds, roll_up, status_for
from projections import tables as t
from projections.asof import AsOf, scoped, visible
from projections.views import (
    InitiativeView,
    KpiView,
    LinkView,
    ObjectiveView,
    PerspectiveView,
    ScorecardView,
)

DEFAULT_TREND = 6


def _rows(table: sa.Table, tenant_id: str, scorecard_id: str, as_of: AsOf | None) -> sa.Select[Any]:
    return sa.select(table).where(
        *scoped(table, tenant_id), visible(table, as_of), table.c.scorecard_id == scorecard_id
    )


async def scoring_defaults(
    conn: AsyncConnection, tenant_id: str, as_of: AsOf | None
) -> ScoringDefaults:
    """The organization's cap and thresholds (the domain defaults before it exists)."""
    org = t.organizations
    row = (
        await conn.execute(sa.select(org).where(*scoped(org, tenant_id), visible(org, as_of)))
    ).first()
    if row is None:
        return ScoringDefaults()
    return ScoringDefaults(cap=row.cap, thresholds=Thresholds(green=row.green, amber=row.amber))


async def scorecard(
    conn: AsyncConnection,
    tenant_id: str,
    scorecard_id: str,
    period: Period,
    as_of: AsOf | None = None,
    trend_count: int = DEFAULT_TREND,
) -> ScorecardView | None:
    """The scorecard tree for ``period`` (valid time) as known at ``as_of`` (system time;
    None for now), or None when the scorecard did not exist then."""
    if trend_count < 1:
        raise ValueError(f"trend_count must be at least 1, got {trend_count}")
    head = (await conn.execute(_rows(t.scorecards, tenant_id, scorecard_id, as_of))).first()
    if head is None:
        return None
    defaults = await scoring_defaults(conn, tenant_id, as_of)
    perspectives = (
        await conn.execute(
            _rows(t.perspectives, tenant_id, scorecard_id, as_of).order_by(
                t.perspectives.c.position
            )
        )
    ).all()
    objectives = (
        await conn.execute(
            _rows(t.objectives, tenant_id, scorecard_id, as_of)
            .where(t.objectives.c.retired.is_(False))
            .order_by(t.objectives.c.sys_from_pos, t.objectives.c.objective_id)
        )
    ).all()
    links = (await conn.execute(_rows(t.objective_links, tenant_id, scorecard_id, as_of))).all()
    kpis = (
        await conn.execute(
            _rows(t.kpis, tenant_id, scorecard_id, as_of)
            .where(t.kpis.c.retired.is_(False))
            .order_by(t.kpis.c.name, t.kpis.c.kpi_id)
        )
    ).all()
    targets = (await conn.execute(_rows(t.targets, tenant_id, scorecard_id, as_of))).all()
    window = trend_periods(period, trend_count)
    measured = (
        await conn.execute(
            _rows(t.measurements, tenant_id, scorecard_id, as_of).where(
                t.measurements.c.period_start >= window[0].first_month_ordinal,
                t.measurements.c.period_end <= period.last_month_ordinal,
            )
        )
    ).all()
    initiatives = (await conn.execute(_rows(t.initiatives, tenant_id, scorecard_id, as_of))).all()
    closes = (await conn.execute(_rows(t.period_closes, tenant_id, scorecard_id, as_of))).all()

    targets_by_kpi: dict[str, list[TargetSpec]] = defaultdict(list)
    for row in targets:
        targets_by_kpi[row.kpi_id].append(
            TargetSpec(
                Period.parse(row.period), row.effective_from, row.value, row.baseline, row.stretch
            )
        )
    values_by_kpi: dict[str, dict[Period, float | None]] = defaultdict(dict)
    for row in measured:
        values_by_kpi[row.kpi_id][Period.parse(row.period)] = (
            None if row.not_available else row.value
        )
    kpis_by_objective: dict[str, list[KpiView]] = defaultdict(list)
    for row in kpis:
        view = _kpi_view(
            row, values_by_kpi[row.kpi_id], targets_by_kpi[row.kpi_id], period, window, defaults
        )
        kpis_by_objective[row.objective_id].append(view)
    initiatives_by_objective: dict[str, list[InitiativeView]] = defaultdict(list)
    for row in initiatives:
        initiative = InitiativeView(
            row.initiative_id,
            row.title,
            row.owner,
            row.start_date,
            row.due_date,
            row.status,
            row.progress,
            tuple(row.objective_ids),
        )
        for objective_id in initiative.objective_ids:
            initiatives_by_objective[objective_id].append(initiative)

    thresholds = defaults.thresholds
    objectives_by_perspective: dict[str, list[ObjectiveView]] = defaultdict(list)
    for row in objectives:
        its_kpis = tuple(kpis_by_objective[row.objective_id])
        score = roll_up((k.score, k.weight) for k in its_kpis)
        objectives_by_perspective[row.perspective_id].append(
            ObjectiveView(
                row.objective_id,
                row.perspective_id,
                row.title,
                row.description,
                row.owner,
                row.weight,
                row.parent_scorecard_id,
                row.parent_objective_id,
                score,
                status_for(score, thresholds),
                its_kpis,
                tuple(initiatives_by_objective[row.objective_id]),
            )
        )
    perspective_views = []
    for row in perspectives:
        its_objectives = tuple(objectives_by_perspective[row.perspective_id])
        score = roll_up((o.score, o.weight) for o in its_objectives)
        perspective_views.append(
            PerspectiveView(
                row.perspective_id,
                row.name,
                row.weight,
                row.position,
                score,
                status_for(score, thresholds),
                its_objectives,
            )
        )
    total = roll_up((p.score, p.weight) for p in perspective_views)
    closed = any(Period.parse(row.period).contains(period) for row in closes)
    return ScorecardView(
        scorecard_id=head.scorecard_id,
        team_id=head.team_id,
        name=head.name,
        description=head.description,
        period=period,
        as_of=None if as_of is None else str(as_of),
        closed=closed,
        score=total,
        status=status_for(total, thresholds) if total is not None else Status.NO_DATA,
        perspectives=tuple(perspective_views),
        links=tuple(LinkView(r.source_objective_id, r.target_objective_id) for r in links),
    )


def kpi_spec(row: Any) -> KpiSpec:
    """The scoring view of a KPI definition row."""
    thresholds = Thresholds(green=row.green, amber=row.amber) if row.green is not None else None
    return KpiSpec(
        direction=Direction(row.direction),
        frequency=Frequency(row.frequency),
        aggregation=Aggregation(row.aggregation),
        range_low=row.range_low,
        range_high=row.range_high,
        thresholds=thresholds,
    )


def _kpi_view(
    row: Any,
    values: dict[Period, float | None],
    targets: list[TargetSpec],
    period: Period,
    window: tuple[Period, ...],
    defaults: ScoringDefaults,
) -> KpiView:
    spec = kpi_spec(row)
    trend = tuple(evaluate_kpi(spec, values, targets, p, defaults) for p in window)
    return KpiView(
        kpi_id=row.kpi_id,
        objective_id=row.objective_id,
        name=row.name,
        description=row.description,
        unit=row.unit,
        direction=row.direction,
        frequency=row.frequency,
        aggregation=row.aggregation,
        kind=row.kind,
        owner=row.owner,
        weight=row.weight,
        range_low=row.range_low,
        range_high=row.range_high,
        green=row.green,
        amber=row.amber,
        evaluation=trend[-1],
        trend=trend,
    )
