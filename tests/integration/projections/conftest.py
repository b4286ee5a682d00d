"""The fixture most projection tests start from."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eventstore.factory import open_store
from tests.integration.projections.support import Scenario, build_small_scorecard


@pytest.fixture
async def s(database_url: str) -> AsyncIterator[Scenario]:
    """A scenario on a fresh database of each backend, holding the small hand-made scorecard
    (a module defining its own ``s`` starts elsewhere)."""
    store = open_store(database_url)
    scenario = Scenario(store)
    await build_small_scorecard(scenario)
    yield scenario
    await store.close()
