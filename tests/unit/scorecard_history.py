"""A small scorecard history shared by the scorecard tests."""

from __future__ import annotations

from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.periods import Frequency, Period
from domain.scorecard import events as e

SC = "sc-1"
P = Period.parse


def perspective(pid: str, name: str, position: int) -> e.PerspectiveAdded:
    return e.PerspectiveAdded(
        scorecard_id=SC, perspective_id=pid, name=name, weight=1.0, position=position
    )


CREATED = [
    e.ScorecardCreated(scorecard_id=SC, team_id="team-1", name="IT", description="IT scorecard"),
    perspective("fin", "Financial", 0),
    perspective("cus", "Customer", 1),
    perspective("int", "Internal Process", 2),
    perspective("lng", "Learning & Growth", 3),
]


def objective(oid: str, pid: str = "cus") -> e.ObjectiveAdded:
    return e.ObjectiveAdded(
        scorecard_id=SC,
        objective_id=oid,
        perspective_id=pid,
        title=oid.title(),
        description="",
        owner="ann",
        weight=1.0,
    )


def kpi(
    kid: str,
    oid: str = "o1",
    frequency: Frequency = Frequency.MONTH,
    direction: Direction = Direction.HIGHER_IS_BETTER,
    low: float | None = None,
    high: float | None = None,
) -> e.KpiDefined:
    return e.KpiDefined(
        scorecard_id=SC,
        kpi_id=kid,
        objective_id=oid,
        name=kid.upper(),
        description="",
        unit="%",
        direction=direction,
        range_low=low,
        range_high=high,
        frequency=frequency,
        aggregation=Aggregation.AVERAGE,
        kind=KpiKind.LAGGING,
        owner="bob",
        weight=1.0,
        thresholds=None,
    )


def recorded(mid: str, kid: str, period: str, value: float | None) -> e.MeasurementRecorded:
    return e.MeasurementRecorded(
        scorecard_id=SC,
        measurement_id=mid,
        kpi_id=kid,
        period=P(period),
        value=value,
        not_available=value is None,
        source_system="itsm",
        external_reference=f"ref-{mid}",
        note="",
    )


def target_set(kid: str, period: str, value: float, effective_from: bool = False) -> e.TargetSet:
    return e.TargetSet(
        scorecard_id=SC,
        kpi_id=kid,
        period=P(period),
        effective_from=effective_from,
        value=value,
        baseline=None,
        stretch=None,
        reason="plan",
    )


# two objectives, a monthly KPI, a quarterly KPI and a retired KPI
BASE = [
    *CREATED,
    objective("o1"),
    objective("o2", "int"),
    kpi("k1"),
    kpi("kq", frequency=Frequency.QUARTER),
    kpi("kr"),
    e.KpiRetired(scorecard_id=SC, kpi_id="kr", objective_id="o1"),
]
