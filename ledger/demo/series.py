"""How a KPI's figures are produced: its periods, its value series and harder targets."""

from __future__ import annotations

import random

from domain.kpi_kinds import Direction
from domain.periods import Granularity, Period
from ledger.demo.catalog import Template
from ledger.demo.known import (
    AVAILABILITY,
    CHANGE_FAILURE,
    CHANGE_FAILURE_END,
    CSAT,
    CSAT_RECORDED,
    MTTR,
    P1_INCIDENTS,
    quarter_position,
)
from ledger.demo.plan import Kpi


def rounded(value: float, decimals: int) -> float:
    """``value`` rounded to ``decimals`` places, as a float."""
    return float(round(value, decimals))


def clamp(template: Template, value: float) -> float:
    """``value`` kept within the template's floor and ceiling."""
    value = max(value, template.floor)
    if template.ceiling is not None:
        value = min(value, template.ceiling)
    return value


def kpi_periods(kpi: Kpi, first: Period, end: Period) -> list[Period]:
    """The KPI's periods with at least one month in the demo window and none after ``end``."""
    if kpi.template.frequency is Granularity.MONTH:
        count = end.first_month_ordinal - first.first_month_ordinal + 1
        return [first.shift(i) for i in range(count)]
    quarter = first.quarter_of
    found: list[Period] = []
    while quarter.last_month_ordinal <= end.last_month_ordinal:
        found.append(quarter)
        quarter = quarter.shift(1)
    return found


def _known_value(kpi: Kpi, period: Period, end: Period) -> float | None:
    if kpi.known == 1:
        return AVAILABILITY[quarter_position(period)]
    if kpi.known == 2:
        return P1_INCIDENTS[quarter_position(period)]
    if kpi.known == 3:
        return CSAT_RECORDED if period == end.shift(-1) else CSAT
    if kpi.known == 4:
        return None if period == end.shift(-2) else MTTR
    return CHANGE_FAILURE_END if period == end else CHANGE_FAILURE


def series(kpi: Kpi, periods: list[Period], seed: int, end: Period) -> list[float | None]:
    """The KPI's value for each period: the fixed figures of a known KPI, else a seeded walk."""
    if kpi.known:
        return [_known_value(kpi, period, end) for period in periods]
    template = kpi.template
    rng = random.Random(f"{seed}/{kpi.kpi_id}")
    level = template.base * rng.uniform(0.95, 1.05) if template.base else template.base
    values: list[float | None] = []
    for step in range(len(periods)):
        raw = level + template.drift * step + rng.gauss(0.0, template.noise)
        values.append(rounded(clamp(template, raw), template.decimals))
    return values


def harder(template: Template, value: float, by: float) -> float:
    """``value`` made harder to reach by the fraction ``by``, in the KPI's direction."""
    factor = 1 + by if template.direction is Direction.HIGHER_IS_BETTER else 1 - by
    return rounded(clamp(template, value * factor), max(template.decimals, 1))
