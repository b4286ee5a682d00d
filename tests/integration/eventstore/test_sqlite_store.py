"""The event-store contract on SQLite, plus what only SQLite does."""

from __future__ import annotations

import pytest

from tests.integration.eventstore.contract import EventStoreContract


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    def url(self, sqlite_url: str) -> str:
        return sqlite_url


def test_appends_and_reads_take_the_one_hop_path_on_this_aiosqlite() -> None:
    """The fast path relies on aiosqlite running a function on its thread; if a release
    drops that, the store falls back to the slower SQLAlchemy path and this test says so."""
    from eventstore import sqlite

    assert sqlite.DIRECT is True
