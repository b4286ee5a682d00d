import pytest

from domain.evaluation import KpiSpec, TargetSpec, evaluate_kpi
from domain.kpi_kinds import Aggregation, Direction
from domain.periods import Frequency
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from domain.scoring import ScoringDefaults, Status
from tests.unit.given import given
from tests.unit.scorecard_history import BASE, SC, P, target_set

NAN = float("nan")
HISTORY = [
    *BASE,
    target_set("k1", "2026-01", 90),
    e.PeriodClosed(scorecard_id=SC, period=P("2025")),
]


def _set(kpi_id: str = "k1", period: str = "2026-02", **more: object) -> c.SetTarget:
    fields = {"value": 95.0, "reason": "plan"} | more
    return c.SetTarget.model_validate(
        {"scorecard_id": SC, "kpi_id": kpi_id, "period": period, **fields}
    )


def _change(period: str = "2026-01", **more: object) -> c.ChangeTarget:
    fields = {"value": 92.0, "reason": "replan"} | more
    return c.ChangeTarget.model_validate(
        {"scorecard_id": SC, "kpi_id": "k1", "period": period, **fields}
    )


def test_setting_a_target_for_one_period() -> None:
    given(scorecard_decider, HISTORY).when(_set(baseline=80.0, stretch=99.0)).then(
        e.TargetSet(
            scorecard_id=SC,
            kpi_id="k1",
            period=P("2026-02"),
            effective_from=False,
            value=95.0,
            baseline=80.0,
            stretch=99.0,
            reason="plan",
        )
    )


def test_setting_a_target_from_a_period_onward() -> None:
    given(scorecard_decider, HISTORY).when(_set(period="2026-03", effective_from=True)).then(
        target_set("k1", "2026-03", 95.0, effective_from=True)
    )


def test_a_monthly_kpi_takes_quarterly_and_yearly_targets() -> None:
    given(scorecard_decider, HISTORY).when(_set(period="2026-Q1")).then(
        target_set("k1", "2026-Q1", 95.0)
    )
    given(scorecard_decider, HISTORY).when(_set(period="2026")).then(target_set("k1", "2026", 95.0))


def test_changing_a_target() -> None:
    given(scorecard_decider, HISTORY).when(_change()).then(
        e.TargetChanged(
            scorecard_id=SC,
            kpi_id="k1",
            period=P("2026-01"),
            effective_from=False,
            value=92.0,
            baseline=None,
            stretch=None,
            reason="replan",
        )
    )


FROM_JANUARY = [
    *BASE,
    e.TargetSet(
        scorecard_id=SC,
        kpi_id="k1",
        period=P("2026-01"),
        effective_from=True,
        value=70.0,
        baseline=50.0,
        stretch=90.0,
        reason="plan",
    ),
]


def _changed(value: float, **more: object) -> e.TargetChanged:
    fields = {"effective_from": True, "baseline": 50.0, "stretch": 90.0, "reason": "replan"}
    return e.TargetChanged.model_validate(
        {"scorecard_id": SC, "kpi_id": "k1", "period": "2026-01", "value": value} | fields | more
    )


def test_a_change_naming_only_the_value_keeps_effective_from_baseline_and_stretch() -> None:
    given(scorecard_decider, FROM_JANUARY).when(_change(value=65.0)).then(_changed(65.0))


def test_a_changed_from_period_target_still_scores_later_periods_with_its_baseline() -> None:
    produced = given(scorecard_decider, FROM_JANUARY).when(_change(value=65.0)).then(_changed(65.0))
    state = scorecard_decider.fold([*FROM_JANUARY, *produced])
    targets = [
        TargetSpec(t.period, t.effective_from, t.value, t.baseline, t.stretch)
        for t in state.targets.values()
    ]
    spec = KpiSpec(Direction.HIGHER_IS_BETTER, Frequency.MONTH, Aggregation.AVERAGE)
    march = evaluate_kpi(spec, {P("2026-03"): 59.0}, targets, P("2026-03"), ScoringDefaults())
    # (59 - 50) / (65 - 50) = 0.6; without the baseline it would be 59 / 65 = 0.91 (amber)
    assert (march.target, march.baseline) == (65.0, 50.0)
    assert march.score == pytest.approx(0.6)
    assert march.status is Status.RED


def test_a_change_clears_the_baseline_or_the_stretch_given_as_none() -> None:
    given(scorecard_decider, FROM_JANUARY).when(_change(value=65.0, baseline=None)).then(
        _changed(65.0, baseline=None)
    )
    given(scorecard_decider, FROM_JANUARY).when(_change(value=65.0, stretch=None)).then(
        _changed(65.0, stretch=None)
    )


def test_a_change_sets_what_it_names() -> None:
    given(scorecard_decider, FROM_JANUARY).when(
        _change(value=65.0, baseline=40.0, stretch=95.0, effective_from=False)
    ).then(_changed(65.0, baseline=40.0, stretch=95.0, effective_from=False))


def test_a_change_naming_only_the_current_value_produces_nothing() -> None:
    given(scorecard_decider, FROM_JANUARY).when(_change(value=70.0)).then()
    given(scorecard_decider, FROM_JANUARY).when(
        _change(value=70.0, baseline=50.0, effective_from=True)
    ).then()


def test_changing_a_target_to_the_same_values_produces_nothing() -> None:
    given(scorecard_decider, HISTORY).when(_change(value=90.0)).then()


def test_clearing_a_target() -> None:
    given(scorecard_decider, HISTORY).when(
        c.ClearTarget(scorecard_id=SC, kpi_id="k1", period=P("2026-01"), reason="dropped")
    ).then(e.TargetCleared(scorecard_id=SC, kpi_id="k1", period=P("2026-01"), reason="dropped"))
    cleared = e.TargetCleared(scorecard_id=SC, kpi_id="k1", period=P("2026-01"), reason="x")
    assert scorecard_decider.fold([*HISTORY, cleared]).targets == {}


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (_set(kpi_id="nope"), "kpi.not_found"),
        (_set(kpi_id="kr"), "kpi.retired"),
        (_set(kpi_id="kq", period="2026-03"), "target.period_too_fine"),
        (_set(value=NAN), "target.non_finite"),
        (_set(baseline=float("inf")), "target.non_finite"),
        (_set(stretch=NAN), "target.non_finite"),
        (_set(reason=" "), "target.reason_required"),
        (_set(period="2026-01"), "target.already_set"),
        (_set(period="2025-12"), "period.closed"),
        (_set(period="2025-Q4"), "period.closed"),
        (_change(period="2026-02"), "target.not_found"),
        (_change(reason=""), "target.reason_required"),
        (_change(value=NAN), "target.non_finite"),
        (
            c.ClearTarget(scorecard_id=SC, kpi_id="k1", period=P("2026-05"), reason="r"),
            "target.not_found",
        ),
        (
            c.ClearTarget(scorecard_id=SC, kpi_id="k1", period=P("2026-01"), reason=""),
            "target.reason_required",
        ),
        (
            c.ClearTarget(scorecard_id=SC, kpi_id="k1", period=P("2025-06"), reason="r"),
            "period.closed",
        ),
    ],
)
def test_invalid_target_changes_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    given(scorecard_decider, HISTORY).when(command).then_rejects(code)


def test_a_quarterly_kpi_takes_a_quarterly_target() -> None:
    given(scorecard_decider, HISTORY).when(_set(kpi_id="kq", period="2026-Q2")).then(
        target_set("kq", "2026-Q2", 95.0)
    )
