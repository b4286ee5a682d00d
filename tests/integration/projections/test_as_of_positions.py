"""As of a feed position, across streams, on both backends.

On PostgreSQL global positions do not follow the feed's (transaction id, position) order
across streams: a transaction can draw its position after another transaction that started
writing later (and so has a greater transaction id). Restarting the position sequence between
appends produces that order deterministically (never within one stream: there a later version
always draws a later position, its append having seen the earlier one). On SQLite positions
are commit order and the same answers hold trivially.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from domain.organization import ChangeScoringDefaults
from domain.scorecard import commands as c
from domain.scoring import ScoringDefaults, Status, Thresholds
from eventstore import FeedPosition
from projections.asof import AsOf
from projections.queries.history import changes_between
from projections.queries.scorecard import scorecard
from projections.runner import ProjectionRunner
from projections.snapshots import PeriodSnapshotProjection, official_snapshot
from tests.feed import settled
from tests.integration.projections.support import (
    SC,
    P,
    Scenario,
    measure,
)

STRICTER = ChangeScoringDefaults(
    organization_id="org", scoring=ScoringDefaults(thresholds=Thresholds(green=1.05, amber=0.9))
)


async def _next_positions_from(s: Scenario, position: int) -> None:
    """On PostgreSQL, the next appended event takes global position ``position``."""
    if s.store.engine.dialect.name != "postgresql":
        return
    async with s.store.engine.begin() as conn:
        await conn.execute(
            sa.text(f"ALTER TABLE events ALTER COLUMN global_position RESTART WITH {position}")
        )


async def _last_token(s: Scenario) -> FeedPosition:
    return (await s.store.read_stream(s.tenant_id, f"scorecard-{SC}"))[-1].feed_position


async def _as_of(s: Scenario, moment: FeedPosition) -> tuple[Status, float | None]:
    """The March status of ``avail`` (1.009: green by default, amber with STRICTER) and its
    April actual, as of ``moment``."""
    async with s.conn() as conn:
        march = await scorecard(conn, s.tenant_id, SC, P("2026-03"), AsOf.at(moment))
        april = await scorecard(conn, s.tenant_id, SC, P("2026-04"), AsOf.at(moment))
    assert march is not None and april is not None
    return march.kpi("avail").status, april.kpi("avail").evaluation.actual


async def test_as_of_a_feed_position_each_stream_shows_what_came_at_or_before_it(s):
    before = await _last_token(s)
    await _next_positions_from(s, 10_000)
    stricter = (await s.run(STRICTER)).token
    await _next_positions_from(s, 5_000)
    april = (await s.run(measure("a-2026-04", "avail", "2026-04", 95.0))).token
    assert before is not None and stricter is not None and april is not None
    assert before < stricter < april  # in feed order, whatever the bare positions say
    assert await _as_of(s, before) == (Status.GREEN, None)
    # the organization's change came first: not yet the April value, already the thresholds
    assert await _as_of(s, stricter) == (Status.AMBER, None)
    assert await _as_of(s, april) == (Status.AMBER, 95.0)


async def test_the_period_close_snapshot_is_scored_with_the_defaults_before_the_close(s):
    await _next_positions_from(s, 10_000)
    await s.run(STRICTER)
    await _next_positions_from(s, 5_000)
    await s.run(c.ClosePeriod(scorecard_id=SC, period=P("2026-03")))
    await settled(s.store)
    await ProjectionRunner(s.store, PeriodSnapshotProjection()).catch_up()
    async with s.conn() as conn:
        official = await official_snapshot(conn, s.tenant_id, SC, P("2026-03"))
    assert official is not None
    assert _kpi(official["snapshot"], "avail")["evaluation"]["status"] == "amber"


async def test_changes_between_two_feed_positions(s):
    since = await _last_token(s)
    await s.run(measure("a-2026-04", "avail", "2026-04", 95.0))
    await _next_positions_from(s, 10_000)
    until = (await s.run(STRICTER)).token
    await _next_positions_from(s, 5_000)
    await s.run(measure("m-2026-04", "mttr", "2026-04", 3.0))  # after until in feed order
    assert until is not None
    async with s.conn() as conn:
        changes = await changes_between(conn, s.tenant_id, SC, AsOf.at(since), AsOf.at(until))
    assert {(ch.entity_type, ch.entity_id, ch.kind) for ch in changes} == {
        ("measurement", "avail/2026-04", "added")
    }


def test_a_bare_global_position_is_not_a_moment():
    with pytest.raises(TypeError, match="FeedPosition"):
        AsOf(position=12)  # type: ignore[arg-type]
    assert AsOf.at(FeedPosition(3, 12)) == AsOf(position=FeedPosition(3, 12))
    assert str(AsOf.at(FeedPosition(3, 12))) == "position 3:12"


def _kpi(snapshot: dict[str, Any], kpi_id: str) -> dict[str, Any]:
    return next(
        k
        for p in snapshot["perspectives"]
        for o in p["objectives"]
        for k in o["kpis"]
        if k["kpi_id"] == kpi_id
    )
