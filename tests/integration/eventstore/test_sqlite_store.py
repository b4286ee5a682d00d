"""The event-store contract on SQLite, plus what only SQLite does."""

from __future__ import annotations

import pytest

from tests.integration.eventstore.contract import EventStoreContract


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    def url(self, sqlite_url: str) -> str:
        return sqlite_url
