"""Properties over random command sequences, on both backends:

- the read models built incrementally (inline) equal a rebuild from the log;
- the scorecard "as of" any moment T equals a replay of only the events recorded up to T,
  folded with the domain and scored with the domain's functions.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.commands import Command
from domain.errors import DomainError
from domain.evaluation import KpiEvaluation, KpiSpec, TargetSpec, evaluate_kpi
from domain.kpi_kinds import Aggregation, Direction
from domain.periods import Period
from domain.scorecard import commands as c
from domain.scorecard import scorecard_decider
from domain.scorecard.state import ScorecardState
from domain.scoring import ScoringDefaults, roll_up
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from projections.asof import AsOf
from projections.queries.scorecard import scorecard
from projections.read_models import ReadModelProjection
from projections.rebuild import rebuild
from projections.tables import READ_MODEL_TABLES
from projections.views import ScorecardView
from streams.codec import codec
from tests.integration.projections.support import SC, Scenario, build_small_scorecard, kpi

MONTHS = [Period.parse(f"2026-{m:02d}") for m in range(1, 5)]
QUARTERS = [Period.parse("2026-Q1"), Period.parse("2026-Q2")]
CHECKED = [*MONTHS, *QUARTERS, Period.parse("2026")]
KPIS = ["avail", "mttr", "cost", "skills", "band"]
OBJECTIVES = ["o-cost", "o-service", "o-people"]

values = st.floats(min_value=-50, max_value=200, allow_nan=False).map(lambda v: round(v, 2))
months = st.sampled_from(MONTHS)
periods = st.sampled_from([MONTHS[0], MONTHS[1], QUARTERS[0]])


def _measure(k: str, p: Period, v: float | None, reason: str | None) -> Command:
    return c.RecordMeasurement(
        scorecard_id=SC,
        measurement_id=uuid.uuid4().hex,
        kpi_id=k,
        period=p,
        value=v,
        not_available=v is None,
        source_system="prop",
        external_reference=uuid.uuid4().hex,
        note="",
        reason=reason,
    )


operations = st.one_of(
    st.builds(
        lambda k, p, v: _measure(k, p, v, None),
        st.sampled_from(KPIS),
        months,
        st.one_of(st.none(), values),
    ),
    st.builds(lambda k, p, v: _measure(k, p, v, "fix"), st.sampled_from(KPIS), months, values),
    st.builds(lambda k, p: _measure(k, p, 0.0, None), st.just("skills"), st.sampled_from(QUARTERS)),
    st.builds(
        lambda k, p: c.RetractMeasurement(scorecard_id=SC, kpi_id=k, period=p, reason="wrong"),
        st.sampled_from(KPIS),
        months,
    ),
    st.builds(
        lambda k, p, v, b, f: c.SetTarget(
            scorecard_id=SC,
            kpi_id=k,
            period=p,
            value=v,
            baseline=b,
            effective_from=f,
            reason="plan",
        ),
        st.sampled_from(KPIS),
        periods,
        values,
        st.one_of(st.none(), values),
        st.booleans(),
    ),
    st.builds(
        lambda k, p, v, f: c.ChangeTarget(
            scorecard_id=SC, kpi_id=k, period=p, value=v, effective_from=f, reason="revised"
        ),
        st.sampled_from(KPIS),
        periods,
        values,
        st.booleans(),
    ),
    st.builds(
        lambda k, p: c.ClearTarget(scorecard_id=SC, kpi_id=k, period=p, reason="gone"),
        st.sampled_from(KPIS),
        periods,
    ),
    st.builds(lambda p: c.ClosePeriod(scorecard_id=SC, period=p), st.sampled_from(QUARTERS)),
    st.builds(
        lambda p: c.ReopenPeriod(scorecard_id=SC, period=p, reason="audit"),
        st.sampled_from(QUARTERS),
    ),
    st.builds(
        lambda k, w: c.EditKpi(scorecard_id=SC, kpi_id=k, weight=w),
        st.sampled_from(KPIS),
        st.sampled_from([0.5, 1.0, 2.0, 5.0]),
    ),
    st.builds(
        lambda k, o: c.MoveKpi(scorecard_id=SC, kpi_id=k, objective_id=o),
        st.sampled_from(KPIS),
        st.sampled_from(OBJECTIVES),
    ),
    st.builds(
        lambda o, w: c.ReweightObjective(scorecard_id=SC, objective_id=o, weight=w),
        st.sampled_from(OBJECTIVES),
        st.sampled_from([0.5, 1.0, 3.0]),
    ),
    st.builds(lambda k: c.RetireKpi(scorecard_id=SC, kpi_id=k), st.sampled_from(KPIS)),
)


async def _play(store: SqlEventStore, tenant: str, ops: list[Command]) -> Scenario:
    s = Scenario(store, tenant)
    await build_small_scorecard(s)
    await s.run(
        kpi(
            "band",
            "o-cost",
            direction=Direction.WITHIN_RANGE,
            range_low=10.0,
            range_high=20.0,
            aggregation=Aggregation.AVERAGE,
        )
    )
    for op in ops:
        try:
            await s.run(op)
        except DomainError:
            s.times.pop()  # rejected: nothing was recorded at that moment
    return s


async def _rows(store: SqlEventStore, tenant: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row of the tenant, without row ids and generations, sorted."""
    snapshot = {}
    async with store.engine.connect() as conn:
        for table in READ_MODEL_TABLES:
            columns = [col for col in table.c if col.name not in ("row_id", "generation")]
            rows = (
                await conn.execute(sa.select(*columns).where(table.c.tenant_id == tenant))
            ).all()
            snapshot[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return snapshot


def _expected(
    state: ScorecardState, period: Period
) -> tuple[dict[str, KpiEvaluation], dict[str, float | None], float | None]:
    defaults = ScoringDefaults()
    evaluations: dict[str, KpiEvaluation] = {}
    for kpi_id, k in state.kpis.items():
        if k.retired or state.objectives[k.objective_id].retired:
            continue
        spec = KpiSpec(
            k.direction, k.frequency, k.aggregation, k.range_low, k.range_high, k.thresholds
        )
        measured = {
            p: (None if m.not_available else m.value)
            for (kid, p), m in state.measurements.items()
            if kid == kpi_id
        }
        targets = [
            TargetSpec(t.period, t.effective_from, t.value, t.baseline, t.stretch)
            for (kid, _), t in state.targets.items()
            if kid == kpi_id
        ]
        evaluations[kpi_id] = evaluate_kpi(spec, measured, targets, period, defaults)
    objective_scores = {
        oid: roll_up(
            (evaluations[kid].score, state.kpis[kid].weight)
            for kid in evaluations
            if state.kpis[kid].objective_id == oid
        )
        for oid, o in state.objectives.items()
        if not o.retired
    }
    perspective_scores = [
        (
            roll_up(
                (objective_scores[oid], state.objectives[oid].weight)
                for oid in objective_scores
                if state.objectives[oid].perspective_id == pid
            ),
            state.perspectives[pid].weight,
        )
        for pid in state.perspective_order
    ]
    return evaluations, objective_scores, roll_up(perspective_scores)


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    )


async def _check_as_of(s: Scenario, moment_index: int, period: Period) -> None:
    moment = s.times[moment_index % len(s.times)]
    recorded = await s.store.read_stream(s.tenant_id, f"scorecard-{SC}", as_of_time=moment)
    state = scorecard_decider.fold(codec.decode(e) for e in recorded)
    # The same moment named by its time and by the feed position of its last event.
    moments = [AsOf(time=moment)]
    if recorded:
        moments.append(AsOf(position=recorded[-1].feed_position))
    for as_of in moments:
        async with s.conn() as conn:
            view = await scorecard(conn, s.tenant_id, SC, period, as_of)
        _check_view(state, period, view)


def _check_view(state: ScorecardState, period: Period, view: ScorecardView | None) -> None:
    if not state.exists:
        assert view is None
        return
    assert view is not None
    evaluations, objectives, total = _expected(state, period)
    shown = {k.kpi_id: k for p in view.perspectives for o in p.objectives for k in o.kpis}
    assert set(shown) == set(evaluations)
    for kpi_id, expected in evaluations.items():
        got = shown[kpi_id].evaluation
        assert _close(got.actual, expected.actual), kpi_id
        assert _close(got.target, expected.target), kpi_id
        assert _close(got.score, expected.score), kpi_id
        assert got.status == expected.status, kpi_id
    shown_objectives = {o.objective_id: o.score for p in view.perspectives for o in p.objectives}
    assert set(shown_objectives) == set(objectives)
    for objective_id, score in objectives.items():
        assert _close(shown_objectives[objective_id], score), objective_id
    assert _close(view.score, total)


PROPERTY_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(ops=st.lists(operations, max_size=25))
def test_incremental_read_models_equal_a_rebuild_from_the_log(database_url: str, ops):
    async def check() -> None:
        store = open_store(database_url)
        try:
            tenant = uuid.uuid4().hex
            await _play(store, tenant, ops)
            before = await _rows(store, tenant)
            await rebuild(store, ReadModelProjection(), batch_size=7)
            assert await _rows(store, tenant) == before
        finally:
            await store.close()

    asyncio.run(check())


@PROPERTY_SETTINGS
@given(ops=st.lists(operations, max_size=30), moment=st.integers(0, 200))
def test_the_scorecard_as_of_a_moment_equals_a_replay_up_to_that_moment(
    database_url: str, ops, moment: int
):
    async def check() -> None:
        store = open_store(database_url)
        try:
            s = await _play(store, uuid.uuid4().hex, ops)
            for period in CHECKED:
                await _check_as_of(s, moment, period)
                await _check_as_of(s, len(s.times) - 1, period)  # and as of the last moment
        finally:
            await store.close()

    asyncio.run(check())
