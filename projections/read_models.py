"""The row-level read models: one small handler per event type.

The same handlers serve the inline lifecycle (in the append's transaction), catch-up and
rebuild. Each handler turns one event into versioned-row changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

import domain.organization as org
import domain.scorecard.events as sc
from domain.events import Event
from domain.periods import Period
from eventstore import RecordedEvent
from projections import tables as t
from projections.codec import codec
from projections.versioned import Change, Writer

Handler = Callable[[Writer, Change, Any], Awaitable[None]]
_HANDLERS: dict[type[Event], Handler] = {}


def handles(*event_classes: type[Event]) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for cls in event_classes:
            _HANDLERS[cls] = fn
        return fn

    return register


def _period(period: Period) -> dict[str, Any]:
    return {
        "period": str(period),
        "period_start": period.first_month_ordinal,
        "period_end": period.last_month_ordinal,
    }


class ReadModelProjection:
    """Projects organization and scorecard events into the ``rm_*`` versioned tables."""

    name = "read_models"
    tables = t.READ_MODEL_TABLES

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        """Apply ``events`` in order to the rows of ``generation``."""
        writer = Writer(conn)
        for recorded in events:
            event = codec.decode(recorded)
            handler = _HANDLERS.get(type(event))
            if handler is None:
                continue
            reason = getattr(event, "reason", None)
            await handler(writer, Change.of(recorded, generation, reason), event)
        await writer.flush()


# organization and teams -----------------------------------------------------------------


@handles(org.OrganizationCreated)
async def _organization_created(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.organizations,
        c,
        {
            "organization_id": e.organization_id,
            "name": e.name,
            "fiscal_year_start_month": e.fiscal_year_start_month,
            "cap": e.scoring.cap,
            "green": e.scoring.thresholds.green,
            "amber": e.scoring.thresholds.amber,
        },
    )


@handles(org.OrganizationRenamed)
async def _organization_renamed(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.organizations, c, {"organization_id": e.organization_id}, {"name": e.name})


@handles(org.ScoringDefaultsChanged)
async def _scoring_changed(w: Writer, c: Change, e: Any) -> None:
    await w.replace(
        t.organizations,
        c,
        {"organization_id": e.organization_id},
        {
            "cap": e.scoring.cap,
            "green": e.scoring.thresholds.green,
            "amber": e.scoring.thresholds.amber,
        },
    )


@handles(org.TeamCreated)
async def _team_created(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.teams,
        c,
        {
            "team_id": e.team_id,
            "name": e.name,
            "parent_team_id": e.parent_team_id,
            "archived": False,
        },
    )


@handles(org.TeamRenamed)
async def _team_renamed(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.teams, c, {"team_id": e.team_id}, {"name": e.name})


@handles(org.TeamMoved)
async def _team_moved(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.teams, c, {"team_id": e.team_id}, {"parent_team_id": e.parent_team_id})


@handles(org.TeamArchived)
async def _team_archived(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.teams, c, {"team_id": e.team_id}, {"archived": True})


# scorecard structure --------------------------------------------------------------------


@handles(sc.ScorecardCreated)
async def _scorecard_created(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.scorecards,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "team_id": e.team_id,
            "name": e.name,
            "description": e.description,
        },
    )


@handles(sc.ScorecardRenamed)
async def _scorecard_renamed(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.scorecards, c, {"scorecard_id": e.scorecard_id}, {"name": e.name})


@handles(sc.ScorecardDescriptionChanged)
async def _scorecard_described(w: Writer, c: Change, e: Any) -> None:
    await w.replace(
        t.scorecards, c, {"scorecard_id": e.scorecard_id}, {"description": e.description}
    )


@handles(sc.PerspectiveAdded)
async def _perspective_added(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.perspectives,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "perspective_id": e.perspective_id,
            "name": e.name,
            "weight": e.weight,
            "position": e.position,
        },
    )


@handles(sc.PerspectiveRenamed)
async def _perspective_renamed(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.perspectives, c, {"perspective_id": e.perspective_id}, {"name": e.name})


@handles(sc.PerspectiveReweighted)
async def _perspective_reweighted(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.perspectives, c, {"perspective_id": e.perspective_id}, {"weight": e.weight})


@handles(sc.PerspectivesReordered)
async def _perspectives_reordered(w: Writer, c: Change, e: Any) -> None:
    for position, perspective_id in enumerate(e.perspective_ids):
        await w.replace(
            t.perspectives, c, {"perspective_id": perspective_id}, {"position": position}
        )


@handles(sc.PerspectiveRemoved)
async def _perspective_removed(w: Writer, c: Change, e: Any) -> None:
    await w.close(t.perspectives, c, {"perspective_id": e.perspective_id})


# objectives -------------------------------------------------------------------------------


@handles(sc.ObjectiveAdded)
async def _objective_added(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.objectives,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "objective_id": e.objective_id,
            "perspective_id": e.perspective_id,
            "title": e.title,
            "description": e.description,
            "owner": e.owner,
            "weight": e.weight,
            "retired": False,
            "parent_scorecard_id": None,
            "parent_objective_id": None,
        },
    )


async def _objective(w: Writer, c: Change, objective_id: str, **changes: Any) -> None:
    await w.replace(t.objectives, c, {"objective_id": objective_id}, changes)


@handles(sc.ObjectiveEdited)
async def _objective_edited(w: Writer, c: Change, e: Any) -> None:
    await _objective(w, c, e.objective_id, title=e.title, description=e.description, owner=e.owner)


@handles(sc.ObjectiveMoved)
async def _objective_moved(w: Writer, c: Change, e: Any) -> None:
    await _objective(w, c, e.objective_id, perspective_id=e.to_perspective_id)


@handles(sc.ObjectiveReweighted)
async def _objective_reweighted(w: Writer, c: Change, e: Any) -> None:
    await _objective(w, c, e.objective_id, weight=e.weight)


@handles(sc.ObjectiveRetired)
async def _objective_retired(w: Writer, c: Change, e: Any) -> None:
    await _objective(w, c, e.objective_id, retired=True)


@handles(sc.ObjectiveAligned)
async def _objective_aligned(w: Writer, c: Change, e: Any) -> None:
    await _objective(
        w,
        c,
        e.objective_id,
        parent_scorecard_id=e.parent_scorecard_id,
        parent_objective_id=e.parent_objective_id,
    )


@handles(sc.ObjectiveUnaligned)
async def _objective_unaligned(w: Writer, c: Change, e: Any) -> None:
    await _objective(w, c, e.objective_id, parent_scorecard_id=None, parent_objective_id=None)


@handles(sc.ObjectivesLinked)
async def _objectives_linked(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.objective_links,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "source_objective_id": e.source_objective_id,
            "target_objective_id": e.target_objective_id,
        },
    )


@handles(sc.ObjectivesUnlinked)
async def _objectives_unlinked(w: Writer, c: Change, e: Any) -> None:
    await w.close(
        t.objective_links,
        c,
        {
            "source_objective_id": e.source_objective_id,
            "target_objective_id": e.target_objective_id,
        },
    )


# KPIs -------------------------------------------------------------------------------------


def _kpi_fields(e: Any) -> dict[str, Any]:
    return {
        "objective_id": e.objective_id,
        "name": e.name,
        "description": e.description,
        "unit": e.unit,
        "direction": str(e.direction),
        "range_low": e.range_low,
        "range_high": e.range_high,
        "aggregation": str(e.aggregation),
        "kind": str(e.kind),
        "owner": e.owner,
        "weight": e.weight,
        "green": e.thresholds.green if e.thresholds else None,
        "amber": e.thresholds.amber if e.thresholds else None,
    }


@handles(sc.KpiDefined)
async def _kpi_defined(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.kpis,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "kpi_id": e.kpi_id,
            "frequency": str(e.frequency),
            "retired": False,
            **_kpi_fields(e),
        },
    )


@handles(sc.KpiEdited)
async def _kpi_edited(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.kpis, c, {"kpi_id": e.kpi_id}, _kpi_fields(e))


@handles(sc.KpiMoved)
async def _kpi_moved(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.kpis, c, {"kpi_id": e.kpi_id}, {"objective_id": e.to_objective_id})


@handles(sc.KpiRetired)
async def _kpi_retired(w: Writer, c: Change, e: Any) -> None:
    await w.replace(t.kpis, c, {"kpi_id": e.kpi_id}, {"retired": True})


# targets ----------------------------------------------------------------------------------


def _target_values(e: Any) -> dict[str, Any]:
    return {
        "scorecard_id": e.scorecard_id,
        "kpi_id": e.kpi_id,
        **_period(e.period),
        "effective_from": e.effective_from,
        "value": e.value,
        "baseline": e.baseline,
        "stretch": e.stretch,
    }


@handles(sc.TargetSet)
async def _target_set(w: Writer, c: Change, e: Any) -> None:
    await w.insert(t.targets, c, _target_values(e))


@handles(sc.TargetChanged)
async def _target_changed(w: Writer, c: Change, e: Any) -> None:
    await w.close(t.targets, c, {"kpi_id": e.kpi_id, "period": str(e.period)})
    await w.insert(t.targets, c, _target_values(e))


@handles(sc.TargetCleared)
async def _target_cleared(w: Writer, c: Change, e: Any) -> None:
    await w.close(t.targets, c, {"kpi_id": e.kpi_id, "period": str(e.period)})


# measurements -----------------------------------------------------------------------------


def _measurement_values(e: Any, supersedes: str | None) -> dict[str, Any]:
    return {
        "scorecard_id": e.scorecard_id,
        "kpi_id": e.kpi_id,
        "measurement_id": e.measurement_id,
        **_period(e.period),
        "value": e.value,
        "not_available": e.not_available,
        "source_system": e.source_system,
        "external_reference": e.external_reference,
        "note": e.note,
        "supersedes": supersedes,
        "end_kind": None,
    }


@handles(sc.MeasurementRecorded)
async def _measurement_recorded(w: Writer, c: Change, e: Any) -> None:
    await w.insert(t.measurements, c, _measurement_values(e, None))


@handles(sc.MeasurementCorrected)
async def _measurement_corrected(w: Writer, c: Change, e: Any) -> None:
    await w.close(
        t.measurements,
        c,
        {"kpi_id": e.kpi_id, "measurement_id": e.supersedes},
        end_kind="superseded",
    )
    await w.insert(t.measurements, c, _measurement_values(e, e.supersedes))


@handles(sc.MeasurementRetracted)
async def _measurement_retracted(w: Writer, c: Change, e: Any) -> None:
    await w.close(
        t.measurements,
        c,
        {"kpi_id": e.kpi_id, "measurement_id": e.measurement_id},
        end_kind="retracted",
    )


# period closes ----------------------------------------------------------------------------


@handles(sc.PeriodClosed)
async def _period_closed(w: Writer, c: Change, e: Any) -> None:
    await w.insert(t.period_closes, c, {"scorecard_id": e.scorecard_id, **_period(e.period)})


@handles(sc.PeriodReopened)
async def _period_reopened(w: Writer, c: Change, e: Any) -> None:
    await w.close(t.period_closes, c, {"scorecard_id": e.scorecard_id, "period": str(e.period)})


# initiatives ------------------------------------------------------------------------------


@handles(sc.InitiativeCreated)
async def _initiative_created(w: Writer, c: Change, e: Any) -> None:
    await w.insert(
        t.initiatives,
        c,
        {
            "scorecard_id": e.scorecard_id,
            "initiative_id": e.initiative_id,
            "title": e.title,
            "objective_ids": list(e.objective_ids),
            "owner": e.owner,
            "start_date": e.start_date,
            "due_date": e.due_date,
            "status": str(e.status),
            "progress": e.progress,
        },
    )


async def _initiative(w: Writer, c: Change, initiative_id: str, **changes: Any) -> None:
    await w.replace(t.initiatives, c, {"initiative_id": initiative_id}, changes)


@handles(sc.InitiativeEdited)
async def _initiative_edited(w: Writer, c: Change, e: Any) -> None:
    await _initiative(
        w,
        c,
        e.initiative_id,
        title=e.title,
        owner=e.owner,
        start_date=e.start_date,
        due_date=e.due_date,
        status=str(e.status),
        progress=e.progress,
    )


@handles(sc.InitiativeRelinked)
async def _initiative_relinked(w: Writer, c: Change, e: Any) -> None:
    await _initiative(w, c, e.initiative_id, objective_ids=list(e.objective_ids))


@handles(sc.InitiativeCompleted)
async def _initiative_completed(w: Writer, c: Change, e: Any) -> None:
    await _initiative(w, c, e.initiative_id, status="done", progress=100)


@handles(sc.InitiativeCancelled)
async def _initiative_cancelled(w: Writer, c: Change, e: Any) -> None:
    await _initiative(w, c, e.initiative_id, status="cancelled")
