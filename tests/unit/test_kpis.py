import pytest

from domain.kpi_kinds import Aggregation, Direction
from domain.periods import Frequency
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from domain.scoring import Thresholds
from tests.unit.given import given
from tests.unit.scorecard_history import BASE, SC, kpi

RANGE = Direction.WITHIN_RANGE


def test_defining_a_kpi_records_every_definition_field() -> None:
    given(scorecard_decider, BASE).when(
        c.DefineKpi(
            scorecard_id=SC,
            kpi_id="k9",
            objective_id="o2",
            name="K9",
            unit="%",
            frequency=Frequency.QUARTER,
            aggregation=Aggregation.AVERAGE,
            owner="bob",
        )
    ).then(kpi("k9", "o2", Frequency.QUARTER))


def test_a_within_range_kpi_carries_its_bounds() -> None:
    given(scorecard_decider, BASE).when(
        c.DefineKpi(
            scorecard_id=SC,
            kpi_id="k9",
            objective_id="o1",
            name="K9",
            unit="%",
            direction=RANGE,
            range_low=90,
            range_high=100,
            aggregation=Aggregation.AVERAGE,
            owner="bob",
        )
    ).then(kpi("k9", direction=RANGE, low=90, high=100))


def _define(**fields: object) -> c.DefineKpi:
    return c.DefineKpi.model_validate(
        {"scorecard_id": SC, "kpi_id": "k9", "objective_id": "o1", "name": "K9", **fields}
    )


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (_define(kpi_id="k1"), "kpi.already_exists"),
        (_define(objective_id="nope"), "objective.not_found"),
        (_define(name=" "), "kpi.name_blank"),
        (_define(direction=RANGE), "kpi.range_required"),
        (_define(direction=RANGE, range_low=1), "kpi.range_required"),
        (_define(direction=RANGE, range_low=2, range_high=1), "kpi.range_invalid"),
        (_define(direction=RANGE, range_low=1, range_high=1), "kpi.range_invalid"),
        (_define(direction=RANGE, range_low=float("-inf"), range_high=1), "kpi.range_invalid"),
        (_define(range_low=1, range_high=2), "kpi.range_not_allowed"),
        (_define(weight=-1), "weight.invalid"),
        (_define(thresholds=Thresholds(green=0.5, amber=0.9)), "thresholds.invalid"),
        (c.EditKpi(scorecard_id=SC, kpi_id="nope", name="X"), "kpi.not_found"),
        (c.EditKpi(scorecard_id=SC, kpi_id="kr", name="X"), "kpi.retired"),
        (c.EditKpi(scorecard_id=SC, kpi_id="k1", name=""), "kpi.name_blank"),
        (c.EditKpi(scorecard_id=SC, kpi_id="k1", direction=RANGE), "kpi.range_required"),
        (
            c.EditKpi(scorecard_id=SC, kpi_id="k1", range_low=1.0, range_high=5.0),
            "kpi.range_not_allowed",
        ),
        (c.EditKpi(scorecard_id=SC, kpi_id="k1", weight=float("nan")), "weight.invalid"),
        (c.MoveKpi(scorecard_id=SC, kpi_id="k1", objective_id="nope"), "objective.not_found"),
        (c.MoveKpi(scorecard_id=SC, kpi_id="kr", objective_id="o2"), "kpi.retired"),
        (c.RetireKpi(scorecard_id=SC, kpi_id="kr"), "kpi.retired"),
        (c.RetireKpi(scorecard_id=SC, kpi_id="nope"), "kpi.not_found"),
    ],
)
def test_invalid_kpi_changes_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    given(scorecard_decider, BASE).when(command).then_rejects(code)


def _edited(**changes: object) -> e.KpiEdited:
    fields = kpi("k1").model_dump(exclude={"frequency"}) | changes
    return e.KpiEdited.model_validate(fields)


def test_editing_a_kpi_changes_only_the_given_fields() -> None:
    given(scorecard_decider, BASE).when(
        c.EditKpi(scorecard_id=SC, kpi_id="k1", unit="ms", owner="cy")
    ).then(_edited(unit="ms", owner="cy"))


def test_editing_a_kpi_into_a_range_kpi_needs_the_bounds() -> None:
    given(scorecard_decider, BASE).when(
        c.EditKpi(scorecard_id=SC, kpi_id="k1", direction=RANGE, range_low=1, range_high=3)
    ).then(_edited(direction=RANGE, range_low=1, range_high=3))


def test_leaving_within_range_drops_the_bounds() -> None:
    history = [*BASE, kpi("k9", direction=RANGE, low=1, high=2)]
    given(scorecard_decider, history).when(
        c.EditKpi(scorecard_id=SC, kpi_id="k9", direction=Direction.LOWER_IS_BETTER)
    ).then(
        e.KpiEdited.model_validate(
            kpi("k9").model_dump(exclude={"frequency"}) | {"direction": Direction.LOWER_IS_BETTER}
        )
    )


def test_an_explicit_none_clears_the_threshold_override() -> None:
    strict = Thresholds(green=1.1, amber=1.0)
    history = [*BASE, _edited(thresholds=strict)]
    assert scorecard_decider.fold(history).kpis["k1"].thresholds == strict
    given(scorecard_decider, history).when(
        c.EditKpi(scorecard_id=SC, kpi_id="k1", thresholds=None)
    ).then(_edited())


def test_an_edit_that_changes_nothing_produces_nothing() -> None:
    given(scorecard_decider, BASE).when(c.EditKpi(scorecard_id=SC, kpi_id="k1", unit="%")).then()


def test_moving_a_kpi_to_another_objective() -> None:
    given(scorecard_decider, BASE).when(
        c.MoveKpi(scorecard_id=SC, kpi_id="k1", objective_id="o2")
    ).then(e.KpiMoved(scorecard_id=SC, kpi_id="k1", from_objective_id="o1", to_objective_id="o2"))
    given(scorecard_decider, BASE).when(
        c.MoveKpi(scorecard_id=SC, kpi_id="k1", objective_id="o1")
    ).then()


def test_retiring_a_kpi() -> None:
    given(scorecard_decider, BASE).when(c.RetireKpi(scorecard_id=SC, kpi_id="k1")).then(
        e.KpiRetired(scorecard_id=SC, kpi_id="k1", objective_id="o1")
    )
