"""The known KPIs' figures, which do not depend on the seed and can be worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.periods import Period
from domain.scoring import Status
from ledger.demo.catalog import CATALOG, MIN_KPIS
from ledger.demo.times import on_day


@dataclass(frozen=True)
class KnownKpi:
    """Figures of one KPI for one period that can be worked out by hand (package docstring).

    ``as_of`` is the system time to ask at (None: as known now).
    """

    kpi_id: str
    name: str
    period: Period
    actual: float | None
    target: float | None
    baseline: float | None
    score: float | None
    status: Status
    as_of: dt.datetime | None = None
    note: str = ""


AVAILABILITY = (99.25, 99.5, 99.75)
P1_INCIDENTS = (4.0, 2.0, 3.0)
CSAT, CSAT_RECORDED, CSAT_CORRECTED = 4.0, 3.5, 4.25
MTTR = 5.0
CHANGE_FAILURE, CHANGE_FAILURE_END = 12.0, 18.0
CAP = 1.5


def quarter_position(month: Period) -> int:
    """0, 1 or 2: the month's position in its calendar quarter."""
    return (month.index - 1) % 3


def _status(score: float | None) -> Status:
    if score is None:
        return Status.NO_DATA
    if score >= 1.0:
        return Status.GREEN
    if score >= 0.9:
        return Status.AMBER
    return Status.RED


def known_figures(first: Period, end: Period) -> dict[str, KnownKpi]:
    """The hand-checkable figures described in the package docstring."""
    names = [template.name for template in CATALOG[:MIN_KPIS]]
    known: dict[str, KnownKpi] = {}

    def add(key: str, number: int, period: Period, **figures: Any) -> None:
        score = figures.get("score")
        if score is not None:
            score = min(max(score, 0.0), CAP)
        known[key] = KnownKpi(
            kpi_id=f"kpi-{number:03d}",
            name=names[number - 1],
            period=period,
            actual=figures.get("actual"),
            target=figures.get("target"),
            baseline=figures.get("baseline"),
            score=score,
            status=_status(score),
            as_of=figures.get("as_of"),
            note=figures["note"],
        )

    # fmt: off
    value = AVAILABILITY[quarter_position(end)]
    add("availability", 1, end, actual=value, target=99.5, score=value / 99.5,
        note="higher is better: actual / target")
    quarter = end.quarter_of
    if quarter.last_month_ordinal > end.last_month_ordinal:
        quarter = quarter.shift(-1)
    months = [m for m in quarter.months() if m >= first]
    average = sum(AVAILABILITY[quarter_position(m)] for m in months) / len(months)
    if len(months) == 3:
        add("availability_quarter", 1, quarter, actual=average, target=99.5,
            score=average / 99.5, note="average of the months / average of the targets")
    else:  # the quarter starts before the window: its first months have no target
        add("availability_quarter", 1, quarter, actual=average,
            note="no target for the months before the window")

    value = P1_INCIDENTS[quarter_position(end)]
    add("p1_incidents", 2, end, actual=value, target=2.0, score=2.0 / value,
        note="target revised from 3 to 2 from this month; lower is better: target / actual")

    before = end.shift(-1)
    add("csat_corrected", 3, before, actual=CSAT_CORRECTED, target=CSAT,
        score=CSAT_CORRECTED / CSAT, note="3.5 corrected to 4.25")
    add("csat_before_correction", 3, before, actual=CSAT_RECORDED, target=CSAT,
        score=CSAT_RECORDED / CSAT, as_of=on_day(end, 0, 8, 0), note="as first recorded")

    add("mttr", 4, before, actual=MTTR, target=4.0, baseline=6.0,
        score=(MTTR - 6.0) / (4.0 - 6.0), note="with a baseline: (A - B) / (T - B)")
    add("mttr_not_available", 4, end.shift(-2), target=4.0, baseline=6.0,
        note="reported not available: no actual, no score")

    distance = CHANGE_FAILURE_END - 15.0
    add("change_failure_rate", 5, end, actual=CHANGE_FAILURE_END,
        score=1.0 - distance / (15.0 - 0.0), note="within 0..15: 1 - distance / width")
    add("change_failure_rate_retracted", 5, before,
        note="the only measurement was retracted")
    # fmt: on
    return known
