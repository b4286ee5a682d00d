"""Score explanations show the numbers the scorer used and agree with it exactly."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from domain.explanation import explain_kpi, explain_roll_up
from domain.kpi_kinds import Direction
from domain.scoring import Status, Thresholds, kpi_score, roll_up

DEFAULT = Thresholds()


def test_a_ratio_score_shows_its_division_and_the_threshold_that_decided_it() -> None:
    explanation = explain_kpi(64, 70, Direction.HIGHER_IS_BETTER, DEFAULT)
    assert explanation.summary == "64 ÷ 70 = 0.914 → amber (≥ 0.9)"
    assert explanation.rule == "actual_over_target"
    assert explanation.status.status is Status.AMBER


def test_a_baseline_score_shows_progress_from_the_baseline() -> None:
    explanation = explain_kpi(5, 4, Direction.LOWER_IS_BETTER, DEFAULT, baseline=6)
    assert explanation.formula == "(5 - 6) ÷ (4 - 6) = 0.5"
    assert explanation.status.text == "red (< 0.9)"


def test_a_score_above_the_cap_says_it_was_limited() -> None:
    explanation = explain_kpi(300, 100, Direction.HIGHER_IS_BETTER, DEFAULT)
    assert explanation.capped
    assert explanation.result == 1.5
    assert explanation.formula.endswith("limited to [0, 1.5] = 1.5")


def test_without_an_actual_there_is_no_score_and_no_data() -> None:
    explanation = explain_kpi(None, 70, Direction.HIGHER_IS_BETTER, DEFAULT)
    assert explanation.result is None
    assert explanation.status.status is Status.NO_DATA


def test_a_roll_up_names_the_children_left_out_and_normalises_the_rest() -> None:
    explanation = explain_roll_up(
        [("a", "A", 0.9, 1.0), ("b", "B", None, 2.0), ("c", "C", 1.2, 3.0)], DEFAULT
    )
    by_id = {c.child_id: c for c in explanation.children}
    assert not by_id["b"].included
    assert by_id["b"].excluded_because == "no data"
    assert by_id["a"].normalised_weight == 0.25
    assert by_id["c"].normalised_weight == 0.75
    assert explanation.formula == "(0.9 × 1 + 1.2 × 3) ÷ 4 = 1.125"
    assert explanation.status.status is Status.GREEN


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(
    actual=finite,
    target=finite,
    baseline=st.one_of(st.none(), finite),
    direction=st.sampled_from([Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER]),
)
def test_the_explained_result_is_the_score(
    actual: float, target: float, baseline: float | None, direction: Direction
) -> None:
    explanation = explain_kpi(actual, target, direction, DEFAULT, baseline=baseline)
    assert explanation.result == kpi_score(actual, target, direction, baseline=baseline)


@given(actual=finite, low=finite, width=st.floats(min_value=0.001, max_value=1e6))
def test_the_explained_range_result_is_the_score(actual: float, low: float, width: float) -> None:
    high = low + width
    explanation = explain_kpi(
        actual, None, Direction.WITHIN_RANGE, DEFAULT, range_low=low, range_high=high
    )
    expected = kpi_score(actual, None, Direction.WITHIN_RANGE, range_low=low, range_high=high)
    assert explanation.result == expected


@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(0, 1.5)), st.floats(0, 10)), max_size=8))
def test_the_explained_roll_up_is_the_roll_up(items: list[tuple[float | None, float]]) -> None:
    children = [(str(i), str(i), s, w) for i, (s, w) in enumerate(items)]
    explained = explain_roll_up(children, DEFAULT).result
    expected = roll_up(items)
    if expected is None:
        assert explained is None
    else:
        assert explained is not None
        assert math.isclose(explained, expected, rel_tol=1e-12, abs_tol=1e-12)
