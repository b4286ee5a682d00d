"""Telling a database that is away, read-only or out of space from every other error.

The backends raise what their drivers raise (asyncpg, sqlite3, often wrapped by SQLAlchemy).
:func:`storage_fault` looks through that wrapping and names the three conditions that are
the database's state rather than the request's fault, so callers can answer "try again
later" instead of failing as if they had a bug, and background loops can wait them out.
"""

from __future__ import annotations

import enum
import errno
import socket
import sqlite3
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError


class StorageFault(enum.Enum):
    """A condition of the database that a retry after it ends will get past."""

    UNAVAILABLE = "unavailable"
    """No connection: the server is down, restarting, refusing or dropped the session."""
    READ_ONLY = "read_only"
    """The database accepts reads and refuses every write."""
    DISK_FULL = "disk_full"
    """The database cannot grow: writes fail, reads work."""


_SQLITE_READONLY = 8
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14

_PG_UNAVAILABLE_STATES = frozenset(
    {
        "57P01",  # admin_shutdown: the server is shutting down
        "57P02",  # crash_shutdown: another backend crashed, the server restarts
        "57P03",  # cannot_connect_now: starting up or in recovery
        "53300",  # too_many_connections
    }
)
_PG_READ_ONLY = "25006"  # read_only_sql_transaction (a hot standby, default_transaction_read_only)
_PG_DISK_FULL = "53100"  # disk_full

_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
    }
)


def storage_fault(error: BaseException) -> StorageFault | None:
    """The storage condition behind ``error`` (or any error it wraps or was raised from),
    or None when it is not one: a constraint violation, a bug, a bad statement."""
    for cause in _causes(error):
        fault = _fault_of(cause)
        if fault is not None:
            return fault
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending and len(seen) < 16:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        context = None if current.__suppress_context__ else current.__context__
        for nested in (getattr(current, "orig", None), current.__cause__, context):
            if isinstance(nested, BaseException):
                pending.append(nested)


def _fault_of(error: BaseException) -> StorageFault | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if code == _SQLITE_READONLY:
            return StorageFault.READ_ONLY
        if code == _SQLITE_FULL:
            return StorageFault.DISK_FULL
        if code == _SQLITE_CANTOPEN:
            return StorageFault.UNAVAILABLE
        return None
    if isinstance(error, asyncpg.PostgresError):
        state = getattr(error, "sqlstate", None) or ""
        if state.startswith("08") or state in _PG_UNAVAILABLE_STATES:
            return StorageFault.UNAVAILABLE
        if state == _PG_READ_ONLY:
            return StorageFault.READ_ONLY
        if state == _PG_DISK_FULL:
            return StorageFault.DISK_FULL
        return None
    if isinstance(error, asyncpg.InterfaceError):
        # The driver's own "connection is closed" / "was closed in the middle of operation".
        return StorageFault.UNAVAILABLE if "closed" in str(error) else None
    if isinstance(error, asyncpg.InternalClientError):
        # The server ended the session (its FATAL message, 57P01 on a fast shutdown, came
        # in while the connection was idle) and the driver has not yet read the end of the
        # socket: the connection is stuck waiting for a reply that will never come.
        message = str(error)
        stuck = message.startswith("cannot switch to state") or message == "not connected"
        return StorageFault.UNAVAILABLE if stuck else None
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return StorageFault.UNAVAILABLE
    if isinstance(error, ConnectionError | socket.gaierror):
        return StorageFault.UNAVAILABLE
    if isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS:
        return StorageFault.UNAVAILABLE
    return None
