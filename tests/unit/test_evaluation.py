import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.evaluation import KpiSpec, TargetSpec, evaluate_kpi, trend, trend_periods
from domain.kpi_kinds import Aggregation, Direction
from domain.periods import Frequency, Period
from domain.scoring import ScoringDefaults, Status, Thresholds, aggregate

P = Period.parse
DEFAULTS = ScoringDefaults()
MONTHLY_SUM = KpiSpec(Direction.HIGHER_IS_BETTER, Frequency.MONTH, Aggregation.SUM)


def months(**values: float | None) -> dict[Period, float | None]:
    return {P(f"2026-{name[1:]}"): value for name, value in values.items()}


def test_a_monthly_kpi_scores_its_month_against_the_month_s_target() -> None:
    result = evaluate_kpi(
        MONTHLY_SUM,
        months(m01=90.0),
        [TargetSpec(P("2026-01"), False, 100.0)],
        P("2026-01"),
        DEFAULTS,
    )
    assert (result.actual, result.target, result.score, result.status) == (
        90.0,
        100.0,
        pytest.approx(0.9),
        Status.AMBER,
    )


def test_a_quarter_aggregates_its_months_and_their_targets() -> None:
    targets = [TargetSpec(P(f"2026-0{m}"), False, 100.0) for m in (1, 2, 3)]
    result = evaluate_kpi(
        MONTHLY_SUM, months(m01=100.0, m02=120.0, m03=110.0), targets, P("2026-Q1"), DEFAULTS
    )
    assert result.actual == 330.0
    assert result.target == 300.0
    assert result.score == pytest.approx(1.1)
    assert result.status is Status.GREEN


def test_an_explicit_quarterly_target_wins_over_the_months() -> None:
    targets = [TargetSpec(P("2026-Q1"), False, 330.0), TargetSpec(P("2026-01"), False, 1.0)]
    result = evaluate_kpi(MONTHLY_SUM, months(m01=165.0), targets, P("2026-Q1"), DEFAULTS)
    assert (result.target, result.score) == (330.0, 0.5)


def test_an_effective_from_target_applies_to_later_periods_until_replaced() -> None:
    targets = [
        TargetSpec(P("2026-01"), True, 100.0, baseline=50.0),
        TargetSpec(P("2026-04"), True, 200.0),
    ]
    march = evaluate_kpi(MONTHLY_SUM, months(m03=75.0), targets, P("2026-03"), DEFAULTS)
    assert (march.target, march.baseline, march.score) == (100.0, 50.0, 0.5)
    may = evaluate_kpi(MONTHLY_SUM, months(m05=200.0), targets, P("2026-05"), DEFAULTS)
    assert (may.target, may.score) == (200.0, 1.0)
    before = evaluate_kpi(MONTHLY_SUM, {}, targets, P("2025-12"), DEFAULTS)
    assert before.target is None


def test_effective_from_months_add_up_to_a_quarterly_target() -> None:
    targets = [TargetSpec(P("2025-11"), True, 10.0)]
    result = evaluate_kpi(MONTHLY_SUM, months(m01=10.0), targets, P("2026-Q1"), DEFAULTS)
    assert (result.actual, result.target) == (10.0, 30.0)


def test_a_quarter_with_a_month_lacking_a_target_has_no_aggregated_target() -> None:
    targets = [TargetSpec(P("2026-01"), False, 100.0), TargetSpec(P("2026-02"), False, 100.0)]
    result = evaluate_kpi(MONTHLY_SUM, months(m01=100.0), targets, P("2026-Q1"), DEFAULTS)
    assert result.target is None
    assert result.status is Status.NO_DATA


def test_not_available_months_are_ignored_when_aggregating() -> None:
    average = KpiSpec(Direction.HIGHER_IS_BETTER, Frequency.MONTH, Aggregation.AVERAGE)
    result = evaluate_kpi(average, months(m01=90.0, m02=None, m03=96.0), [], P("2026-Q1"), DEFAULTS)
    assert result.actual == 93.0


def test_a_missing_actual_or_target_means_no_data() -> None:
    no_actual = evaluate_kpi(
        MONTHLY_SUM, {}, [TargetSpec(P("2026-01"), False, 1.0)], P("2026-01"), DEFAULTS
    )
    assert (no_actual.score, no_actual.status) == (None, Status.NO_DATA)
    not_available = evaluate_kpi(MONTHLY_SUM, months(m01=None), [], P("2026-01"), DEFAULTS)
    assert not_available.status is Status.NO_DATA


def test_a_period_finer_than_the_frequency_has_no_data() -> None:
    quarterly = KpiSpec(Direction.HIGHER_IS_BETTER, Frequency.QUARTER, Aggregation.SUM)
    result = evaluate_kpi(quarterly, {P("2026-Q1"): 5.0}, [], P("2026-01"), DEFAULTS)
    assert result.actual is None


def test_a_range_kpi_needs_no_target_and_uses_its_thresholds() -> None:
    spec = KpiSpec(
        Direction.WITHIN_RANGE,
        Frequency.MONTH,
        Aggregation.AVERAGE,
        range_low=90.0,
        range_high=100.0,
        thresholds=Thresholds(green=1.0, amber=0.5),
    )
    result = evaluate_kpi(spec, months(m01=85.0), [], P("2026-01"), DEFAULTS)
    assert (result.score, result.status) == (0.5, Status.AMBER)


def test_the_organization_cap_applies() -> None:
    result = evaluate_kpi(
        MONTHLY_SUM,
        months(m01=500.0),
        [TargetSpec(P("2026-01"), False, 100.0)],
        P("2026-01"),
        ScoringDefaults(cap=2.0),
    )
    assert result.score == 2.0


def test_a_trend_evaluates_the_last_n_periods_oldest_first() -> None:
    assert [str(p) for p in trend_periods(P("2026-02"), 3)] == ["2025-12", "2026-01", "2026-02"]
    targets = [TargetSpec(P("2025-01"), True, 100.0)]
    values = {P("2025-12"): 80.0, P("2026-02"): 100.0}
    result = trend(MONTHLY_SUM, values, targets, P("2026-02"), 3, DEFAULTS)
    assert [r.status for r in result] == [Status.RED, Status.NO_DATA, Status.GREEN]


month_values = st.lists(st.none() | st.floats(-1e6, 1e6), min_size=3, max_size=3)


@given(month_values, st.sampled_from(list(Aggregation)))
def test_aggregating_a_quarter_equals_aggregating_its_three_months_by_hand(
    values: list[float | None], how: Aggregation
) -> None:
    spec = KpiSpec(Direction.HIGHER_IS_BETTER, Frequency.MONTH, how)
    measurements = dict(zip(P("2026-Q2").months(), values, strict=True))
    result = evaluate_kpi(spec, measurements, [], P("2026-Q2"), DEFAULTS)
    assert result.actual == aggregate(values, how)
