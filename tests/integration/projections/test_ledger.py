"""The Ledger's checks across streams, on both backends: a scorecard names a team the
organization stream knows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.errors import DomainError
from domain.organization import ArchiveTeam, CreateOrganization, CreateTeam
from domain.scorecard import commands as c
from eventstore import Metadata
from eventstore.factory import open_store
from streams import scorecard_stream
from tests.integration.projections.support import Scenario


@pytest.fixture
async def s(database_url: str) -> AsyncIterator[Scenario]:
    store = open_store(database_url)
    yield Scenario(store)
    await store.close()


def _create(team_id: str, scorecard_id: str = "sc-1") -> c.CreateScorecard:
    return c.CreateScorecard(
        scorecard_id=scorecard_id,
        team_id=team_id,
        name="Ops 2026",
        perspective_ids=("fin", "cus", "int", "lrn"),
    )


async def _organization(s: Scenario) -> None:
    await s.run(CreateOrganization(organization_id="org", name="Acme IT"))
    await s.run(CreateTeam(organization_id="org", team_id="ops", name="Ops", parent_team_id=None))


async def _rejected(s: Scenario, command: c.CreateScorecard) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await s.run(command)
    info = await s.store.stream_info(s.tenant_id, scorecard_stream(command.scorecard_id))
    assert not info.exists
    return caught.value


async def test_a_scorecard_for_a_team_that_does_not_exist_is_rejected(s):
    await _organization(s)
    error = await _rejected(s, _create("nobody"))
    assert (error.code, error.field, error.value) == ("team.not_found", "team_id", "nobody")


async def test_a_scorecard_for_an_archived_team_is_rejected(s):
    await _organization(s)
    await s.run(ArchiveTeam(organization_id="org", team_id="ops"))
    assert (await _rejected(s, _create("ops"))).code == "team.archived"


async def test_a_scorecard_before_the_organization_exists_is_rejected(s):
    assert (await _rejected(s, _create("ops"))).code == "organization.not_found"


async def test_a_scorecard_for_an_active_team_is_created(s):
    await _organization(s)
    result = await s.run(_create("ops"))
    assert result.state.exists and result.state.team_id == "ops"


async def test_a_retried_creation_returns_its_first_result_after_the_team_was_archived(s):
    await _organization(s)
    metadata = Metadata(actor="alice", recorded_at=s.clock.tick())
    first = await s.ledger.execute(s.tenant_id, _create("ops"), metadata, idempotency_key="k1")
    await s.run(ArchiveTeam(organization_id="org", team_id="ops"))
    again = await s.ledger.execute(s.tenant_id, _create("ops"), metadata, idempotency_key="k1")
    assert again.duplicate and again.token == first.token


async def test_an_empty_idempotency_key_is_a_key_like_any_other(s):
    await _organization(s)
    metadata = Metadata(actor="alice", recorded_at=s.clock.tick())
    first = await s.ledger.execute(s.tenant_id, _create("ops"), metadata, idempotency_key="")
    again = await s.ledger.execute(s.tenant_id, _create("ops"), metadata, idempotency_key="")
    assert again.duplicate and again.token == first.token
