"""The whole scorecard for a period, current or as known at any moment.

A fixed number of statements whatever the number of KPIs: the scorecard, the organization's
scoring defaults, perspectives, objectives, links, KPIs, targets, the measurements of the
trend window, initiatives and the period close (as of a feed position, one more first: where
the scorecard's and the organization's streams stood at it). The scores come from the domain's
evaluation and roll-up functions; nothing is scored twice.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.evaluation import KpiSpec, TargetSpec, trend, trend_periods
from domain.kpi_kinds import Aggregation, Direction
from domain.periods import Frequency, Period
from domain.scoring import ScoringDefaults, Status, Thresholds, roll_up, status_for
from projections import tables as t
from projections.asof import AsOf, bind_moments, kind_of, scoped_at, visible_at
from projections.fetch import fetch_together
from projections.views import (
    InitiativeView,
    KpiView,
    LinkView,
    ObjectiveView,
    PerspectiveView,
    ScorecardView,
)
from streams.names import ORGANIZATION_STREAM, scorecard_stream

DEFAULT_TREND = 6


class _Statements(NamedTuple):
    head: sa.Select[Any]
    perspectives: sa.Select[Any]
    objectives: sa.Select[Any]
    links: sa.Select[Any]
    kpis: sa.Select[Any]
    targets: sa.Select[Any]
    measurements: sa.Select[Any]
    initiatives: sa.Select[Any]


def _rows(table: sa.Table, kind: str, *columns: str) -> sa.Select[Any]:
    return sa.select(*(table.c[name] for name in columns)).where(
        *scoped_at(table),
        visible_at(table, kind),
        table.c.scorecard_id == sa.bindparam("scorecard_id"),
    )


def _closed(kind: str) -> sa.Label[Any]:
    """Whether the period asked about (or one containing it) was closed at the moment."""
    closes = t.period_closes
    return (
        sa.exists()
        .where(
            *scoped_at(closes),
            visible_at(closes, kind),
            closes.c.scorecard_id == sa.bindparam("scorecard_id"),
            closes.c.period_start <= sa.bindparam("period_start"),
            closes.c.period_end >= sa.bindparam("window_end"),
        )
        .label("closed")
    )


# The organization's rows are written by another stream than the scorecard's: a position
# moment binds each stream's own position (projections.asof.bind_moments).
_ORGANIZATION_MOMENT = "organization_as_of"


@functools.cache
def _statements(kind: str) -> _Statements:
    """The query's statements for one kind of moment, built once: every call only binds its
    tenant, scorecard, moment and window (and SQLAlchemy reuses their compiled form)."""
    org = t.organizations
    defaults = [
        sa.select(org.c[name])
        .where(*scoped_at(org), visible_at(org, kind, _ORGANIZATION_MOMENT))
        .limit(1)
        .scalar_subquery()
        .label(name)
        for name in ("cap", "green", "amber")
    ]
    m = t.measurements
    return _Statements(
        head=_rows(
            t.scorecards, kind, "scorecard_id", "team_id", "name", "description"
        ).add_columns(*defaults, _closed(kind)),
        perspectives=_rows(
            t.perspectives, kind, "perspective_id", "name", "weight", "position"
        ).order_by(t.perspectives.c.position),
        objectives=_rows(
            t.objectives, kind, "objective_id", "perspective_id", "title", "description",
            "owner", "weight", "parent_scorecard_id", "parent_objective_id", "sys_from_pos",
        )
        .where(t.objectives.c.retired.is_(False))
        .order_by(t.objectives.c.sys_from_pos, t.objectives.c.objective_id),
        links=_rows(t.objective_links, kind, "source_objective_id", "target_objective_id"),
        kpis=_rows(
            t.kpis, kind, "kpi_id", "objective_id", "name", "description", "unit",
            "direction", "frequency", "aggregation", "kind", "owner", "weight", "range_low",
            "range_high", "green", "amber",
        )
        .where(t.kpis.c.retired.is_(False))
        .order_by(t.kpis.c.name, t.kpis.c.kpi_id),
        targets=_rows(
            t.targets, kind, "kpi_id", "period", "effective_from", "value", "baseline", "stretch"
        ),
        measurements=_rows(m, kind, "kpi_id", "period", "value", "not_available").where(
            # Bounding period_start on both sides keeps the index range to the window.
            m.c.period_start.between(sa.bindparam("window_start"), sa.bindparam("window_end")),
            m.c.period_end <= sa.bindparam("window_end"),
        ),
        initiatives=_rows(
            t.initiatives, kind, "initiative_id", "title", "owner", "start_date", "due_date",
            "status", "progress", "objective_ids",
        ),
    )  # fmt: skip


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
    statements = _statements(kind_of(as_of))
    window = trend_periods(period, trend_count)
    params = {
        "tenant_id": tenant_id,
        "scorecard_id": scorecard_id,
        "window_start": window[0].first_month_ordinal,
        "window_end": period.last_month_ordinal,
        "period_start": period.first_month_ordinal,
        **await bind_moments(
            conn,
            tenant_id,
            as_of,
            {"as_of": scorecard_stream(scorecard_id), _ORGANIZATION_MOMENT: ORGANIZATION_STREAM},
        ),
    }
    (
        found,
        perspectives,
        objectives,
        links,
        kpis,
        targets,
        measured,
        initiatives,
    ) = await fetch_together(conn, statements, params)
    if not found:
        return None
    head = found[0]
    # Rows of one statement may come in any order: sort where the view keeps an order.
    perspectives = sorted(perspectives, key=lambda r: r.position)
    objectives = sorted(objectives, key=lambda r: (r.sys_from_pos, r.objective_id))
    kpis = sorted(kpis, key=lambda r: (r.name, r.kpi_id))
    defaults = ScoringDefaults()
    if head.cap is not None:
        defaults = ScoringDefaults(
            cap=head.cap, thresholds=Thresholds(green=head.green, amber=head.amber)
        )

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
            _date(row.start_date),
            _date(row.due_date),
            row.status,
            row.progress,
            tuple(_json(row.objective_ids)),
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
    closed = bool(head.closed)
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
        scoring=defaults,
    )


def _date(value: Any) -> date:
    """A date column's value: JSON carries dates as ISO text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _json(value: Any) -> Any:
    """A JSON column's value: drivers hand back text where SQLAlchemy would parse it."""
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


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
    evaluations = tuple(trend(spec, values, targets, period, len(window), defaults))
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
        evaluation=evaluations[-1],
        trend=evaluations,
    )
