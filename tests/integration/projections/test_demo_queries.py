"""Every query on the demo data, on both backends, with facts the demo documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from domain.periods import Period
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from ledger import Ledger
from ledger.demo import DemoOptions, DemoSummary, generate
from projections import async_projections, inline_projections
from projections.asof import AsOf
from projections.queries.audit import AuditFilter, audit_trail
from projections.queries.history import changes_between, kpi_history
from projections.queries.status import projection_status
from projections.runner import ProjectionRunner
from projections.snapshots import official_snapshot
from tests.feed import settled

END = Period.parse("2026-10")
OPTIONS = DemoOptions(tenant_id="northwind", kpis=12, months=6, end=END)


@pytest.fixture
async def demo(database_url: str) -> AsyncIterator[tuple[SqlEventStore, DemoSummary]]:
    store = open_store(database_url)
    summary = await generate(Ledger(store), OPTIONS)
    await settled(store)
    for projection in async_projections():
        await ProjectionRunner(store, projection).catch_up()
    yield store, summary
    await store.close()


async def test_kpi_history_keeps_the_superseded_value_with_who_and_why(demo):
    store, summary = demo
    async with store.engine.connect() as conn:
        csat = await kpi_history(conn, summary.tenant_id, summary.scorecard_id, "kpi-003")
        incidents = await kpi_history(conn, summary.tenant_id, summary.scorecard_id, "kpi-002")
    assert csat is not None and incidents is not None
    september = [m for m in csat.measurements if m.values["period"] == "2026-09"]
    assert [m.values["value"] for m in september] == [3.5, 4.25]
    first, correction = september
    assert first.values["end_kind"] == "superseded"
    assert first.end_reason and first.end_reason == correction.change_reason
    assert first.valid_to == correction.valid_from
    revised = [t for t in incidents.targets if t.values["period"] == str(END)]
    assert [t.values["value"] for t in revised] == [2.0]
    assert (revised[0].change_reason or "").startswith("budget revision for FY2027")


async def test_changes_between_two_dates_show_the_correction(demo):
    store, summary = demo
    before = dt.datetime(2026, 10, 8, tzinfo=dt.UTC)  # the correction came on 2026-10-12
    async with store.engine.connect() as conn:
        changes = await changes_between(
            conn,
            summary.tenant_id,
            summary.scorecard_id,
            AsOf(time=before),
            AsOf(time=summary.last_recorded_at),
        )
    csat = [c for c in changes if c.entity_id == "kpi-003/2026-09"]
    assert len(csat) == 1
    assert (csat[0].kind, (csat[0].before or {})["value"], (csat[0].after or {})["value"]) == (
        "changed",
        3.5,
        4.25,
    )


async def test_the_audit_trail_finds_the_retraction_and_a_kpis_whole_story(demo):
    store, summary = demo
    async with store.engine.connect() as conn:
        retractions = await audit_trail(
            conn,
            summary.tenant_id,
            AuditFilter(event_types=("scorecard.measurement_retracted",)),
        )
        story = await audit_trail(
            conn,
            summary.tenant_id,
            AuditFilter("kpi", "kpi-003", scorecard_id=summary.scorecard_id),
            first=100,
        )
    assert [(e.entity_id, e.reason) for e in retractions.items] == [
        ("kpi-005", "duplicate feed row: the month was loaded twice under another job")
    ]
    kinds = {e.event_type for e in story.items}
    assert {
        "scorecard.kpi_defined",
        "scorecard.target_set",
        "scorecard.measurement_recorded",
        "scorecard.measurement_corrected",
    } <= kinds
    assert all(e.entity_id == "kpi-003" for e in story.items)
    assert {e.stream_id for e in story.items} == {f"scorecard-{summary.scorecard_id}"}
    assert {e.stream_id for e in story.items} == {f"scorecard-{summary.scorecard_id}"}


async def test_closed_quarters_have_official_snapshots_and_no_projection_lags(demo):
    store, summary = demo
    assert summary.closed_periods
    async with store.engine.connect() as conn:
        for period in summary.closed_periods:
            official = await official_snapshot(
                conn, summary.tenant_id, summary.scorecard_id, period
            )
            assert official is not None, period
            assert official["snapshot"]["period"] == str(period)
            assert official["snapshot"]["closed"] is True
    status = await projection_status(store, inline_projections(), async_projections())
    assert {(s.name, s.lag_events) for s in status} == {
        ("read_models", 0),
        ("period_snapshots", 0),
        ("audit", 0),
        ("ledger", 0),
    }
