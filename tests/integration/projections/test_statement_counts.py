"""The scorecard query costs a fixed number of SQL statements, whatever the KPI count."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from domain.periods import Period
from eventstore.factory import open_store
from ledger import Ledger
from ledger.demo import DemoOptions, generate
from projections.asof import AsOf
from projections.queries.scorecard import scorecard


async def _count_statements(store: Any, tenant: str, scorecard_id: str, as_of: AsOf | None) -> int:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with store.engine.connect() as plain:
            # Statements run on the driver would pass SQLAlchemy's events by: observe them.
            conn = await plain.execution_options(observe_statements=True)
            view = await scorecard(conn, tenant, scorecard_id, Period.parse("2026-10"), as_of)
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)
    assert view is not None
    return len(seen)


@pytest.mark.parametrize("as_of", [False, True])
async def test_the_scorecard_query_runs_as_many_statements_for_200_kpis_as_for_10(
    database_url: str, as_of: bool
) -> None:
    store = open_store(database_url)
    try:
        ledger = Ledger(store)
        counts = []
        for kpis in (10, 200):
            options = DemoOptions(tenant_id=f"t{kpis}", kpis=kpis, months=3, teams=False)
            summary = await generate(ledger, options)
            moment = AsOf(time=summary.last_recorded_at) if as_of else None
            counts.append(
                await _count_statements(store, options.tenant_id, summary.scorecard_id, moment)
            )
            view_kpis = 0
            async with store.engine.connect() as conn:
                view = await scorecard(
                    conn, options.tenant_id, summary.scorecard_id, Period.parse("2026-10")
                )
            assert view is not None
            view_kpis = sum(len(o.kpis) for p in view.perspectives for o in p.objectives)
            assert view_kpis == kpis
        assert counts[0] == counts[1]
        assert 0 < counts[0] <= 12
    finally:
        await store.close()
