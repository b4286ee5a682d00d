"""SQLite under bursts of concurrent reads: normal load logs no error."""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

import pytest
from sqlalchemy import event

from eventstore.factory import open_store
from eventstore.sqlite import READ_POOL_OVERFLOW, READ_POOL_SIZE, SqliteEventStore

BURST = READ_POOL_SIZE + READ_POOL_OVERFLOW
"""Reads per burst: every connection the read engine may open at once."""


async def test_bursts_of_concurrent_reads_beyond_the_pool_log_nothing(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    store = open_store(sqlite_url)
    assert isinstance(store, SqliteEventStore)
    pool = store.engine.sync_engine.pool
    closed: list[object] = []
    in_use = [0]
    most_in_use = [0]

    def on_checkout(*_: Any) -> None:
        in_use[0] += 1
        most_in_use[0] = max(most_in_use[0], in_use[0])

    def on_checkin(*_: Any) -> None:
        in_use[0] -= 1

    event.listen(pool, "checkout", on_checkout)
    event.listen(pool, "checkin", on_checkin)
    event.listen(pool, "close", lambda connection, _record: closed.append(connection))
    try:
        with caplog.at_level(logging.DEBUG), warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            for _ in range(30):
                results = await asyncio.gather(*(store.read_feed(limit=10) for _ in range(BURST)))
                assert all(batch == [] for batch in results)
    finally:
        await store.close()
    # The bursts did go beyond the kept connections, and those extra ones were closed.
    assert most_in_use[0] > READ_POOL_SIZE
    assert len(closed) >= 30 * (most_in_use[0] - READ_POOL_SIZE)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == [], [r.getMessage() for r in errors[:3]]
    assert [str(w.message) for w in warned] == []
    assert "Traceback" not in capfd.readouterr().err
