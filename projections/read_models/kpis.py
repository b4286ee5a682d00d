"""KPI definitions, targets and measurements read models."""

from __future__ import annotations

from typing import Any

import domain.scorecard.events as sc
from projections import tables as t
from projections.read_models.registry import handles, period_columns
from projections.versioned import Change, Writer

# KPIs -------------------------------------------------------------------------------------


def _kpi_fields(e: sc.KpiDefined | sc.KpiEdited) -> dict[str, Any]:
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
async def _kpi_defined(w: Writer, c: Change, e: sc.KpiDefined) -> None:
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
async def _kpi_edited(w: Writer, c: Change, e: sc.KpiEdited) -> None:
    await w.replace(t.kpis, c, {"kpi_id": e.kpi_id}, _kpi_fields(e))


@handles(sc.KpiMoved)
async def _kpi_moved(w: Writer, c: Change, e: sc.KpiMoved) -> None:
    await w.replace(t.kpis, c, {"kpi_id": e.kpi_id}, {"objective_id": e.to_objective_id})


@handles(sc.KpiRetired)
async def _kpi_retired(w: Writer, c: Change, e: sc.KpiRetired) -> None:
    await w.replace(t.kpis, c, {"kpi_id": e.kpi_id}, {"retired": True})


# targets ----------------------------------------------------------------------------------


def _target_values(e: sc.TargetSet | sc.TargetChanged) -> dict[str, Any]:
    return {
        "scorecard_id": e.scorecard_id,
        "kpi_id": e.kpi_id,
        **period_columns(e.period),
        "effective_from": e.effective_from,
        "value": e.value,
        "baseline": e.baseline,
        "stretch": e.stretch,
    }


@handles(sc.TargetSet)
async def _target_set(w: Writer, c: Change, e: sc.TargetSet) -> None:
    await w.insert(t.targets, c, _target_values(e))


@handles(sc.TargetChanged)
async def _target_changed(w: Writer, c: Change, e: sc.TargetChanged) -> None:
    await w.close(t.targets, c, {"kpi_id": e.kpi_id, "period": str(e.period)})
    await w.insert(t.targets, c, _target_values(e))


@handles(sc.TargetCleared)
async def _target_cleared(w: Writer, c: Change, e: sc.TargetCleared) -> None:
    await w.close(t.targets, c, {"kpi_id": e.kpi_id, "period": str(e.period)})


# measurements -----------------------------------------------------------------------------


def _measurement_values(
    e: sc.MeasurementRecorded | sc.MeasurementCorrected, supersedes: str | None
) -> dict[str, Any]:
    return {
        "scorecard_id": e.scorecard_id,
        "kpi_id": e.kpi_id,
        "measurement_id": e.measurement_id,
        **period_columns(e.period),
        "value": e.value,
        "not_available": e.not_available,
        "source_system": e.source_system,
        "external_reference": e.external_reference,
        "note": e.note,
        "supersedes": supersedes,
        "end_kind": None,
    }


@handles(sc.MeasurementRecorded)
async def _measurement_recorded(w: Writer, c: Change, e: sc.MeasurementRecorded) -> None:
    await w.insert(t.measurements, c, _measurement_values(e, None))


@handles(sc.MeasurementCorrected)
async def _measurement_corrected(w: Writer, c: Change, e: sc.MeasurementCorrected) -> None:
    await w.close(
        t.measurements,
        c,
        {"kpi_id": e.kpi_id, "measurement_id": e.supersedes},
        end_kind="superseded",
    )
    await w.insert(t.measurements, c, _measurement_values(e, e.supersedes))


@handles(sc.MeasurementRetracted)
async def _measurement_retracted(w: Writer, c: Change, e: sc.MeasurementRetracted) -> None:
    await w.close(
        t.measurements,
        c,
        {"kpi_id": e.kpi_id, "measurement_id": e.measurement_id},
        end_kind="retracted",
    )
