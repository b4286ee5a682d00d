import pytest

from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from tests.unit.given import given
from tests.unit.scorecard_history import BASE, SC, P, recorded

HISTORY = [
    *BASE,
    recorded("m1", "k1", "2026-01", 91.0),
    e.PeriodClosed(scorecard_id=SC, period=P("2025-Q4")),
]


def _record(mid: str = "m9", period: str = "2026-02", **more: object) -> c.RecordMeasurement:
    fields = {
        "scorecard_id": SC,
        "measurement_id": mid,
        "kpi_id": "k1",
        "period": period,
        "value": 93.0,
        "source_system": "itsm",
        "external_reference": f"ref-{mid}",
    }
    return c.RecordMeasurement.model_validate(fields | more)


def _corrected(**more: object) -> e.MeasurementCorrected:
    fields = recorded("m9", "k1", "2026-01", 95.0).model_dump()
    return e.MeasurementCorrected.model_validate(fields | {"supersedes": "m1"} | more)


def test_recording_a_first_value() -> None:
    given(scorecard_decider, HISTORY).when(_record()).then(recorded("m9", "k1", "2026-02", 93.0))


def test_a_reason_given_with_a_first_value_is_kept() -> None:
    first = recorded("m9", "k1", "2026-02", 93.0).model_copy(update={"reason": "late feed"})
    given(scorecard_decider, HISTORY).when(_record(reason=" late feed ")).then(first)


def test_a_blank_reason_on_a_first_value_is_no_reason() -> None:
    given(scorecard_decider, HISTORY).when(_record(reason="  ")).then(
        recorded("m9", "k1", "2026-02", 93.0)
    )


def test_a_first_value_stored_before_reasons_were_kept_reads_without_one() -> None:
    stored = recorded("m9", "k1", "2026-02", 93.0).model_dump(mode="json")
    del stored["reason"]
    assert e.MeasurementRecorded.model_validate(stored).reason is None


def test_recording_a_not_available_measurement() -> None:
    given(scorecard_decider, HISTORY).when(_record(value=None, not_available=True)).then(
        recorded("m9", "k1", "2026-02", None)
    )


def test_a_second_value_for_the_same_period_supersedes_the_first() -> None:
    produced = (
        given(scorecard_decider, HISTORY)
        .when(_record(period="2026-01", value=95.0, reason="typo"))
        .then(_corrected(reason="typo"))
    )
    state = scorecard_decider.fold([*HISTORY, *produced])
    assert state.measurements[("k1", P("2026-01"))].measurement_id == "m9"
    assert set(state.measurement_ids) == {"m1", "m9"}


def test_a_correction_without_a_reason_is_rejected() -> None:
    given(scorecard_decider, HISTORY).when(_record(period="2026-01", value=95.0)).then_rejects(
        "measurement.reason_required", "reason"
    )


def test_recording_the_same_value_again_is_a_duplicate() -> None:
    given(scorecard_decider, HISTORY).when(
        _record(period="2026-01", value=91.0, external_reference="ref-m1", reason="again")
    ).then_rejects("measurement.duplicate")


def test_after_a_retraction_a_new_value_is_recorded_not_corrected() -> None:
    retracted = e.MeasurementRetracted(
        scorecard_id=SC, measurement_id="m1", kpi_id="k1", period=P("2026-01"), reason="wrong"
    )
    given(scorecard_decider, HISTORY, retracted).when(_record(period="2026-01")).then(
        recorded("m9", "k1", "2026-01", 93.0)
    )


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (_record(mid="m1"), "measurement.already_exists"),
        (_record(kpi_id="nope"), "kpi.not_found"),
        (_record(kpi_id="kr"), "kpi.retired"),
        (_record(period="2026-Q1"), "measurement.wrong_granularity"),
        (_record(kpi_id="kq", period="2026-03"), "measurement.wrong_granularity"),
        (_record(value=None), "measurement.value_required"),
        (_record(not_available=True), "measurement.value_with_not_available"),
        (_record(value=float("nan")), "measurement.non_finite"),
        (_record(value=float("-inf")), "measurement.non_finite"),
        (_record(period="2025-11"), "period.closed"),
    ],
)
def test_invalid_measurements_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    given(scorecard_decider, HISTORY).when(command).then_rejects(code)


def _retract(**more: object) -> c.RetractMeasurement:
    return c.RetractMeasurement.model_validate(
        {"scorecard_id": SC, "kpi_id": "k1", "reason": "bad feed"} | more
    )


def test_retracting_the_current_measurement_by_period_or_by_id() -> None:
    retracted = e.MeasurementRetracted(
        scorecard_id=SC, measurement_id="m1", kpi_id="k1", period=P("2026-01"), reason="bad feed"
    )
    given(scorecard_decider, HISTORY).when(_retract(period="2026-01")).then(retracted)
    given(scorecard_decider, HISTORY).when(_retract(measurement_id="m1")).then(retracted)
    state = scorecard_decider.fold([*HISTORY, retracted])
    assert ("k1", P("2026-01")) not in state.measurements


CORRECTED = _corrected(reason="typo")
RETRACTED_OLD = [
    recorded("m0", "k1", "2025-10", 1.0),
    e.MeasurementRetracted(
        scorecard_id=SC, measurement_id="m0", kpi_id="k1", period=P("2025-10"), reason="x"
    ),
]


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (_retract(period="2026-05"), "measurement.not_found"),
        (_retract(measurement_id="nope"), "measurement.not_found"),
        (_retract(measurement_id="m1"), "measurement.superseded"),
        (_retract(measurement_id="m0"), "measurement.already_retracted"),
        (_retract(measurement_id="m9", period="2026-02"), "measurement.mismatch"),
        (_retract(measurement_id="m9", kpi_id="kq"), "measurement.mismatch"),
        (_retract(), "measurement.period_or_id_required"),
        (_retract(period="2026-01", reason=" "), "measurement.reason_required"),
        (_retract(kpi_id="kr", period="2026-01"), "kpi.retired"),
    ],
)
def test_invalid_retractions_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    history = [*RETRACTED_OLD[:1], *HISTORY, RETRACTED_OLD[1], CORRECTED]
    given(scorecard_decider, history).when(command).then_rejects(code)


def test_a_measurement_in_a_closed_period_cannot_be_retracted() -> None:
    history = [
        *BASE,
        recorded("m0", "k1", "2025-10", 1.0),
        e.PeriodClosed(scorecard_id=SC, period=P("2025")),
    ]
    given(scorecard_decider, history).when(_retract(period="2025-10")).then_rejects("period.closed")
