"""Scoring: a KPI's score from actual and target, status from score, weighted roll-ups.

Score rules (the result is always clamped to ``[0, cap]``):

- within a range: 1.0 for ``low <= A <= high``; outside, the score falls linearly with the
  distance to the nearer bound, measured in range widths, reaching 0 one full width away:
  ``1 - distance / (high - low)``. Targets do not enter the score of a range KPI.
- with a baseline B: progress ``(A - B) / (T - B)`` (the same formula serves both
  directions, as T lies below B for lower-is-better). When ``T == B`` there is no distance to
  cover: meeting the target (``A >= T`` higher, ``A <= T`` lower) scores 1.0 when equal and
  the cap when better; missing it scores 0.
- higher is better, no baseline: ``A / T`` for ``T > 0``; for ``T < 0`` the same relative
  gap, ``1 + (A - T) / |T|``; for ``T == 0``: 1.0 when ``A == 0``, the cap above, 0 below.
- lower is better, no baseline: ``T / A`` for ``T > 0`` and ``A > 0``; ``A <= 0`` with a
  positive target scores the cap; for ``T < 0``: ``1 - (A - T) / |T|``; for ``T == 0``: 1.0
  when ``A == 0``, the cap below, 0 above.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from domain.kpi_kinds import Aggregation, Direction
from domain.numbers import Number

DEFAULT_CAP = 1.5


class Status(enum.StrEnum):
    """The traffic light of a score."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NO_DATA = "no_data"


class Thresholds(BaseModel):
    """Minimum scores for green and amber; anything below amber is red."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    green: Number = 1.0
    amber: Number = 0.9

    def ordered(self) -> tuple[tuple[Status, float], ...]:
        """The thresholds in the order they are tried; the first one met wins."""
        return ((Status.GREEN, self.green), (Status.AMBER, self.amber))


class ScoringDefaults(BaseModel):
    """An organization's scoring settings: the score cap and the default thresholds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cap: Number = DEFAULT_CAP
    thresholds: Thresholds = Thresholds()


def thresholds_are_valid(thresholds: Thresholds) -> bool:
    """True when both thresholds are finite, non-negative and green >= amber."""
    green, amber = thresholds.green, thresholds.amber
    return math.isfinite(green) and math.isfinite(amber) and green >= amber >= 0


def cap_is_valid(cap: float) -> bool:
    """True when the cap is finite and at least 1 (meeting a target must be reachable)."""
    return math.isfinite(cap) and cap >= 1.0


def _clamp(score: float, cap: float) -> float:
    if math.isnan(score):
        return 0.0
    return min(max(score, 0.0), cap)


def _meets(actual: float, target: float, cap: float, higher_is_better: bool) -> float:
    if actual == target:
        return 1.0
    better = actual > target if higher_is_better else actual < target
    return cap if better else 0.0


def kpi_score(
    actual: float,
    target: float | None,
    direction: Direction,
    baseline: float | None = None,
    range_low: float | None = None,
    range_high: float | None = None,
    cap: float = DEFAULT_CAP,
) -> float:
    """Score ``actual`` against ``target`` (see the module docstring), within ``[0, cap]``.

    Raises ``ValueError`` when a range KPI lacks its bounds or another KPI lacks a target.
    """
    if direction is Direction.WITHIN_RANGE:
        if range_low is None or range_high is None or not range_low < range_high:
            raise ValueError("a within-range score needs range_low < range_high")
        if range_low <= actual <= range_high:
            return _clamp(1.0, cap)
        distance = range_low - actual if actual < range_low else actual - range_high
        return _clamp(1.0 - distance / (range_high - range_low), cap)
    if target is None:
        raise ValueError("a score needs a target unless the KPI is within a range")
    higher = direction is Direction.HIGHER_IS_BETTER
    if baseline is not None:
        if target == baseline:
            return _clamp(_meets(actual, target, cap, higher), cap)
        return _clamp((actual - baseline) / (target - baseline), cap)
    if target == 0:
        return _clamp(_meets(actual, target, cap, higher), cap)
    if higher:
        return _clamp(1.0 + (actual - target) / abs(target), cap)
    if target < 0:
        return _clamp(1.0 - (actual - target) / abs(target), cap)
    if actual <= 0:
        return _clamp(cap, cap)
    return _clamp(target / actual, cap)


def status_for(score: float | None, thresholds: Thresholds) -> Status:
    """The status of ``score``: the first threshold it meets, else red; no_data for None."""
    if score is None:
        return Status.NO_DATA
    for status, minimum in thresholds.ordered():
        if score >= minimum:
            return status
    return Status.RED


def roll_up(items: Iterable[tuple[float | None, float]]) -> float | None:
    """Weighted mean of ``(score, weight)`` pairs.

    Items without a score or with zero weight are left out and the remaining weights
    renormalized; None when nothing is left.
    """
    total = 0.0
    weights = 0.0
    for score, weight in items:
        if score is None or weight <= 0:
            continue
        total += score * weight
        weights += weight
    if weights == 0:
        return None
    return total / weights


def aggregate(values: Iterable[float | None], aggregation: Aggregation) -> float | None:
    """Combine values in period order by ``aggregation``, skipping None; None if none left."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    if aggregation is Aggregation.SUM:
        return math.fsum(present)
    if aggregation is Aggregation.AVERAGE:
        return math.fsum(present) / len(present)
    if aggregation is Aggregation.LAST:
        return present[-1]
    if aggregation is Aggregation.MIN:
        return min(present)
    return max(present)
