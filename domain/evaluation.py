"""Evaluating a KPI for a period: its actual, target, score and status.

The read side calls these functions so the rules live in one place.

- Actual: for a period of the KPI's own frequency, its current measurement (a
  not-available measurement counts as no data). For a longer period, the KPI's periods
  inside it combined by the KPI's aggregation, ignoring those without data. For a period
  finer than the frequency there is no data.
- Target: a target set for exactly that period; else, for a period longer than the
  frequency, the aggregation of its sub-periods' targets (each resolved by these same rules,
  one granularity finer), provided every sub-period has one; else the latest
  effective-from target of the same granularity that starts at or before the period.
  Baseline and stretch resolve alongside the target in the same way.
- Score: see :mod:`domain.scoring`; a range KPI needs only an actual, others need both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.kpi_kinds import Aggregation, Direction
from domain.periods import Frequency, Granularity, Period
from domain.scoring import ScoringDefaults, Status, Thresholds, aggregate, kpi_score, status_for


@dataclass(frozen=True)
class KpiSpec:
    """What scoring needs to know about a KPI definition."""

    direction: Direction
    frequency: Frequency
    aggregation: Aggregation
    range_low: float | None = None
    range_high: float | None = None
    thresholds: Thresholds | None = None


@dataclass(frozen=True)
class TargetSpec:
    """A target as set: for one period, or from that period onward (``effective_from``)."""

    period: Period
    effective_from: bool
    value: float
    baseline: float | None = None
    stretch: float | None = None


@dataclass(frozen=True)
class ResolvedTarget:
    """The target that applies to a period."""

    value: float
    baseline: float | None
    stretch: float | None


@dataclass(frozen=True)
class KpiEvaluation:
    """A KPI's figures for one period."""

    period: Period
    actual: float | None
    target: float | None
    baseline: float | None
    stretch: float | None
    score: float | None
    status: Status


_FINER = {Granularity.YEAR: Granularity.QUARTER, Granularity.QUARTER: Granularity.MONTH}


def actual_for(
    kpi: KpiSpec, measurements: Mapping[Period, float | None], period: Period
) -> float | None:
    """The KPI's actual for ``period`` (None when there is no data)."""
    if period.granularity is kpi.frequency:
        return measurements.get(period)
    if period.granularity.is_finer_than(kpi.frequency):
        return None
    values = [measurements.get(sub) for sub in period.subperiods(kpi.frequency)]
    return aggregate(values, kpi.aggregation)


def target_for(
    kpi: KpiSpec, targets: Sequence[TargetSpec], period: Period
) -> ResolvedTarget | None:
    """The target that applies to ``period`` under the rules in the module docstring."""
    exact = {target.period: target for target in targets}
    effective = [target for target in targets if target.effective_from]
    return _resolve(kpi, exact, effective, period)


def _resolve(
    kpi: KpiSpec,
    exact: Mapping[Period, TargetSpec],
    effective: Sequence[TargetSpec],
    period: Period,
) -> ResolvedTarget | None:
    target = exact.get(period)
    if target is not None:
        return ResolvedTarget(target.value, target.baseline, target.stretch)
    finer = _FINER.get(period.granularity)
    if finer is not None and not finer.is_finer_than(kpi.frequency):
        parts = [_resolve(kpi, exact, effective, sub) for sub in period.subperiods(finer)]
        if parts and all(part is not None for part in parts):
            present = [part for part in parts if part is not None]
            return _aggregate_targets(present, kpi.aggregation)
    latest: TargetSpec | None = None
    for candidate in effective:
        applies = candidate.period.granularity is period.granularity and candidate.period <= period
        if applies and (latest is None or latest.period < candidate.period):
            latest = candidate
    if latest is None:
        return None
    return ResolvedTarget(latest.value, latest.baseline, latest.stretch)


def _aggregate_targets(parts: Sequence[ResolvedTarget], how: Aggregation) -> ResolvedTarget:
    value = aggregate([part.value for part in parts], how)
    assert value is not None  # parts is never empty here
    baselines = [part.baseline for part in parts]
    stretches = [part.stretch for part in parts]
    baseline = aggregate(baselines, how) if None not in baselines else None
    stretch = aggregate(stretches, how) if None not in stretches else None
    return ResolvedTarget(value, baseline, stretch)


def evaluate_kpi(
    kpi: KpiSpec,
    measurements: Mapping[Period, float | None],
    targets: Sequence[TargetSpec],
    period: Period,
    defaults: ScoringDefaults,
) -> KpiEvaluation:
    """Actual, target, score and status of a KPI for ``period``.

    ``measurements`` are the current values at the KPI's own frequency (None for
    not-available); ``targets`` are the KPI's current targets.
    """
    return _evaluate(kpi, measurements, _TargetIndex(targets), period, defaults)


class _TargetIndex:
    """A KPI's targets arranged once for resolving many periods."""

    __slots__ = ("effective", "exact")

    def __init__(self, targets: Sequence[TargetSpec]) -> None:
        self.exact = {target.period: target for target in targets}
        self.effective = [target for target in targets if target.effective_from]


def _evaluate(
    kpi: KpiSpec,
    measurements: Mapping[Period, float | None],
    targets: _TargetIndex,
    period: Period,
    defaults: ScoringDefaults,
) -> KpiEvaluation:
    actual = actual_for(kpi, measurements, period)
    target = _resolve(kpi, targets.exact, targets.effective, period)
    score: float | None = None
    if actual is not None:
        if kpi.direction is Direction.WITHIN_RANGE:
            score = kpi_score(
                actual,
                None,
                kpi.direction,
                range_low=kpi.range_low,
                range_high=kpi.range_high,
                cap=defaults.cap,
            )
        elif target is not None:
            score = kpi_score(
                actual, target.value, kpi.direction, baseline=target.baseline, cap=defaults.cap
            )
    thresholds = kpi.thresholds if kpi.thresholds is not None else defaults.thresholds
    return KpiEvaluation(
        period=period,
        actual=actual,
        target=None if target is None else target.value,
        baseline=None if target is None else target.baseline,
        stretch=None if target is None else target.stretch,
        score=score,
        status=status_for(score, thresholds),
    )


def trend_periods(end: Period, count: int) -> tuple[Period, ...]:
    """The ``count`` periods of ``end``'s granularity ending with ``end``, oldest first."""
    return end.last(count)


def trend(
    kpi: KpiSpec,
    measurements: Mapping[Period, float | None],
    targets: Sequence[TargetSpec],
    end: Period,
    count: int,
    defaults: ScoringDefaults,
) -> list[KpiEvaluation]:
    """Evaluations over the last ``count`` periods ending with ``end``, oldest first (the
    same figures as :func:`evaluate_kpi` for each period)."""
    index = _TargetIndex(targets)
    return [
        _evaluate(kpi, measurements, index, period, defaults)
        for period in trend_periods(end, count)
    ]
