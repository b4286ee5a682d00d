"""A whole-scorecard GraphQL request costs as many SQL statements at 200 KPIs as at 10,
however deep the selection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from api.app import create_app
from api.auth.roles import Role
from api.settings import ProjectionsMode, Settings
from ledger.demo import DemoOptions, generate
from tests.e2e.conftest import Api, scorecard_gid

SHALLOW = """query($id: ID!) { scorecard(id: $id, period: "2026-10") { score status } }"""
DEEP = """
query($id: ID!) {
  scorecard(id: $id, period: "2026-10") {
    score explanation { summary }
    perspectives {
      score explanation { summary }
      objectives {
        score explanation { summary } initiatives { title } alignedTo { objectiveId }
        kpis { actual target score status explanation { summary }
               trend(last: 12) { period score explanation { formula } } }
      }
    }
    strategyMap { nodes { objectiveId } links { sourceObjectiveId } }
  }
}
"""


async def _statements(api: Api, tenant: str, query: str, variables: dict[str, Any]) -> int:
    store = api.runtime.store
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    await api.post(query, variables, role=Role.VIEWER, tenant=tenant)  # pools warmed up
    original = store.engine
    # Statements the queries run on the driver pass SQLAlchemy's events by unless observed.
    store.engine = original.execution_options(observe_statements=True)
    event.listen(original.sync_engine, "before_cursor_execute", count)
    try:
        body = await api.post(query, variables, role=Role.VIEWER, tenant=tenant)
    finally:
        event.remove(original.sync_engine, "before_cursor_execute", count)
        store.engine = original
    assert not body.get("errors"), body
    assert body["data"]["scorecard"] is not None
    return len(seen)


@pytest.fixture
async def quiet_api(database_url: str) -> AsyncIterator[Api]:
    """The app with no background readers polling the database while statements are counted."""
    settings = Settings(
        database_url=database_url, projections=ProjectionsMode.OFF, poll_interval=60
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Api(http, app.state.runtime)


async def test_statements_do_not_grow_with_kpis_or_with_depth(quiet_api: Api) -> None:
    api = quiet_api
    counts: dict[tuple[int, str], int] = {}
    for kpis in (10, 200):
        tenant = f"t{kpis}"
        options = DemoOptions(tenant_id=tenant, kpis=kpis, months=3, teams=False)
        summary = await generate(api.runtime.ledger, options)
        issued = await api.runtime.tokens.create(tenant, Role.VIEWER)
        api.tokens[(tenant, Role.VIEWER)] = issued.secret
        variables = {"id": scorecard_gid(summary.scorecard_id)}
        for name, query in (("shallow", SHALLOW), ("deep", DEEP)):
            counts[(kpis, name)] = await _statements(api, tenant, query, variables)
    assert len(set(counts.values())) == 1, counts
    assert 0 < counts[(10, "shallow")] <= 14
