"""Measurements: record, correct and retract a KPI's value for a period.

A second value for the same KPI and period is a correction: it needs a reason and emits
MeasurementCorrected superseding the current one, which stays in history. A first value may
carry a reason too; MeasurementRecorded keeps it. Recording the
current value again (same value, same not-available flag, same external reference) is
rejected as ``measurement.duplicate`` so that re-sent rows show up as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.checks import require_finite, require_text
from domain.errors import reject
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.lookups import kpi, open_period
from domain.scorecard.state import Measurement, MeasurementKey, ScorecardState


def _check_value(cmd: c.RecordMeasurement) -> None:
    if cmd.not_available and cmd.value is not None:
        raise reject(
            "measurement.value_with_not_available",
            "a not-available measurement carries no value",
            field="value",
            value=cmd.value,
        )
    if not cmd.not_available and cmd.value is None:
        raise reject(
            "measurement.value_required",
            "give a value or mark the measurement not available",
            field="value",
            value=None,
        )
    require_finite(cmd.value, "measurement.non_finite", "value")


def record_measurement(cmd: c.RecordMeasurement, state: ScorecardState) -> list[e.ScorecardEvent]:
    """MeasurementRecorded, or MeasurementCorrected when the period has a current value."""
    if cmd.measurement_id in state.measurement_ids:
        raise reject(
            "measurement.already_exists",
            "measurement id is taken",
            field="measurement_id",
            value=cmd.measurement_id,
        )
    current_kpi = kpi(state, cmd.kpi_id)
    if cmd.period.granularity is not current_kpi.frequency:
        raise reject(
            "measurement.wrong_granularity",
            f"a {current_kpi.frequency} KPI is measured per {current_kpi.frequency} period",
            field="period",
            value=str(cmd.period),
        )
    _check_value(cmd)
    open_period(state, cmd.period)
    fields = cmd.model_dump(exclude={"reason"}) | {"period": cmd.period}
    previous = state.measurements.get((cmd.kpi_id, cmd.period))
    if previous is None:
        # A reason is optional for a first value; when one is given it is kept.
        given_reason = (cmd.reason or "").strip() or None
        return [e.MeasurementRecorded(**fields, reason=given_reason)]
    same = (previous.value, previous.not_available, previous.external_reference) == (
        cmd.value,
        cmd.not_available,
        cmd.external_reference,
    )
    if same:
        raise reject(
            "measurement.duplicate",
            "this value is already recorded for the period",
            field="measurement_id",
            value=previous.measurement_id,
        )
    reason = require_text(cmd.reason or "", "measurement.reason_required", "reason")
    return [e.MeasurementCorrected(**fields, supersedes=previous.measurement_id, reason=reason)]


def retract_measurement(cmd: c.RetractMeasurement, state: ScorecardState) -> list[e.ScorecardEvent]:
    """MeasurementRetracted for the current measurement (by period or by id)."""
    kpi(state, cmd.kpi_id)
    if cmd.measurement_id is not None:
        key = state.measurement_ids.get(cmd.measurement_id)
        if key is None:
            raise reject(
                "measurement.not_found",
                "no such measurement",
                field="measurement_id",
                value=cmd.measurement_id,
            )
        if key[0] != cmd.kpi_id or (cmd.period is not None and key[1] != cmd.period):
            raise reject(
                "measurement.mismatch",
                "the measurement belongs to another KPI or period",
                field="measurement_id",
                value=cmd.measurement_id,
            )
        if cmd.measurement_id in state.retracted:
            raise reject(
                "measurement.already_retracted",
                "measurement is already retracted",
                field="measurement_id",
                value=cmd.measurement_id,
            )
        current = state.measurements.get(key)
        if current is None or current.measurement_id != cmd.measurement_id:
            raise reject(
                "measurement.superseded",
                "measurement was corrected; retract the current one",
                field="measurement_id",
                value=cmd.measurement_id,
            )
    elif cmd.period is not None:
        found = state.measurements.get((cmd.kpi_id, cmd.period))
        if found is None:
            raise reject(
                "measurement.not_found",
                "no current measurement for this period",
                field="period",
                value=str(cmd.period),
            )
        current = found
    else:
        raise reject(
            "measurement.period_or_id_required",
            "give the period or the measurement id",
            field="period",
            value=None,
        )
    reason = require_text(cmd.reason, "measurement.reason_required", "reason")
    open_period(state, current.period)
    return [
        e.MeasurementRetracted(
            scorecard_id=cmd.scorecard_id,
            measurement_id=current.measurement_id,
            kpi_id=cmd.kpi_id,
            period=current.period,
            reason=reason,
        )
    ]


def _put(
    state: ScorecardState, ev: e.MeasurementRecorded | e.MeasurementCorrected
) -> ScorecardState:
    key: MeasurementKey = (ev.kpi_id, ev.period)
    item = Measurement(
        ev.measurement_id, ev.kpi_id, ev.period, ev.value, ev.not_available, ev.external_reference
    )
    return replace(
        state,
        measurements=state.measurements.set(key, item),
        measurement_ids=state.measurement_ids.add(ev.measurement_id, key),  # never reused
    )


def _retracted(state: ScorecardState, ev: e.MeasurementRetracted) -> ScorecardState:
    key = (ev.kpi_id, ev.period)
    return replace(
        state,
        measurements=state.measurements.delete(key),
        retracted=state.retracted.add(ev.measurement_id, key),  # retracted once
    )


HANDLERS: dict[type[c.ScorecardCommand], Callable[[Any, ScorecardState], list[Any]]] = {
    c.RecordMeasurement: record_measurement,
    c.RetractMeasurement: retract_measurement,
}

APPLIERS: dict[type[e.ScorecardEvent], Callable[[ScorecardState, Any], ScorecardState]] = {
    e.MeasurementRecorded: _put,
    e.MeasurementCorrected: _put,
    e.MeasurementRetracted: _retracted,
}
