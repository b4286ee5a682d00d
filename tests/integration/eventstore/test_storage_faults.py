"""Which errors name a storage condition: the ones real SQLite raises for a read-only or
full database, the ones asyncpg raises when the server is away or ends the session,
wrapped or not by SQLAlchemy; and not the errors of a request or a bug."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from eventstore.outages import StorageFault, storage_fault

UNAVAILABLE = StorageFault.UNAVAILABLE


def _sqlite_error(path: Path, pragma: str, statement: str) -> sqlite3.Error:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)")
        conn.execute("INSERT OR IGNORE INTO t VALUES ('taken')")
        if pragma:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(pragma.format(pages=pages))
        with pytest.raises(sqlite3.Error) as raised:
            conn.execute(statement)
        return raised.value
    finally:
        conn.close()


def _wrapped(error: BaseException) -> DBAPIError:
    """The error as SQLAlchemy raises it, the driver's error as its cause."""
    try:
        try:
            raise error
        except BaseException as driver:
            raise DBAPIError.instance("SELECT 1", None, driver, type(driver)) from driver
    except DBAPIError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("pragma", "statement", "fault"),
    [
        ("PRAGMA query_only = 1", "INSERT INTO t VALUES ('new')", StorageFault.READ_ONLY),
        (
            "PRAGMA max_page_count = {pages}",
            "INSERT INTO t SELECT hex(randomblob(6000))",
            StorageFault.DISK_FULL,
        ),
        ("", "INSERT INTO t VALUES ('taken')", None),  # a constraint: the request's fault
        ("", "SELECT * FROM no_such_table", None),  # a bug
    ],
    ids=["read-only", "full", "constraint", "bad-statement"],
)
def test_sqlite_errors(tmp_path: Path, pragma: str, statement: str, fault: StorageFault) -> None:
    error = _sqlite_error(tmp_path / "faults.db", pragma, statement)
    assert storage_fault(error) is fault
    assert storage_fault(_wrapped(error)) is fault


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
            StorageFault.UNAVAILABLE,
        ),
        (OSError(errno.ECONNRESET, "Connection reset by peer"), StorageFault.UNAVAILABLE),
        (asyncpg.AdminShutdownError("terminating connection"), StorageFault.UNAVAILABLE),
        (
            asyncpg.CannotConnectNowError("the database system is starting up"),
            StorageFault.UNAVAILABLE,
        ),
        (asyncpg.ConnectionDoesNotExistError("connection was closed"), StorageFault.UNAVAILABLE),
        (asyncpg.InterfaceError("connection is closed"), StorageFault.UNAVAILABLE),
        (
            asyncpg.InternalClientError("cannot switch to state 12; another operation (2) ..."),
            StorageFault.UNAVAILABLE,
        ),
        (asyncpg.ReadOnlySQLTransactionError("read-only transaction"), StorageFault.READ_ONLY),
        (asyncpg.DiskFullError("could not extend file"), StorageFault.DISK_FULL),
        (asyncpg.UniqueViolationError("duplicate key"), None),
        (asyncpg.QueryCanceledError("canceling statement due to statement timeout"), None),
        (
            asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
            None,
        ),
        (OSError(errno.ENOENT, "No such file or directory"), None),
        (ValueError("a bug"), None),
    ],
    ids=repr,
)
def test_postgres_and_network_errors(error: BaseException, fault: StorageFault | None) -> None:
    assert storage_fault(error) is fault
    assert storage_fault(_wrapped(error)) is fault


def test_an_error_raised_while_handling_one_is_judged_by_its_cause_unless_it_hid_it() -> None:
    outage = asyncpg.AdminShutdownError("terminating connection")
    try:
        try:
            raise outage
        except asyncpg.PostgresError:
            raise RuntimeError("could not finish") from None
    except RuntimeError as hidden:
        assert storage_fault(hidden) is None
    try:
        try:
            raise outage
        except asyncpg.PostgresError:
            raise RuntimeError("could not finish")  # noqa: B904 (an implicit context)
    except RuntimeError as during:
        assert storage_fault(during) is StorageFault.UNAVAILABLE
    constraint = IntegrityError("INSERT", None, sqlite3.IntegrityError("UNIQUE constraint"))
    assert storage_fault(constraint) is None
