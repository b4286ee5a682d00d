"""The demo data generator: deterministic, the expected shape, and figures worked by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from domain.organization import CreateTeam
from domain.periods import Period
from domain.scorecard.commands import CreateScorecard
from domain.scoring import Status
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from ledger import Ledger
from ledger.demo import DemoOptions, DemoSummary, commands, generate
from projections.asof import AsOf
from projections.queries.scorecard import scorecard
from projections.views import KpiView, ScorecardView

SMALL = DemoOptions(tenant_id="small", kpis=12, months=6)  # 2026-05 .. 2026-10


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlEventStore]:
    opened = open_store(database_url)
    yield opened
    await opened.close()


async def view(
    store: SqlEventStore, tenant_id: str, period: str, as_of: dt.datetime | None = None
) -> ScorecardView:
    async with store.engine.connect() as conn:
        found = await scorecard(
            conn,
            tenant_id,
            "sc-it",
            Period.parse(period),
            None if as_of is None else AsOf.at(as_of),
        )
    assert found is not None
    return found


def kpi_count(card: ScorecardView) -> int:
    return sum(len(o.kpis) for p in card.perspectives for o in p.objectives)


def objective_count(card: ScorecardView) -> int:
    return sum(len(p.objectives) for p in card.perspectives)


def figures(kpi: KpiView) -> tuple[float | None, float | None, float | None, Status]:
    e = kpi.evaluation
    return e.actual, e.target, e.score, e.status


def test_the_command_sequence_is_deterministic_and_in_time_order() -> None:
    first = list(commands(SMALL))
    assert first == list(commands(SMALL))
    times = [metadata.recorded_at for _, metadata in first]
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times)

    other_seed = list(commands(DemoOptions(tenant_id="small", kpis=12, months=6, seed=8)))
    assert other_seed != first


def test_every_scorecard_is_for_a_team_created_before_it() -> None:
    created: set[str] = set()
    scorecards = 0
    for command, _ in commands(SMALL):
        if isinstance(command, CreateTeam):
            created.add(command.team_id)
        elif isinstance(command, CreateScorecard):
            scorecards += 1
            assert command.team_id in created, command.scorecard_id
    assert scorecards > 1


def test_options_below_the_minimum_are_refused() -> None:
    with pytest.raises(ValueError, match="KPIs"):
        list(commands(DemoOptions(kpis=4)))
    with pytest.raises(ValueError, match="months"):
        list(commands(DemoOptions(months=2)))


async def test_small_demo_shape_and_worked_figures(store: SqlEventStore) -> None:
    ledger = Ledger(store)
    summary = await generate(ledger, SMALL)
    twin = await generate(ledger, DemoOptions(tenant_id="twin", kpis=12, months=6))
    assert (twin.events, twin.known) == (summary.events, summary.known)

    assert summary.first_period == Period.parse("2026-05")
    assert len(summary.objective_ids) == 12
    assert len(summary.kpi_ids) == 12
    assert summary.events >= summary.commands == len(list(commands(SMALL)))
    assert summary.closed_periods == (Period.parse("2026-Q2"), Period.parse("2026-Q3"))
    assert summary.reopened_periods == (Period.parse("2026-Q2"),)

    now = await view(store, "small", "2026-10")
    assert objective_count(now) == 12
    assert kpi_count(now) == 12
    assert len(now.links) == 5
    assert now.closed is False
    assert (await view(store, "small", "2026-09")).closed is True
    assert (await view(store, "small", "2026-Q3")).closed is True
    # the same seed into another tenant reads back the same
    assert await view(store, "twin", "2026-10") == now

    # kpi-001 availability, 2026-10 is the first month of its quarter: 99.25 against 99.5;
    # higher is better: 99.25 / 99.5 = 0.99749 -> amber (>= 0.9, < 1.0)
    actual, target, score, status = figures(now.kpi("kpi-001"))
    assert (actual, target, status) == (99.25, 99.5, Status.AMBER)
    assert score == pytest.approx(0.997487, abs=1e-6)

    # kpi-001 over 2026-Q3: average(99.25, 99.5, 99.75) = 99.5 against the average of the
    # monthly targets (99.5) -> 99.5 / 99.5 = 1.0 green
    q3 = await view(store, "small", "2026-Q3")
    actual, target, score, status = figures(q3.kpi("kpi-001"))
    assert actual == pytest.approx(99.5)
    assert target == pytest.approx(99.5)
    assert score == pytest.approx(1.0)
    assert status is Status.GREEN

    # kpi-002 P1 incidents, 2026-10 (first month of the quarter): 4 incidents; the target was
    # revised from 3 to 2 from 2026-10; lower is better: 2 / 4 = 0.5 -> red
    assert figures(now.kpi("kpi-002")) == (4.0, 2.0, 0.5, Status.RED)
    # over 2026-Q3 the incidents sum 4 + 2 + 3 = 9 and the targets 3 + 3 + 3 = 9 -> 1.0 green
    assert figures(q3.kpi("kpi-002")) == (9.0, 9.0, 1.0, Status.GREEN)

    # kpi-003 CSAT 2026-09: 3.5 corrected to 4.25; 4.25 / 4.0 = 1.0625 -> green
    september = await view(store, "small", "2026-09")
    assert figures(september.kpi("kpi-003")) == (4.25, 4.0, 1.0625, Status.GREEN)
    # as known on 2026-10-08 (recorded on the 5th, corrected on the 12th): 3.5 / 4.0 = 0.875
    before = await view(store, "small", "2026-09", dt.datetime(2026, 10, 8, tzinfo=dt.UTC))
    assert figures(before.kpi("kpi-003")) == (3.5, 4.0, 0.875, Status.RED)

    # kpi-004 MTTR 2026-09: 5 h against target 4 h with baseline 6 h:
    # (A - B) / (T - B) = (5 - 6) / (4 - 6) = 0.5 -> red
    mttr = september.kpi("kpi-004").evaluation
    assert (mttr.actual, mttr.target, mttr.baseline, mttr.score, mttr.status) == (
        5.0,
        4.0,
        6.0,
        0.5,
        Status.RED,
    )
    # 2026-08 was reported not available: no actual, so no score
    august = await view(store, "small", "2026-08")
    assert figures(august.kpi("kpi-004")) == (None, 4.0, None, Status.NO_DATA)

    # kpi-005 change failure rate, within 0..15: 18 is 3 above the range, which is 15 wide:
    # 1 - 3 / 15 = 0.8 -> red; no target needed
    actual, target, score, status = figures(now.kpi("kpi-005"))
    assert (actual, target, status) == (18.0, None, Status.RED)
    assert score == pytest.approx(0.8)
    # its 2026-09 measurement was retracted
    assert figures(september.kpi("kpi-005")) == (None, None, None, Status.NO_DATA)

    await check_known_against_the_query(store, summary)


async def check_known_against_the_query(store: SqlEventStore, summary: DemoSummary) -> None:
    """Every figure the summary advertises reads back through the scorecard query."""
    assert len(summary.known) == 9
    for key, known in summary.known.items():
        card = await view(store, summary.tenant_id, str(known.period), known.as_of)
        evaluation = card.kpi(known.kpi_id).evaluation
        assert evaluation.actual == pytest.approx(known.actual), key
        assert evaluation.target == pytest.approx(known.target), key
        assert evaluation.baseline == known.baseline, key
        assert evaluation.score == pytest.approx(known.score), key
        assert evaluation.status is known.status, key


async def test_default_demo_on_sqlite(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    try:
        summary = await generate(Ledger(store))
        assert summary.first_period == Period.parse("2024-11")
        assert len(summary.kpi_ids) == 40
        assert len(summary.team_ids) == 6
        assert len(summary.scorecard_ids) == 5
        assert summary.events > summary.commands > 1000
        assert summary.first_recorded_at == dt.datetime(2024, 11, 1, 8, tzinfo=dt.UTC)
        # the last month's corrections are recorded on the 12th of the month after it
        assert summary.last_recorded_at.date() == dt.date(2026, 11, 12)
        # every complete quarter touching the window before the last month is closed
        assert [str(p) for p in summary.closed_periods] == [
            "2024-Q4",
            "2025-Q1",
            "2025-Q2",
            "2025-Q3",
            "2025-Q4",
            "2026-Q1",
            "2026-Q2",
            "2026-Q3",
        ]
        card = await view(store, "demo", "2026-10")
        assert objective_count(card) == 12
        assert kpi_count(card) == 40
        assert all(o.kpis for p in card.perspectives for o in p.objectives)
        assert sum(len(o.initiatives) for p in card.perspectives for o in p.objectives) >= 7
        assert card.score is not None
        await check_known_against_the_query(store, summary)
    finally:
        await store.close()
