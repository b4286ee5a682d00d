import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.kpi_kinds import Aggregation, Direction
from domain.scoring import Status, Thresholds, aggregate, kpi_score, roll_up, status_for

HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER
RANGE = Direction.WITHIN_RANGE


@pytest.mark.parametrize(
    ("actual", "target", "direction", "baseline", "expected"),
    [
        (90.0, 100.0, HIGHER, None, 0.9),
        (100.0, 100.0, HIGHER, None, 1.0),
        (120.0, 100.0, HIGHER, None, 1.2),
        (200.0, 100.0, HIGHER, None, 1.5),  # capped
        (0.0, 100.0, HIGHER, None, 0.0),
        (-10.0, 100.0, HIGHER, None, 0.0),  # never negative
        (-5.0, -10.0, HIGHER, None, 1.5),  # better than a negative target
        (-12.0, -10.0, HIGHER, None, 0.8),
        (0.0, 0.0, HIGHER, None, 1.0),
        (1.0, 0.0, HIGHER, None, 1.5),
        (-1.0, 0.0, HIGHER, None, 0.0),
        (50.0, 40.0, LOWER, None, 0.8),
        (40.0, 40.0, LOWER, None, 1.0),
        (32.0, 40.0, LOWER, None, 1.25),
        (0.0, 40.0, LOWER, None, 1.5),  # zero actual scores the cap
        (0.0, 0.0, LOWER, None, 1.0),
        (2.0, 0.0, LOWER, None, 0.0),
        (-11.0, -10.0, LOWER, None, 1.1),
        (75.0, 100.0, HIGHER, 50.0, 0.5),  # progress from the baseline
        (50.0, 100.0, HIGHER, 50.0, 0.0),
        (40.0, 100.0, HIGHER, 50.0, 0.0),
        (125.0, 100.0, HIGHER, 50.0, 1.5),
        (15.0, 10.0, LOWER, 20.0, 0.5),
        (8.0, 10.0, LOWER, 20.0, 1.2),
        (25.0, 10.0, LOWER, 20.0, 0.0),
        (10.0, 10.0, HIGHER, 10.0, 1.0),  # target equals baseline, met exactly
        (11.0, 10.0, HIGHER, 10.0, 1.5),
        (9.0, 10.0, HIGHER, 10.0, 0.0),
        (9.0, 10.0, LOWER, 10.0, 1.5),
    ],
)
def test_score_worked_examples(
    actual: float, target: float, direction: Direction, baseline: float | None, expected: float
) -> None:
    assert kpi_score(actual, target, direction, baseline) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(95.0, 1.0), (90.0, 1.0), (100.0, 1.0), (85.0, 0.5), (102.5, 0.75), (80.0, 0.0), (0.0, 0.0)],
)
def test_a_range_kpi_scores_one_inside_and_decays_by_range_widths_outside(
    actual: float, expected: float
) -> None:
    score = kpi_score(actual, None, RANGE, range_low=90.0, range_high=100.0)
    assert score == pytest.approx(expected)


def test_a_range_kpi_without_bounds_cannot_be_scored() -> None:
    with pytest.raises(ValueError, match="range"):
        kpi_score(1.0, None, RANGE)


def test_a_custom_cap_limits_the_score() -> None:
    assert kpi_score(300.0, 100.0, HIGHER, cap=2.0) == 2.0


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (None, Status.NO_DATA),
        (1.2, Status.GREEN),
        (1.0, Status.GREEN),
        (0.95, Status.AMBER),
        (0.9, Status.AMBER),
        (0.89, Status.RED),
        (0.0, Status.RED),
    ],
)
def test_status_by_default_thresholds(score: float | None, expected: Status) -> None:
    assert status_for(score, Thresholds()) is expected


def test_a_per_kpi_threshold_override_changes_the_status() -> None:
    strict = Thresholds(green=1.1, amber=1.0)
    assert status_for(1.0, strict) is Status.AMBER
    assert status_for(0.95, strict) is Status.RED


def test_roll_up_is_a_weighted_mean() -> None:
    assert roll_up([(1.0, 1.0), (0.5, 3.0)]) == pytest.approx(0.625)


def test_roll_up_leaves_out_missing_scores_and_renormalizes_the_weights() -> None:
    assert roll_up([(0.8, 2.0), (None, 5.0), (1.2, 2.0)]) == pytest.approx(1.0)


def test_roll_up_leaves_out_zero_weights() -> None:
    assert roll_up([(0.8, 1.0), (0.1, 0.0)]) == pytest.approx(0.8)


def test_roll_up_of_nothing_with_data_is_none() -> None:
    assert roll_up([]) is None
    assert roll_up([(None, 1.0), (0.5, 0.0)]) is None


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        (Aggregation.SUM, 12.0),
        (Aggregation.AVERAGE, 4.0),
        (Aggregation.LAST, 2.0),
        (Aggregation.MIN, 2.0),
        (Aggregation.MAX, 7.0),
    ],
)
def test_aggregation_skips_missing_values(aggregation: Aggregation, expected: float) -> None:
    assert aggregate([3.0, None, 7.0, 2.0, None], aggregation) == expected


def test_aggregating_nothing_gives_none() -> None:
    assert aggregate([None, None], Aggregation.SUM) is None


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
caps = st.floats(min_value=1.0, max_value=5.0)


@given(finite, finite, st.sampled_from([HIGHER, LOWER]), st.none() | finite, caps)
def test_scores_stay_within_zero_and_the_cap(
    actual: float, target: float, direction: Direction, baseline: float | None, cap: float
) -> None:
    score = kpi_score(actual, target, direction, baseline, cap=cap)
    assert 0.0 <= score <= cap


@given(finite, finite, st.floats(min_value=1e-6, max_value=1e6), caps)
def test_range_scores_stay_within_zero_and_one(
    actual: float, low: float, width: float, cap: float
) -> None:
    score = kpi_score(actual, None, RANGE, range_low=low, range_high=low + width, cap=cap)
    assert 0.0 <= score <= 1.0


@given(
    st.none() | st.floats(min_value=0, max_value=2),
    st.integers(1, 6),
    st.floats(min_value=0.1, max_value=10),
)
def test_the_roll_up_of_identical_children_equals_the_child(
    score: float | None, count: int, weight: float
) -> None:
    result = roll_up([(score, weight)] * count)
    if score is None:
        assert result is None
    else:
        assert result is not None
        assert math.isclose(result, score, rel_tol=1e-9, abs_tol=1e-12)
