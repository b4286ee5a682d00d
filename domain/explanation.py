"""Why a score is what it is: the inputs, the rule applied with its numbers, and the
threshold that decided the status, so a reader can check every figure by hand.

The explanation mirrors :func:`domain.scoring.kpi_score` branch for branch; its ``result``
equals the score the scorer gives (a property test holds the two together).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.kpi_kinds import Direction
from domain.scoring import DEFAULT_CAP, Status, Thresholds


def number(value: float) -> str:
    """A figure as a reader would write it: up to three decimals, no trailing zeros."""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True, slots=True)
class StatusRule:
    """The threshold that decided a status (``minimum`` None for red and no_data)."""

    status: Status
    minimum: float | None
    text: str


@dataclass(frozen=True, slots=True)
class KpiExplanation:
    """A KPI score's inputs, the rule with its numbers, and the status rule."""

    rule: str
    formula: str
    actual: float | None
    target: float | None
    baseline: float | None
    direction: Direction
    range_low: float | None
    range_high: float | None
    cap: float
    capped: bool
    result: float | None
    status: StatusRule

    @property
    def summary(self) -> str:
        """One line: ``64 ÷ 70 = 0.914 → amber (≥ 0.9)``."""
        return f"{self.formula} → {self.status.text}"


@dataclass(frozen=True, slots=True)
class Contribution:
    """One child of a roll-up: its score, weight, normalised weight, and whether it counted."""

    child_id: str
    name: str
    score: float | None
    weight: float
    normalised_weight: float
    included: bool
    excluded_because: str | None


@dataclass(frozen=True, slots=True)
class RollUpExplanation:
    """A weighted mean of children, with those left out named."""

    formula: str
    result: float | None
    children: tuple[Contribution, ...]
    status: StatusRule

    @property
    def summary(self) -> str:
        return f"{self.formula} → {self.status.text}"


def status_rule(score: float | None, thresholds: Thresholds) -> StatusRule:
    """Which threshold decided the status of ``score`` (first met wins, as scoring does)."""
    if score is None:
        return StatusRule(Status.NO_DATA, None, "no_data (no score)")
    for status, minimum in thresholds.ordered():
        if score >= minimum:
            return StatusRule(status, minimum, f"{status.value} (≥ {number(minimum)})")
    amber = thresholds.amber
    return StatusRule(Status.RED, None, f"red (< {number(amber)})")


def _clamped(raw: float, cap: float) -> tuple[float, bool]:
    if math.isnan(raw):
        return 0.0, True
    value = min(max(raw, 0.0), cap)
    return value, value != raw


def explain_kpi(
    actual: float | None,
    target: float | None,
    direction: Direction,
    thresholds: Thresholds,
    *,
    baseline: float | None = None,
    range_low: float | None = None,
    range_high: float | None = None,
    cap: float = DEFAULT_CAP,
) -> KpiExplanation:
    """Explain the score :func:`domain.scoring.kpi_score` gives for these inputs."""

    def done(rule: str, formula: str, raw: float | None) -> KpiExplanation:
        result: float | None = None
        capped = False
        if raw is not None:
            result, capped = _clamped(raw, cap)
            formula = f"{formula} = {number(raw)}"
            if capped:
                formula += f", limited to [0, {number(cap)}] = {number(result)}"
        return KpiExplanation(
            rule, formula, actual, target, baseline, direction, range_low, range_high, cap,
            capped, result, status_rule(result, thresholds),
        )  # fmt: skip

    a = actual
    if a is None:
        return done("no_actual", "no actual value for the period", None)
    if direction is Direction.WITHIN_RANGE:
        if range_low is None or range_high is None:
            return done("no_range", "the KPI has no range", None)
        low, high = range_low, range_high
        if low <= a <= high:
            return done("within_range", f"{number(low)} ≤ {number(a)} ≤ {number(high)}: 1", 1.0)
        distance = low - a if a < low else a - high
        width = high - low
        return done(
            "outside_range",
            f"1 - {number(distance)} ÷ ({number(high)} - {number(low)})",
            1.0 - distance / width,
        )
    if target is None:
        return done("no_target", "no target for the period", None)
    t = target
    higher = direction is Direction.HIGHER_IS_BETTER
    if baseline is not None:
        b = baseline
        if t == b:
            return _meets(done, a, t, cap, higher, "target equals baseline: ")
        return done(
            "progress_from_baseline",
            f"({number(a)} - {number(b)}) ÷ ({number(t)} - {number(b)})",
            (a - b) / (t - b),
        )
    if t == 0:
        return _meets(done, a, t, cap, higher, "target 0: ")
    if higher:
        if t > 0:
            # Computed as the scorer computes it (equal to a / t, to the last bit).
            return done("actual_over_target", f"{number(a)} ÷ {number(t)}", 1.0 + (a - t) / t)
        return done(
            "relative_gap",
            f"1 + ({number(a)} - {number(t)}) ÷ {number(abs(t))}",
            1.0 + (a - t) / abs(t),
        )
    if t < 0:
        return done(
            "relative_gap",
            f"1 - ({number(a)} - {number(t)}) ÷ {number(abs(t))}",
            1.0 - (a - t) / abs(t),
        )
    if a <= 0:
        return done("at_or_below_zero", f"{number(a)} ≤ 0 with a positive target: cap", cap)
    return done("target_over_actual", f"{number(t)} ÷ {number(a)}", t / a)


def _meets(
    done: Callable[[str, str, float | None], KpiExplanation],
    actual: float,
    target: float,
    cap: float,
    higher: bool,
    prefix: str,
) -> KpiExplanation:
    if actual == target:
        return done("meets_target", f"{prefix}actual equals target: 1", 1.0)
    better = actual > target if higher else actual < target
    if better:
        return done("beats_target", f"{prefix}actual beats target: cap", cap)
    return done("misses_target", f"{prefix}actual misses target: 0", 0.0)


def explain_roll_up(
    children: Sequence[tuple[str, str, float | None, float]], thresholds: Thresholds
) -> RollUpExplanation:
    """Explain :func:`domain.scoring.roll_up` over ``(id, name, score, weight)`` children."""
    counted = [(s, w) for _, _, s, w in children if s is not None and w > 0]
    total_weight = math.fsum(w for _, w in counted)
    contributions = []
    for child_id, name, score, weight in children:
        reason = None
        if score is None:
            reason = "no data"
        elif weight <= 0:
            reason = "zero weight"
        share = weight / total_weight if reason is None and total_weight else 0.0
        contributions.append(
            Contribution(child_id, name, score, weight, share, reason is None, reason)
        )
    if not counted:
        return RollUpExplanation(
            "no child has data", None, tuple(contributions), status_rule(None, thresholds)
        )
    result = math.fsum(s * w for s, w in counted) / total_weight
    terms = " + ".join(f"{number(s)} × {number(w)}" for s, w in counted)
    formula = f"({terms}) ÷ {number(total_weight)} = {number(result)}"
    return RollUpExplanation(formula, result, tuple(contributions), status_rule(result, thresholds))
