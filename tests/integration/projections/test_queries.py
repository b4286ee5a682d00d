"""The read models and their queries on both backends, with figures worked out by hand."""

from __future__ import annotations

import dataclasses

import pytest

from domain.errors import DomainError
from domain.kpi_kinds import Direction
from domain.scorecard import commands as c
from domain.scoring import Status, Thresholds
from projections import async_projections
from projections.asof import AsOf
from projections.queries.audit import AuditFilter, audit_trail
from projections.queries.history import changes_between, kpi_history
from projections.queries.scorecard import scorecard
from projections.queries.status import projection_status
from projections.read_models import ReadModelProjection
from projections.runner import ProjectionRunner
from tests.feed import settled
from tests.integration.projections.support import (
    SC,
    P,
    kpi,
    measure,
    target,
)


async def test_a_monthly_scorecard_scores_and_rolls_up_as_worked_by_hand(s):
    async with s.conn() as conn:
        view = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
    assert view is not None
    avail, mttr, cost = view.kpi("avail"), view.kpi("mttr"), view.kpi("cost")
    # avail: 99.9 / 99.0 = 1.00909 (higher is better, no baseline) -> green
    assert (avail.evaluation.actual, avail.evaluation.target) == (99.9, 99.0)
    assert avail.score == pytest.approx(1.009091, abs=1e-6)
    assert avail.status is Status.GREEN
    # mttr: 4.0 / 2.0 = 2.0, capped at 1.5 (lower is better) -> green
    assert mttr.score == pytest.approx(1.5)
    # cost: (130 - 120) / (100 - 120) = -0.5, never negative -> 0.0, red
    assert cost.score == 0.0 and cost.status is Status.RED
    assert view.kpi("skills").status is Status.NO_DATA
    objectives = {o.objective_id: o for p in view.perspectives for o in p.objectives}
    # o-service: (1.00909 * 1 + 1.5 * 3) / 4 = 1.37727
    assert objectives["o-service"].score == pytest.approx(1.377273, abs=1e-6)
    assert objectives["o-people"].status is Status.NO_DATA
    # scorecard: Financial 0.0 and Customer 1.37727 count; the others have no data
    assert view.score == pytest.approx((0.0 + 1.377273) / 2, abs=1e-6)
    assert view.status is Status.RED
    assert [p.name for p in view.perspectives] == [
        "Financial",
        "Customer",
        "Internal Process",
        "Learning & Growth",
    ]
    assert [e.actual for e in avail.trend] == [None, None, None, 99.0, 98.0, 99.9]


async def test_a_quarter_aggregates_its_months_by_each_kpis_aggregation(s):
    async with s.conn() as conn:
        view = await scorecard(conn, s.tenant_id, SC, P("2026-Q1"))
    assert view is not None
    avail, mttr, cost = (view.kpi(k).evaluation for k in ("avail", "mttr", "cost"))
    # avail averages: (99 + 98 + 99.9) / 3 = 98.9667 against 99 -> 0.99966, amber
    assert avail.actual == pytest.approx(98.966667, abs=1e-6)
    assert avail.target == 99.0
    assert avail.status is Status.AMBER
    # mttr averages: (5 + 4 + 2) / 3 = 3.6667 against 4 -> 4 / 3.6667 = 1.0909, green
    assert mttr.score == pytest.approx(1.090909, abs=1e-6)
    # cost sums: 340 against a target of 300 and a baseline of 360:
    # (340 - 360) / (300 - 360) = 0.3333
    assert (cost.actual, cost.target, cost.baseline) == (340.0, 300.0, 360.0)
    assert cost.score == pytest.approx(1 / 3)
    # scorecard: Financial 0.3333, Customer (0.99966 + 3 * 1.0909) / 4 = 1.0681
    assert view.score == pytest.approx((1 / 3 + 1.068099) / 2, abs=1e-5)


def _floats_not_float(value: object, path: str = "view") -> list[str]:
    """Where a field declared ``float`` holds something else (a whole number as an int)."""
    if isinstance(value, (list, tuple)):
        return [bad for i, v in enumerate(value) for bad in _floats_not_float(v, f"{path}[{i}]")]
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return []
    bad = []
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if "float" in str(f.type) and item is not None and type(item) is not float:
            bad.append(f"{path}.{f.name}={item!r}")
        bad.extend(_floats_not_float(item, f"{path}.{f.name}"))
    return bad


async def test_whole_numbers_in_float_columns_read_as_floats_on_every_backend(s):
    await s.run(
        kpi(
            "band",
            "o-cost",
            direction=Direction.WITHIN_RANGE,
            range_low=10.0,
            range_high=20.0,
            thresholds=Thresholds(green=2.0, amber=1.0),
        )
    )
    await s.run(target("band", "2026-01", 15.0, baseline=5.0, stretch=12.0))
    await s.run(measure("b-2026-03", "band", "2026-03", 15.0))
    async with s.conn() as conn:
        view = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
    assert view is not None
    band = view.kpi("band")
    assert (band.weight, band.range_low, band.green, band.evaluation.stretch) == (
        1.0, 10.0, 2.0, 12.0
    )  # fmt: skip
    assert view.kpi("cost").evaluation.baseline == 120.0
    assert _floats_not_float(view) == []


async def test_a_write_is_visible_to_the_next_read(s):
    await s.run(measure("a-2026-04", "avail", "2026-04", 95.0))
    async with s.conn() as conn:
        view = await scorecard(conn, s.tenant_id, SC, P("2026-04"))
    assert view is not None and view.kpi("avail").evaluation.actual == 95.0


async def test_renaming_to_the_same_name_returns_the_scorecards_last_position(s):
    last = await s.run(c.RenameScorecard(scorecard_id=SC, name="Ops 2027"))
    again = await s.run(c.RenameScorecard(scorecard_id=SC, name="Ops 2027"))
    assert again.events == [] and again.version == last.version
    assert again.token is not None and again.token == last.token


async def test_a_correction_supersedes_and_the_past_stays_queryable(s):
    before = s.clock.now
    await s.run(
        measure("a-2026-03b", "avail", "2026-03", 97.0, reason="probe missed an outage"),
        actor="bob",
    )
    async with s.conn() as conn:
        now = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
        then = await scorecard(conn, s.tenant_id, SC, P("2026-03"), AsOf(time=before))
        history = await kpi_history(conn, s.tenant_id, SC, "avail")
    assert now is not None and then is not None
    assert now.kpi("avail").evaluation.actual == 97.0
    assert then.kpi("avail").evaluation.actual == 99.9
    assert then.as_of == before.isoformat()
    assert history is not None
    march = [m for m in history.measurements if m.values["period"] == "2026-03"]
    assert [m.values["value"] for m in march] == [99.9, 97.0]
    first, second = march
    assert (first.values["end_kind"], first.ended_by, first.end_reason) == (
        "superseded",
        "bob",
        "probe missed an outage",
    )
    assert (second.changed_by, second.change_reason, second.values["supersedes"]) == (
        "bob",
        "probe missed an outage",
        "a-2026-03",
    )
    assert second.valid_to is None


async def test_a_reason_given_with_a_first_value_shows_in_the_kpi_history(s):
    await s.run(measure("a-2026-04", "avail", "2026-04", 95.0, reason="backfilled from ITSM"))
    async with s.conn() as conn:
        history = await kpi_history(conn, s.tenant_id, SC, "avail")
    assert history is not None
    april = [m for m in history.measurements if m.values["period"] == "2026-04"]
    assert [(m.change_event, m.change_reason) for m in april] == [
        ("scorecard.measurement_recorded", "backfilled from ITSM")
    ]


async def test_a_retracted_measurement_leaves_no_data_but_stays_in_history(s):
    await s.run(
        c.RetractMeasurement(
            scorecard_id=SC, kpi_id="cost", period=P("2026-03"), reason="duplicate invoice"
        )
    )
    async with s.conn() as conn:
        view = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
        history = await kpi_history(conn, s.tenant_id, SC, "cost")
    assert view is not None and view.kpi("cost").status is Status.NO_DATA
    assert history is not None
    retracted = [m for m in history.measurements if m.values["end_kind"] == "retracted"]
    assert [(m.values["period"], m.end_reason) for m in retracted] == [
        ("2026-03", "duplicate invoice")
    ]


async def test_kpi_history_lists_every_target_change_with_actor_and_reason(s):
    await s.run(
        c.ChangeTarget(
            scorecard_id=SC,
            kpi_id="avail",
            period=P("2026-01"),
            value=99.5,
            effective_from=True,
            reason="new SLA",
        ),
        actor="carol",
    )
    await s.run(
        c.ClearTarget(scorecard_id=SC, kpi_id="avail", period=P("2026-01"), reason="SLA withdrawn"),
        actor="dave",
    )
    async with s.conn() as conn:
        history = await kpi_history(conn, s.tenant_id, SC, "avail")
        view = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
    assert history is not None
    assert [
        (t.values["value"], t.changed_by, t.change_reason, t.ended_by, t.end_reason)
        for t in history.targets
    ] == [
        (99.0, "alice", "plan", "carol", "new SLA"),
        (99.5, "carol", "new SLA", "dave", "SLA withdrawn"),
    ]
    assert view is not None and view.kpi("avail").evaluation.target is None
    assert [d.change_event for d in history.definitions] == ["scorecard.kpi_defined"]


async def test_as_of_a_position_shows_the_scorecard_before_later_events(s):
    cut = (await s.store.read_stream(s.tenant_id, f"scorecard-{SC}"))[-1].feed_position
    await s.run(c.RetireKpi(scorecard_id=SC, kpi_id="cost"))
    async with s.conn() as conn:
        now = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
        then = await scorecard(conn, s.tenant_id, SC, P("2026-03"), AsOf(position=cut))
    assert now is not None and then is not None
    with pytest.raises(KeyError):
        now.kpi("cost")
    assert then.kpi("cost").score == 0.0


async def test_a_scorecard_that_did_not_exist_yet_is_none(s):
    async with s.conn() as conn:
        assert await scorecard(conn, s.tenant_id, SC, P("2026-03"), AsOf(time=s.times[0])) is None
        assert await scorecard(conn, "someone-else", SC, P("2026-03")) is None


async def test_changes_between_two_moments_name_what_changed_and_the_events(s):
    since = s.clock.now
    await s.run(
        c.ChangeTarget(
            scorecard_id=SC,
            kpi_id="mttr",
            period=P("2026-01"),
            value=3.0,
            effective_from=True,
            reason="tighter SLA",
        ),
        actor="carol",
    )
    await s.run(measure("m-2026-04", "mttr", "2026-04", 3.5))
    await s.run(c.EditKpi(scorecard_id=SC, kpi_id="cost", unit="EUR"))
    until = s.clock.now
    await s.run(measure("a-2026-04", "avail", "2026-04", 99.0))  # after the window
    async with s.conn() as conn:
        changes = await changes_between(conn, s.tenant_id, SC, AsOf(time=since), AsOf(time=until))
    found = {(ch.entity_type, ch.entity_id, ch.kind) for ch in changes}
    assert found == {
        ("target", "mttr/2026-01", "changed"),
        ("measurement", "mttr/2026-04", "added"),
        ("kpi", "cost", "changed"),
    }
    target = next(ch for ch in changes if ch.entity_type == "target")
    assert (target.before or {})["value"] == 4.0 and (target.after or {})["value"] == 3.0
    assert [e.change_reason for e in target.events if e.valid_from > since] == ["tighter SLA"]


async def test_the_audit_trail_filters_and_pages_after_the_runner_caught_up(s):
    runner = ProjectionRunner(
        s.store, next(p for p in async_projections() if p.name == "audit"), batch_size=7
    )
    await settled(s.store)
    await runner.catch_up()
    await s.run(measure("a-2026-04", "avail", "2026-04", 95.0), actor="integration")
    await settled(s.store)
    await runner.catch_up()
    async with s.conn() as conn:
        everything = await audit_trail(conn, s.tenant_id, first=100)
        by_kpi = await audit_trail(conn, s.tenant_id, AuditFilter("kpi", "avail"), first=2)
        page2 = await audit_trail(
            conn, s.tenant_id, AuditFilter("kpi", "avail"), first=2, after=by_kpi.end_cursor
        )
        by_actor = await audit_trail(conn, s.tenant_id, AuditFilter(actor="integration"))
        targets = await audit_trail(
            conn, s.tenant_id, AuditFilter(event_types=("scorecard.target_set",))
        )
        early = await audit_trail(conn, s.tenant_id, AuditFilter(until=s.times[2]))
    events = await s.store.read_feed(limit=1000, tenant_id=s.tenant_id)
    assert [e.event_id for e in everything.items] == [str(e.event_id) for e in events]
    avail_events = [e for e in events if e.data.get("kpi_id") == "avail"]
    assert [i.event_id for i in by_kpi.items + page2.items] == [
        str(e.event_id) for e in avail_events[:4]
    ]
    assert by_kpi.has_next_page
    assert [i.actor for i in by_actor.items] == ["integration"]
    assert [i.entity_id for i in targets.items] == ["avail", "mttr", "cost"]
    assert [i.event_type for i in early.items] == [
        "organization.created",
        "organization.team_created",
    ]


async def test_projection_status_reports_the_lag_of_async_projections(s):
    audit = next(p for p in async_projections() if p.name == "audit")
    await settled(s.store)
    before = await projection_status(s.store, (ReadModelProjection(),), (audit,))
    total = len(await s.store.read_feed(limit=10_000))
    assert [(x.name, x.lifecycle, x.lag_events) for x in before] == [
        ("read_models", "inline", 0),
        ("audit", "async", total),
    ]
    assert before[1].lag_seconds > 0
    await ProjectionRunner(s.store, audit).catch_up()
    after = await projection_status(s.store, (ReadModelProjection(),), (audit,))
    assert (after[1].lag_events, after[1].lag_seconds) == (0, 0.0)
    assert after[1].checkpoint == str(await s.store.head())


async def test_closing_a_period_stores_the_official_snapshot(s):
    from projections.snapshots import PeriodSnapshotProjection, official_snapshot

    await s.run(c.ClosePeriod(scorecard_id=SC, period=P("2026-Q1")))
    with pytest.raises(DomainError) as closed:
        await s.run(measure("a-2026-03c", "avail", "2026-03", 50.0, reason="late fix"))
    assert closed.value.code == "period.closed"
    await settled(s.store)
    runner = ProjectionRunner(s.store, PeriodSnapshotProjection())
    await runner.catch_up()
    async with s.conn() as conn:
        official = await official_snapshot(conn, s.tenant_id, SC, P("2026-Q1"))
        view = await scorecard(conn, s.tenant_id, SC, P("2026-Q1"))
    assert official is not None and view is not None
    assert view.closed
    assert official["snapshot"]["score"] == pytest.approx(view.score)


async def test_two_scorecards_of_one_tenant_may_reuse_ids_without_touching_each_other(s):
    other = "sc-2"
    await s.run(
        c.CreateScorecard(
            scorecard_id=other,
            team_id="ops",
            name="Ops 2027",
            perspective_ids=("fin", "cus", "int", "lrn"),
        )
    )
    await s.run(
        c.AddObjective(
            scorecard_id=other,
            objective_id="o-service",
            perspective_id="cus",
            title="Keep services up",
        )
    )
    await s.run(kpi("avail", "o-service", scorecard_id=other))
    await s.run(
        c.RecordMeasurement(
            scorecard_id=other,
            measurement_id="a-2026-03",
            kpi_id="avail",
            period=P("2026-03"),
            value=50.0,
            not_available=False,
            source_system="x",
            external_reference="r",
            note="",
        )
    )
    await s.run(
        c.RecordMeasurement(
            scorecard_id=other,
            measurement_id="a-2026-03-fix",
            kpi_id="avail",
            period=P("2026-03"),
            value=60.0,
            not_available=False,
            source_system="x",
            external_reference="r2",
            note="",
            reason="fix",
        )
    )
    await s.run(c.RenamePerspective(scorecard_id=other, perspective_id="cus", name="Users"))
    async with s.conn() as conn:
        mine = await scorecard(conn, s.tenant_id, SC, P("2026-03"))
        theirs = await scorecard(conn, s.tenant_id, other, P("2026-03"))
        history = await kpi_history(conn, s.tenant_id, SC, "avail")
    assert mine is not None and theirs is not None
    assert mine.kpi("avail").evaluation.actual == 99.9
    assert theirs.kpi("avail").evaluation.actual == 60.0
    assert [p.name for p in mine.perspectives][1] == "Customer"
    assert [p.name for p in theirs.perspectives][1] == "Users"
    assert history is not None
    assert [m.values["value"] for m in history.measurements if m.values["period"] == "2026-03"] == [
        99.9
    ]
