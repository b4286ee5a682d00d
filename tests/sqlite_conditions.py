"""SQLite refusing writes the way a read-only file or a full disk makes it, for tests.

The tests run as root, so file permissions stop nothing (root writes through a 0444 file),
and a file a process already has open stays writable to it whatever its mode becomes; a
genuinely full file system needs a mount CI may not allow. So these ask SQLite itself, on
the store's one write connection (every write of the process goes through it; the read
connections are untouched, as they would be):

- disk full: ``PRAGMA max_page_count`` set to the file's current size, so the pager refuses
  to grow the database with ``SQLITE_FULL`` ("database or disk is full"), SQLite's real
  disk-full path: a write that fits in the pages there are succeeds, one that needs another
  page fails, as on a disk with no block left;
- read-only: ``PRAGMA query_only``, with which SQLite refuses every write with
  ``SQLITE_READONLY`` ("attempt to write a readonly database"), the code a database opened
  from a read-only file gives.

Lifting the pragma lifts the condition; nothing is reopened or restarted.
"""

from __future__ import annotations

import enum
from typing import Any

import aiosqlite

from eventstore.sql import SqlEventStore

LARGEST_PAGE_COUNT = 1073741823  # SQLite's default max_page_count


class Condition(enum.Enum):
    READ_ONLY = "read-only"
    DISK_FULL = "disk-full"


async def write_pragma(store: SqlEventStore, statement: str) -> Any:
    """Run ``statement`` on the store's single write connection, outside a transaction
    (the engine begins each one IMMEDIATE, which a read-only database refuses); its first
    value, if it returns one."""
    async with store.write_engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, aiosqlite.Connection)
        async with driver.execute(statement) as cursor:
            row = await cursor.fetchone()
    return None if row is None else row[0]


async def impose(store: SqlEventStore, condition: Condition) -> None:
    """Make the store's writes meet ``condition`` from now on."""
    if condition is Condition.READ_ONLY:
        await write_pragma(store, "PRAGMA query_only = 1")
        return
    free = await write_pragma(store, "PRAGMA freelist_count")
    assert free == 0, f"{free} free pages would take writes a full disk refuses"
    pages = await write_pragma(store, "PRAGMA page_count")
    assert await write_pragma(store, f"PRAGMA max_page_count = {pages}") == pages


async def lift(store: SqlEventStore, condition: Condition) -> None:
    """End ``condition``: the store's writes work again."""
    if condition is Condition.READ_ONLY:
        await write_pragma(store, "PRAGMA query_only = 0")
    else:
        await write_pragma(store, f"PRAGMA max_page_count = {LARGEST_PAGE_COUNT}")
