"""Per-request DataLoaders: each read runs once per request however often it is asked for.

Built with the request's context and dropped with it, so nothing read for one caller is
ever served to another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from domain.periods import Period
from projections.asof import AsOf
from projections.queries.history import kpi_history
from projections.queries.organization import OrganizationView, organization
from projections.queries.scorecard import scorecard
from projections.views import KpiHistory, ScorecardView

if TYPE_CHECKING:
    from api.runtime import Runtime


@dataclass(frozen=True, slots=True)
class ScorecardKey:
    scorecard_id: str
    period: Period
    as_of: AsOf | None
    trend: int


class Loaders:
    """The loaders of one request, all scoped to one tenant."""

    def __init__(self, runtime: Runtime, tenant_id: str) -> None:
        self.runtime = runtime
        self.tenant_id = tenant_id
        self.scorecards = DataLoader[ScorecardKey, ScorecardView | None](self._scorecards)
        self.organization = DataLoader[str, OrganizationView | None](self._organizations)
        self.kpi_histories = DataLoader[tuple[str, str], KpiHistory | None](self._histories)

    async def _scorecards(self, keys: Sequence[ScorecardKey]) -> list[ScorecardView | None]:
        async with self.runtime.store.engine.connect() as conn:
            return [
                await scorecard(
                    conn, self.tenant_id, k.scorecard_id, k.period, k.as_of, trend_count=k.trend
                )
                for k in keys
            ]

    async def _organizations(self, keys: Sequence[str]) -> list[OrganizationView | None]:
        async with self.runtime.store.engine.connect() as conn:
            found = await organization(conn, self.tenant_id)
        return [found for _ in keys]

    async def _histories(self, keys: Sequence[tuple[str, str]]) -> list[KpiHistory | None]:
        async with self.runtime.store.engine.connect() as conn:
            return [await kpi_history(conn, self.tenant_id, s, k) for s, k in keys]
