"""What happens after the setup: initiative progress, measurements, corrections, target
revisions, the retraction, and quarter closes with one reopening.
"""

from __future__ import annotations

import datetime as dt
import random

from domain.periods import Granularity, Period
from domain.scorecard.commands import (
    CancelInitiative,
    ChangeTarget,
    ClosePeriod,
    CompleteInitiative,
    EditInitiative,
    RecordMeasurement,
    ReopenPeriod,
    RetractMeasurement,
    SetTarget,
)
from domain.scorecard.values import InitiativeStatus
from ledger.demo.catalog import (
    ADJUSTMENT_REASON,
    CONTROLLER,
    CORRECTION_REASONS,
    FEED,
    FISCAL_YEAR_START_MONTH,
    MAIN_SCORECARD_ID,
    NOT_AVAILABLE_NOTE,
    OBJECTIVES,
    PMO,
    REVISION_REASONS,
)
from ledger.demo.known import CSAT_CORRECTED
from ledger.demo.plan import Kpi, Plan
from ledger.demo.series import clamp, harder, kpi_periods, rounded, series
from ledger.demo.times import month_start, on_day


def initiative_updates(plan: Plan) -> None:
    """Quarterly progress, one initiative done, one cancelled, one started."""
    first, end, main = plan.first, plan.options.end, MAIN_SCORECARD_ID
    months = plan.options.months
    for step in range(3, months, 3):
        at = on_day(first.shift(step), 0, 25, 12)
        for number, start, pace in ((1, 10, 8), (3, 5, 6), (4, -5, 10)):
            if number == 4 and step < 6:
                continue  # planned until it starts in month 4
            progress = min(start + pace * (step // 3), 95)
            plan.add(
                at + dt.timedelta(seconds=number),
                EditInitiative(
                    scorecard_id=main, initiative_id=f"ini-{number:02d}", progress=progress
                ),
                PMO,
            )
    done = first.shift(min(7, months - 1))
    plan.add(
        on_day(done, 0, 26, 12),
        CompleteInitiative(scorecard_id=main, initiative_id="ini-02"),
        PMO,
    )
    cancelled = first.shift(min(5, months - 1))
    reason = "superseded by the move of the ticketing system to the cloud"
    plan.add(
        on_day(cancelled, 0, 26, 13),
        CancelInitiative(scorecard_id=main, initiative_id="ini-07", reason=reason),
        PMO,
        reason,
    )
    started = first.shift(min(4, months - 1))
    if started <= end:
        plan.add(
            on_day(started, 0, 26, 14),
            EditInitiative(
                scorecard_id=main,
                initiative_id="ini-04",
                status=InitiativeStatus.IN_PROGRESS,
                progress=5,
            ),
            PMO,
        )


def measurements(plan: Plan, kpis: list[Kpi]) -> dict[tuple[str, Period], float | None]:
    """Values, not-available months, corrections, the retraction and target revisions."""
    options, first, end = plan.options, plan.first, plan.options.end
    rng = random.Random(options.seed)
    current: dict[tuple[str, Period], float | None] = {}
    randoms = [k for k in kpis if not k.known and k.scorecard_id == MAIN_SCORECARD_ID]
    monthly = [k for k in randoms if k.template.frequency is Granularity.MONTH]
    window = [first.shift(i) for i in range(options.months)]
    not_available: set[tuple[str, Period]] = set()
    if monthly:
        not_available = {(rng.choice(monthly).kpi_id, rng.choice(window)) for _ in range(2)}
    for kpi in kpis:
        t = kpi.template
        periods = kpi_periods(kpi, first, end)
        values = series(kpi, periods, options.seed, end)
        day = 5 if t.frequency is Granularity.MONTH else 10
        for period, value in zip(periods, values, strict=True):
            key = (kpi.kpi_id, period)
            missing = value is None or key in not_available
            plan.add(
                on_day(period, 1, day, 9, kpi.order),
                RecordMeasurement(
                    scorecard_id=kpi.scorecard_id,
                    measurement_id=f"m-{kpi.kpi_id}-{period}",
                    kpi_id=kpi.kpi_id,
                    period=period,
                    value=None if missing else value,
                    not_available=missing,
                    source_system=t.source,
                    external_reference=f"{t.source}:{kpi.kpi_id}:{period}",
                    note=NOT_AVAILABLE_NOTE if missing else "",
                ),
                FEED,
                source_system=t.source,
            )
            current[key] = None if missing else value
            if kpi.known or missing or kpi.scorecard_id != MAIN_SCORECARD_ID:
                continue
            if rng.random() < 0.03:
                assert value is not None
                step = max(t.noise, 10.0**-t.decimals)
                corrected = rounded(clamp(t, value + step * rng.choice((-1, 1))), t.decimals)
                if corrected == value:
                    corrected = rounded(value + step, t.decimals)
                reason = rng.choice(CORRECTION_REASONS)
                owner = OBJECTIVES[t.objective][2]
                plan.add(
                    on_day(period, 1, 12, 10, kpi.order),
                    RecordMeasurement(
                        scorecard_id=kpi.scorecard_id,
                        measurement_id=f"m-{kpi.kpi_id}-{period}-c1",
                        kpi_id=kpi.kpi_id,
                        period=period,
                        value=corrected,
                        source_system=t.source,
                        external_reference=f"{t.source}:{kpi.kpi_id}:{period}",
                        reason=reason,
                    ),
                    owner,
                    reason,
                    t.source,
                )
                current[key] = corrected
        _targets(plan, kpi, rng)
    _known_events(plan, kpis)
    return current


def _targets(plan: Plan, kpi: Kpi, rng: random.Random) -> None:
    """Budget revisions each April (from the second one in the window) with reasons."""
    t, first, end = kpi.template, plan.first, plan.options.end
    if t.target is None or kpi.known:
        return
    value = t.target
    month = first.shift(1)
    while month <= end:
        if month.index == FISCAL_YEAR_START_MONTH and rng.random() < 0.5:
            period = month.enclosing(t.frequency)
            fiscal_year = month.year_number + 1
            reason = rng.choice(REVISION_REASONS).format(fy=fiscal_year)
            value = harder(t, value, rng.choice((0.01, 0.02, 0.03)))
            plan.add(
                month_start(month, 8, kpi.order),
                SetTarget(
                    scorecard_id=kpi.scorecard_id,
                    kpi_id=kpi.kpi_id,
                    period=period,
                    value=value,
                    baseline=t.baseline,
                    stretch=t.stretch,
                    reason=reason,
                    effective_from=True,
                ),
                CONTROLLER,
                reason,
            )
            if rng.random() < 0.2:
                adjusted = rounded((value + t.target) / 2, max(t.decimals, 1) + 1)
                if adjusted != value:
                    value = adjusted
                    plan.add(
                        on_day(month, 0, 10, 8, kpi.order),
                        ChangeTarget(
                            scorecard_id=kpi.scorecard_id,
                            kpi_id=kpi.kpi_id,
                            period=period,
                            value=value,
                            baseline=t.baseline,
                            stretch=t.stretch,
                            reason=ADJUSTMENT_REASON,
                            effective_from=True,
                        ),
                        CONTROLLER,
                        ADJUSTMENT_REASON,
                    )
        month = month.shift(1)


def _known_events(plan: Plan, kpis: list[Kpi]) -> None:
    """The revision, correction and retraction of the known KPIs."""
    end, main = plan.options.end, MAIN_SCORECARD_ID
    by_number = {k.known: k for k in kpis if k.known}
    p1 = by_number[2]
    reason = f"budget revision for FY{end.year_number + (end.index >= FISCAL_YEAR_START_MONTH)}"
    reason += ": fewer P1 incidents expected after the network refresh"
    plan.add(
        month_start(end, 8, p1.order),
        SetTarget(
            scorecard_id=main,
            kpi_id=p1.kpi_id,
            period=end,
            value=2.0,
            reason=reason,
            effective_from=True,
        ),
        CONTROLLER,
        reason,
    )
    csat, before = by_number[3], end.shift(-1)
    reason = "survey responses from the partner portal were missing"
    plan.add(
        on_day(before, 1, 12, 10, csat.order),
        RecordMeasurement(
            scorecard_id=main,
            measurement_id=f"m-{csat.kpi_id}-{before}-c1",
            kpi_id=csat.kpi_id,
            period=before,
            value=CSAT_CORRECTED,
            source_system=csat.template.source,
            external_reference=f"{csat.template.source}:{csat.kpi_id}:{before}",
            reason=reason,
        ),
        OBJECTIVES[csat.template.objective][2],
        reason,
        csat.template.source,
    )
    cfr = by_number[5]
    reason = "duplicate feed row: the month was loaded twice under another job"
    plan.add(
        on_day(before, 1, 14, 11),
        RetractMeasurement(scorecard_id=main, kpi_id=cfr.kpi_id, period=before, reason=reason),
        OBJECTIVES[cfr.template.objective][2],
        reason,
    )


def closes(plan: Plan, kpis: list[Kpi], current: dict[tuple[str, Period], float | None]) -> None:
    """Close each complete quarter before the last month; reopen one for an adjustment."""
    first, end, main = plan.first, plan.options.end, MAIN_SCORECARD_ID
    quarter = first.quarter_of
    while quarter.last_month_ordinal < end.last_month_ordinal:
        plan.add(
            on_day(quarter, 1, 20, 17), ClosePeriod(scorecard_id=main, period=quarter), CONTROLLER
        )
        plan.closed.append(quarter)
        quarter = quarter.shift(1)
    if len(plan.closed) < 2:
        return
    reopened = plan.closed[-2]
    month = Period.from_month_ordinal(reopened.last_month_ordinal)
    candidates = [
        k
        for k in kpis
        if not k.known
        and k.scorecard_id == main
        and k.template.frequency is Granularity.MONTH
        and current.get((k.kpi_id, month)) is not None
    ]
    if not candidates:
        return
    kpi = random.Random(f"{plan.options.seed}/reopen").choice(candidates)
    t = kpi.template
    value = current[(kpi.kpi_id, month)]
    assert value is not None
    corrected = rounded(value + max(t.noise, 10.0**-t.decimals), t.decimals)
    at = on_day(reopened, 1, 20, 9) + dt.timedelta(days=30)
    reason = "audit adjustment: late vendor credit note booked to the quarter"
    plan.add(
        at, ReopenPeriod(scorecard_id=main, period=reopened, reason=reason), CONTROLLER, reason
    )
    plan.add(
        at + dt.timedelta(minutes=30),
        RecordMeasurement(
            scorecard_id=main,
            measurement_id=f"m-{kpi.kpi_id}-{month}-audit",
            kpi_id=kpi.kpi_id,
            period=month,
            value=corrected,
            source_system=t.source,
            external_reference=f"{t.source}:{kpi.kpi_id}:{month}:audit",
            reason=reason,
        ),
        CONTROLLER,
        reason,
        t.source,
    )
    current[(kpi.kpi_id, month)] = corrected
    plan.add(
        at + dt.timedelta(hours=1), ClosePeriod(scorecard_id=main, period=reopened), CONTROLLER
    )
    plan.reopened.append(reopened)
