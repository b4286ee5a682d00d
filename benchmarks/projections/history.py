"""The generated history: valid domain events for the demo scorecards, batch by batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import domain.scorecard.events as sc
from benchmarks.projections.workload import OLDER_MONTHS, OTHER_CYCLE, REASONS
from domain.evaluation import trend_periods
from domain.periods import Granularity, Period
from eventstore.sql import SqlEventStore
from projections.queries.scorecard import DEFAULT_TREND


@dataclass(frozen=True, slots=True)
class KpiInfo:
    granularity: Granularity
    source: str
    base: float


MeasurementKey = tuple[str, Period]


@dataclass
class Card:
    """One scorecard stream and what the generator must know to write valid events for it:
    the current measurement of every KPI and period, and the closed periods."""

    tenant_id: str
    scorecard_id: str
    version: int
    kpis: dict[str, KpiInfo]
    current: dict[MeasurementKey, str]
    closed: set[Period]
    frontier: int  # month ordinal of the next older month to record
    limit: int  # no older month than this
    cycle: tuple[str, ...]
    by_quarter: dict[Period, list[MeasurementKey]] = field(default_factory=dict)
    turn: int = 0
    cursors: dict[str, int] = field(default_factory=dict)
    events: int = 0

    @property
    def stream(self) -> str:
        return f"scorecard-{self.scorecard_id}"

    def __post_init__(self) -> None:
        for key in sorted(self.current, key=lambda k: (k[1], k[0])):
            self.by_quarter.setdefault(key[1].quarter_of, []).append(key)
        if any(p.granularity is not Granularity.QUARTER for p in self.closed):
            raise ValueError(f"{self.scorecard_id}: only closed quarters are supported")

    def next_kind(self) -> str:
        kind = self.cycle[self.turn % len(self.cycle)]
        self.turn += 1
        return kind

    def pick_quarter(self, pool: str, quarters: list[Period]) -> Period:
        at = self.cursors.get(pool, 0)
        self.cursors[pool] = at + 1
        return quarters[at % len(quarters)]


class History:
    """Decides the next batch of events: which scorecard, which kind, which keys."""

    def __init__(self, focus: Card, others: list[Card], end: Period) -> None:
        self.focus = focus
        self.others = others
        self.end = end
        self.current_quarter = end.quarter_of
        window = trend_periods(end, DEFAULT_TREND)
        self.window_quarters = {p.quarter_of for p in window} - {self.current_quarter}
        self.counter = 0
        self.other_turn = 0
        self.other_events = 0

    def next_card(self) -> Card:
        if self.focus.events <= self.other_events:
            return self.focus
        card = self.others[self.other_turn % len(self.others)]
        self.other_turn += 1
        return card

    def batch(self, card: Card, size: int) -> list[sc.ScorecardEvent]:
        kind = card.next_kind()
        if kind == "older" and card.frontier >= card.limit:
            events = self._older(card, size)
            if events:
                return self._count(card, events)
            kind = "past"
        quarters = sorted(card.by_quarter)
        current = [q for q in quarters if q == self.current_quarter]
        window = [q for q in quarters if q in self.window_quarters]
        past = [q for q in quarters if q != self.current_quarter and q not in self.window_quarters]
        pools = {"current": current, "window": window, "past": past}
        chosen = pools.get(kind) or past or quarters
        quarter = card.pick_quarter(kind, chosen)
        if quarter in card.closed and size < 3:  # no room to reopen and close again
            quarter = next(q for q in quarters if q not in card.closed)
        return self._count(card, self._corrections(card, quarter, size))

    def _count(self, card: Card, events: list[sc.ScorecardEvent]) -> list[sc.ScorecardEvent]:
        card.events += len(events)
        if card is not self.focus:
            self.other_events += len(events)
        return events

    def _corrections(self, card: Card, quarter: Period, size: int) -> list[sc.ScorecardEvent]:
        keys = card.by_quarter[quarter]
        reopen = quarter in card.closed
        events: list[sc.ScorecardEvent] = []
        if reopen:
            reason = "audit adjustment: restated figures for the quarter"
            events.append(
                sc.PeriodReopened(scorecard_id=card.scorecard_id, period=quarter, reason=reason)
            )
        body = size - 2 if reopen else size
        for i in range(body):
            events.append(self._correct(card, keys[i % len(keys)]))
        if reopen:
            events.append(sc.PeriodClosed(scorecard_id=card.scorecard_id, period=quarter))
        return events

    def _correct(self, card: Card, key: MeasurementKey) -> sc.MeasurementCorrected:
        self.counter += 1
        n = self.counter
        kpi_id, period = key
        info = card.kpis[kpi_id]
        measurement_id = f"h{n}-{kpi_id}-{period}"
        event = sc.MeasurementCorrected(
            scorecard_id=card.scorecard_id,
            measurement_id=measurement_id,
            supersedes=card.current[key],
            kpi_id=kpi_id,
            period=period,
            value=round(info.base * (1 + 0.002 * (n % 11 - 5)), 3),
            not_available=False,
            source_system=info.source,
            external_reference=f"{info.source}:{kpi_id}:{period}:h{n}",
            note="",
            reason=REASONS[n % len(REASONS)],
        )
        card.current[key] = measurement_id
        return event

    def _older(self, card: Card, size: int) -> list[sc.ScorecardEvent]:
        """Measurements of months (and quarters) before anything the scorecard holds."""
        events: list[sc.ScorecardEvent] = []
        while card.frontier >= card.limit:
            month = Period.from_month_ordinal(card.frontier)
            for kpi_id in sorted(card.kpis):
                info = card.kpis[kpi_id]
                period = month if info.granularity is Granularity.MONTH else month.quarter_of
                key = (kpi_id, period)
                if key in card.current:
                    continue
                if len(events) == size:
                    return events
                self.counter += 1
                n = self.counter
                measurement_id = f"h{n}-{kpi_id}-{period}"
                events.append(
                    sc.MeasurementRecorded(
                        scorecard_id=card.scorecard_id,
                        measurement_id=measurement_id,
                        kpi_id=kpi_id,
                        period=period,
                        value=round(info.base * (1 + 0.01 * (n % 7 - 3)), 3),
                        not_available=False,
                        source_system=info.source,
                        external_reference=f"{info.source}:{kpi_id}:{period}",
                        note="",
                    )
                )
                card.current[key] = measurement_id
                card.by_quarter.setdefault(period.quarter_of, []).append(key)
            card.frontier -= 1
        return events


async def load_card(conn: Any, store: SqlEventStore, tenant_id: str, scorecard_id: str) -> Card:
    """The generator's view of one scorecard, from the current read-model rows."""
    kpis: dict[str, KpiInfo] = {}
    kpi_rows = await conn.fetch(
        "SELECT kpi_id, frequency FROM rm_kpis WHERE tenant_id = $1 AND scorecard_id = $2 "
        "AND sys_to_pos IS NULL AND NOT retired ORDER BY kpi_id",
        tenant_id,
        scorecard_id,
    )
    rows = await conn.fetch(
        "SELECT kpi_id, period, measurement_id, value, source_system FROM rm_measurements "
        "WHERE tenant_id = $1 AND scorecard_id = $2 AND sys_to_pos IS NULL "
        "ORDER BY kpi_id, period_start",
        tenant_id,
        scorecard_id,
    )
    sources: dict[str, str] = {}
    bases: dict[str, float] = {}
    current: dict[MeasurementKey, str] = {}
    for row in rows:
        current[(row["kpi_id"], Period.parse(row["period"]))] = row["measurement_id"]
        sources.setdefault(row["kpi_id"], row["source_system"])
        if row["value"] is not None:
            bases.setdefault(row["kpi_id"], float(row["value"]))
    for row in kpi_rows:
        kpi_id = row["kpi_id"]
        granularity = Granularity.QUARTER if "quarter" in row["frequency"] else Granularity.MONTH
        kpis[kpi_id] = KpiInfo(
            granularity, sources.get(kpi_id, "bench-feed"), bases.get(kpi_id, 1.0) or 1.0
        )
    current = {key: mid for key, mid in current.items() if key[0] in kpis}
    closed = {
        Period.parse(row["period"])
        for row in await conn.fetch(
            "SELECT period FROM rm_period_closes WHERE tenant_id = $1 AND scorecard_id = $2 "
            "AND sys_to_pos IS NULL",
            tenant_id,
            scorecard_id,
        )
    }
    earliest = min(
        [key[1].first_month_ordinal for key in current]
        + [p.quarter_of.first_month_ordinal for p in closed]
    )
    info = await store.stream_info(tenant_id, f"scorecard-{scorecard_id}")
    return Card(
        tenant_id=tenant_id,
        scorecard_id=scorecard_id,
        version=info.version,
        kpis=kpis,
        current=current,
        closed=closed,
        frontier=earliest - 1,
        limit=earliest - OLDER_MONTHS,
        cycle=OTHER_CYCLE,
    )
