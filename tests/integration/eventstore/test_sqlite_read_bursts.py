"""SQLite under bursts of concurrent reads: normal load logs no error."""

from __future__ import annotations

import asyncio
import logging

import pytest

from eventstore.factory import open_store
from eventstore.sqlite import READ_POOL_SIZE


async def test_bursts_of_concurrent_reads_beyond_the_pool_log_nothing(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(sqlite_url)
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(30):
                results = await asyncio.gather(
                    *(store.read_feed(limit=10) for _ in range(READ_POOL_SIZE * 2 + 3))
                )
                assert all(batch == [] for batch in results)
    finally:
        await store.close()
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == [], [r.getMessage() for r in errors[:3]]
